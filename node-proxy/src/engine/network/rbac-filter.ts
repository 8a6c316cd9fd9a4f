// envoy.filters.network.rbac: decides once per connection, before the
// terminal filter sees a byte. Stats as Envoy's rbac.{allowed,denied} under
// the filter's stat_prefix.
import type { DownstreamConnection, ConnectionCheck } from '../listener/connection.js';
import { compileRbac } from '../rbac/index.js';
import type { Stats } from '../stats.js';
import type { Decoded } from '../types.js';

export function compileNetworkRbac(cfg: Decoded, stats: Stats): ConnectionCheck {
  const rbac = compileRbac(cfg.rules as Decoded | undefined);
  const tags = { envoy_rbac_prefix: String(cfg.stat_prefix ?? '') };
  return (conn: DownstreamConnection) => {
    const d = rbac.network({ ...conn.facts, tls: conn.tls });
    stats.counter(d.allowed ? 'envoy_rbac_allowed' : 'envoy_rbac_denied', tags).inc();
    return d.allowed;
  };
}

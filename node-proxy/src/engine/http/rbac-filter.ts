// envoy.filters.http.rbac: decides per request, with the request's headers
// and path as well as the connection. Stats as Envoy's
// http.<prefix>.rbac.{allowed,denied}.
import type { DownstreamConnection } from '../listener/connection.js';
import { compileRbac } from '../rbac/index.js';
import type { Stats } from '../stats.js';
import type { Decoded, RequestHead } from '../types.js';

export interface HttpRbac {
  allows(req: RequestHead, conn: DownstreamConnection | undefined): boolean;
}

export function compileHttpRbac(cfg: Decoded, statPrefix: string, stats: Stats): HttpRbac {
  const rbac = compileRbac(cfg.rules as Decoded | undefined);
  const tags = { envoy_http_conn_manager_prefix: statPrefix };
  return {
    allows(req, conn) {
      const facts = conn
        ? { ...conn.facts, tls: conn.tls }
        : { sourceAddress: '', sourcePort: 0, destinationAddress: '', destinationPort: 0 };
      const d = rbac.http(req, facts);
      stats.counter(d.allowed ? 'envoy_http_rbac_allowed' : 'envoy_http_rbac_denied', tags).inc();
      return d.allowed;
    },
  };
}

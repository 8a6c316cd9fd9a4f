// Pieces shared by the per-type builders.
import { packAny, type PackedAny } from '../../../api/src/any.js';
import type { AccessLog } from '../../../api/src/generated/envoy/config/accesslog/v3/AccessLog.js';
import type { ConfigSource } from '../../../api/src/generated/envoy/config/core/v3/ConfigSource.js';
import type { HttpConnectionManager } from '../../../api/src/generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.js';
import type { HttpFilter } from '../../../api/src/generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpFilter.js';
import type { Router } from '../../../api/src/generated/envoy/extensions/filters/http/router/v3/Router.js';

/** Everything comes over the one ADS stream, in the v3 API. */
export const ADS_SOURCE: ConfigSource = { ads: {}, resource_api_version: 'V3' };

export const ROUTER_FILTER = 'envoy.filters.http.router';

/** An HTTP connection manager that takes its routes from RDS. */
/** `filters`: HTTP filters before the router (which is always last). */
/** `accessLog`: Envoy access loggers of every request (none by default). */
export function httpConnectionManager(statPrefix: string, routeConfigName: string, filters: HttpFilter[] = [], accessLog?: AccessLog[]): PackedAny {
  const hcm: HttpConnectionManager = {
    stat_prefix: statPrefix,
    codec_type: 'AUTO',
    rds: { config_source: ADS_SOURCE, route_config_name: routeConfigName },
    http_filters: [...filters, { name: ROUTER_FILTER, typed_config: packAny('envoy.extensions.filters.http.router.v3.Router', {} satisfies Router) }],
    ...(accessLog ? { access_log: accessLog } : {}),
  };
  return packAny('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', hcm);
}

/** Stat prefixes may not contain ':' usefully; Envoy's convention is underscores. */
export function statName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_');
}

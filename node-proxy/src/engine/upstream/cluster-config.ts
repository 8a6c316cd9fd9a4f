// The parts of envoy.config.cluster.v3.Cluster the engine honours, with
// Envoy's defaults applied.
import type { Decoded } from '../types.js';
import { durationMs, fingerprint, has, list, obj, unpackAny, wrapped } from './fields.js';

export type DiscoveryType = 'STATIC' | 'EDS' | 'ORIGINAL_DST';
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RING_HASH' | 'RANDOM' | 'CLUSTER_PROVIDED';

export interface Thresholds {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
}

export interface LbConfig {
  policy: LbPolicy;
  ringMin: number;
  ringMax: number;
  choiceCount: number;
  activeRequestBias: number;
}

export interface ClusterConfig {
  name: string;
  type: DiscoveryType;
  /** The ClusterLoadAssignment name an EDS cluster uses. */
  edsName: string;
  lb: LbConfig;
  connectTimeoutMs: number;
  http2: boolean;
  /** 0: no idle timeout. */
  idleTimeoutMs: number;
  /** 0: unlimited. */
  maxRequestsPerConnection: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS we allow ourselves per connection. */
  maxConcurrentStreams: number;
  thresholds: Thresholds;
  outlier?: Decoded;
  healthCheck?: Decoded;
  /** UpstreamTlsContext, when transport_socket is envoy.transport_sockets.tls. */
  tls?: Decoded;
  /** Changes that need new connections (protocol or transport socket). */
  transportKey: string;
  loadAssignment?: Decoded;
}

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

export function parseClusterConfig(name: string, c: Decoded): ClusterConfig {
  const type = (c.type as DiscoveryType | undefined) ?? 'STATIC';
  const http = unpackAny(obj(c.typed_extension_protocol_options)[HTTP_OPTIONS])?.message ?? {};
  const explicit = obj(http.explicit_http_config);
  const common = obj(http.common_http_protocol_options);
  const h2opts = explicit.http2_protocol_options;
  const tlsAny = unpackAny(obj(c.transport_socket).typed_config);
  const tls = tlsAny?.name === UPSTREAM_TLS ? tlsAny.message : undefined;
  const rh = obj(c.ring_hash_lb_config);
  const lr = obj(c.least_request_lb_config);
  const bias = obj(lr.active_request_bias);
  const cfg: ClusterConfig = {
    name,
    type,
    edsName: String(obj(c.eds_cluster_config).service_name || name),
    lb: {
      policy: (c.lb_policy as LbPolicy | undefined) ?? 'ROUND_ROBIN',
      ringMin: wrapped(rh.minimum_ring_size, 1024),
      ringMax: wrapped(rh.maximum_ring_size, 8 * 1024 * 1024),
      choiceCount: wrapped(lr.choice_count, 2),
      activeRequestBias: has(lr.active_request_bias) ? Number(bias.default_value ?? 0) : 1,
    },
    connectTimeoutMs: durationMs(c.connect_timeout, 5000),
    http2: has(h2opts),
    idleTimeoutMs: durationMs(common.idle_timeout, 3600_000),
    maxRequestsPerConnection: wrapped(common.max_requests_per_connection, 0),
    maxConcurrentStreams: wrapped(obj(h2opts).max_concurrent_streams, 2147483647),
    thresholds: thresholds(obj(c.circuit_breakers)),
    transportKey: '',
  };
  cfg.transportKey = `${cfg.http2 ? 'h2' : 'h1'}|${fingerprint(tls ?? null)}`;
  if (has(c.outlier_detection)) cfg.outlier = obj(c.outlier_detection);
  const hc = list(c.health_checks)[0];
  if (hc) cfg.healthCheck = hc;
  if (tls) cfg.tls = tls;
  if (has(c.load_assignment)) cfg.loadAssignment = obj(c.load_assignment);
  return cfg;
}

function thresholds(cb: Decoded): Thresholds {
  const t = list(cb.thresholds).find((x) => (x.priority ?? 'DEFAULT') === 'DEFAULT') ?? {};
  return {
    maxConnections: wrapped(t.max_connections, 1024),
    maxPendingRequests: wrapped(t.max_pending_requests, 1024),
    maxRequests: wrapped(t.max_requests, 1024),
    maxRetries: wrapped(t.max_retries, 3),
  };
}

// Test fixtures: valid resources of every xDS type that, between them, set
// every field of the allowlist (check.test.ts asserts that coverage), so no
// implemented field is refused by accident. Built as the generated types where
// the protos are generated; the extension messages that are not (RBAC, access
// loggers, TLS inspector) are plain objects, checked against the protos by
// `pack` since protobufjs would silently drop a misspelt key.
import { decodeMessage, encodeMessage, packAny, unknownFields, type PackedAny } from '../../../../api/src/any.js';
import { TypeUrl, type ResourceTypeUrl } from '../../../../api/src/type-urls.js';
import type { Cluster } from '../../../../api/src/generated/envoy/config/cluster/v3/Cluster.js';
import type { ConfigSource } from '../../../../api/src/generated/envoy/config/core/v3/ConfigSource.js';
import type { HeaderValueOption } from '../../../../api/src/generated/envoy/config/core/v3/HeaderValueOption.js';
import type { ClusterLoadAssignment } from '../../../../api/src/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.js';
import type { Listener } from '../../../../api/src/generated/envoy/config/listener/v3/Listener.js';
import type { RouteConfiguration } from '../../../../api/src/generated/envoy/config/route/v3/RouteConfiguration.js';
import type { HttpConnectionManager } from '../../../../api/src/generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.js';
import type { TcpProxy } from '../../../../api/src/generated/envoy/extensions/filters/network/tcp_proxy/v3/TcpProxy.js';
import type { UdpProxyConfig } from '../../../../api/src/generated/envoy/extensions/filters/udp/udp_proxy/v3/UdpProxyConfig.js';
import type { DownstreamTlsContext } from '../../../../api/src/generated/envoy/extensions/transport_sockets/tls/v3/DownstreamTlsContext.js';
import type { Secret } from '../../../../api/src/generated/envoy/extensions/transport_sockets/tls/v3/Secret.js';
import type { UpstreamTlsContext } from '../../../../api/src/generated/envoy/extensions/transport_sockets/tls/v3/UpstreamTlsContext.js';
import type { HttpProtocolOptions } from '../../../../api/src/generated/envoy/extensions/upstreams/http/v3/HttpProtocolOptions.js';
import type { Decoded } from '../types.js';

/** Packs `message` as `fullName`, refusing keys the proto lacks. */
export function pack(fullName: string, message: object): PackedAny {
  const unknown = unknownFields(fullName, message);
  if (unknown.length) throw new Error(`${fullName}: unknown fields ${unknown.join(', ')}`);
  return packAny(fullName, message);
}

/** The decoded wire shape of `message`, refusing keys the proto lacks. */
export function wire(fullName: string, message: object): Decoded {
  const unknown = unknownFields(fullName, message);
  if (unknown.length) throw new Error(`${fullName}: unknown fields ${unknown.join(', ')}`);
  return decodeMessage(fullName, encodeMessage(fullName, message));
}

const ADS: ConfigSource = { ads: {}, resource_api_version: 'V3' };
const sec = (seconds: number) => ({ seconds, nanos: 0 });
const u32 = (value: number) => ({ value });
const metadata = { filter_metadata: { 'nodemesh.io': { fields: { owner: { stringValue: 'samples' } } } } };

const headers = (value: string): HeaderValueOption[] => [
  { header: { key: 'x-forwarded-client', value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD', keep_empty_value: true },
  { header: { key: 'x-legacy', value: 'literal %% sign' }, append: { value: true } },
];
const HEADER_MUTATIONS = {
  request_headers_to_add: headers('%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% via %HOSTNAME%'),
  request_headers_to_remove: ['x-internal'],
  response_headers_to_add: headers('%HOSTNAME% at %START_TIME% from %UPSTREAM_REMOTE_ADDRESS% for %DOWNSTREAM_REMOTE_ADDRESS%'),
  response_headers_to_remove: ['server'],
};

// ── Matchers and RBAC (plain objects: their protos are not generated) ──────
const regex = { google_re2: {}, regex: '^/v[0-9]+/' };
const RBAC_RULES = {
  action: 'ALLOW',
  policies: {
    everything: {
      permissions: [
        { any: true },
        { header: { name: ':method', exact_match: 'GET' } },
        { url_path: { path: { prefix: '/api', ignore_case: true } } },
        { destination_ip: { address_prefix: '10.0.0.0', prefix_len: u32(8) } },
        { destination_port: 8080 },
        { destination_port_range: { start: 9000, end: 9100 } },
        { and_rules: { rules: [{ any: true }] } },
        { or_rules: { rules: [{ destination_port: 80 }] } },
        { not_rule: { requested_server_name: { suffix: '.internal' } } },
      ],
      principals: [
        { any: true },
        { authenticated: { principal_name: { exact: 'spiffe://cluster.local/ns/shop/sa/web' } } },
        { source_ip: { address_prefix: '10.1.0.0', prefix_len: u32(16) } },
        { direct_remote_ip: { address_prefix: '10.2.0.0', prefix_len: u32(16) } },
        { remote_ip: { address_prefix: '10.3.0.0', prefix_len: u32(16) } },
        { header: { name: 'x-user', string_match: { contains: 'admin' } } },
        { url_path: { path: { safe_regex: regex } } },
        { and_ids: { ids: [{ any: true }] } },
        { or_ids: { ids: [{ any: true }] } },
        { not_id: { any: true } },
      ],
    },
  },
};

// ── Listener ───────────────────────────────────────────────────────────────
const json = { json_format: { fields: { status: { stringValue: '%RESPONSE_CODE%' } } } };
const ACCESS_LOGS = [
  { name: 'envoy.access_loggers.stdout', typed_config: pack('envoy.extensions.access_loggers.stream.v3.StdoutAccessLog', { log_format: json }) },
  { name: 'envoy.access_loggers.stderr', typed_config: pack('envoy.extensions.access_loggers.stream.v3.StderrAccessLog', { log_format: json }) },
  { name: 'envoy.access_loggers.file', typed_config: pack('envoy.extensions.access_loggers.file.v3.FileAccessLog', { path: '/dev/null', log_format: json }) },
];

const downstreamTls: DownstreamTlsContext = {
  common_tls_context: {
    tls_params: { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' },
    tls_certificates: [{ certificate_chain: { inline_string: 'CERT' }, private_key: { inline_bytes: Buffer.from('KEY') } }],
    validation_context: {
      trusted_ca: { filename: '/etc/ca.pem' },
      match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { suffix: '.cluster.local' } }],
    },
    alpn_protocols: ['h2', 'http/1.1'],
  },
  require_client_certificate: { value: true },
};

const routeConfig: RouteConfiguration = {
  name: 'web:80',
  validate_clusters: { value: false },
  metadata,
  ...HEADER_MUTATIONS,
  virtual_hosts: [
    {
      name: 'web',
      domains: ['web', 'web.default.svc.cluster.local'],
      metadata,
      ...HEADER_MUTATIONS,
      retry_policy: {
        retry_on: '5xx,retriable-status-codes',
        num_retries: u32(2),
        per_try_timeout: sec(1),
        retriable_status_codes: [503],
        retry_back_off: { base_interval: { seconds: 0, nanos: 25_000_000 }, max_interval: sec(1) },
      },
      routes: [
        {
          name: 'api',
          metadata,
          ...HEADER_MUTATIONS,
          match: {
            prefix: '/api',
            case_sensitive: { value: false },
            headers: [
              { name: 'x-a', exact_match: 'a' },
              { name: 'x-b', safe_regex_match: regex },
              { name: 'x-c', range_match: { start: 1, end: 10 } },
              { name: 'x-d', present_match: true, invert_match: true },
              { name: 'x-e', prefix_match: 'p' },
              { name: 'x-f', suffix_match: 's' },
              { name: 'x-g', contains_match: 'c', treat_missing_header_as_empty: true },
              { name: 'x-h', string_match: { exact: 'h' } },
            ],
            query_parameters: [
              { name: 'debug', present_match: true },
              { name: 'v', string_match: { prefix: '2' } },
            ],
          },
          route: {
            weighted_clusters: {
              clusters: [
                { name: 'web-v1', weight: u32(90), ...HEADER_MUTATIONS },
                { name: 'web-v2', weight: u32(10) },
              ],
            },
            cluster_not_found_response_code: 'NOT_FOUND',
            prefix_rewrite: '/',
            host_rewrite_literal: 'web.internal',
            timeout: sec(15),
            retry_policy: { retry_on: 'connect-failure', num_retries: u32(1) },
            request_mirror_policies: [{ cluster: 'web-shadow', runtime_fraction: { default_value: { numerator: 500, denominator: 'TEN_THOUSAND' } } }],
            hash_policy: [
              { header: { header_name: 'x-user' } },
              { connection_properties: { source_ip: true } },
              { query_parameter: { name: 'session' }, terminal: true },
            ],
          },
        },
        {
          match: { path: '/exact' },
          route: { cluster: 'web', regex_rewrite: { pattern: regex, substitution: '/' }, auto_host_rewrite: { value: true } },
          typed_per_filter_config: {
            'envoy.filters.http.stateful_session': pack('envoy.extensions.filters.http.stateful_session.v3.StatefulSessionPerRoute', {
              stateful_session: {
                session_state: {
                  name: 'envoy.http.stateful_session.header',
                  typed_config: pack('envoy.extensions.http.stateful_session.header.v3.HeaderBasedSessionState', { name: 'x-session' }),
                },
              },
            }),
          },
        },
        {
          match: { path: '/no-session' },
          route: { cluster: 'web' },
          typed_per_filter_config: { 'envoy.filters.http.stateful_session': pack('envoy.extensions.filters.http.stateful_session.v3.StatefulSessionPerRoute', { disabled: true }) },
        },
        {
          match: { safe_regex: regex },
          redirect: { https_redirect: true, host_redirect: 'web.example', port_redirect: 443, path_redirect: '/new', response_code: 'PERMANENT_REDIRECT' },
        },
        { match: { prefix: '/old' }, redirect: { scheme_redirect: 'https', prefix_rewrite: '/new', strip_query: true } },
        { match: { prefix: '/re' }, redirect: { regex_rewrite: { pattern: regex, substitution: '/x/' } } },
        { match: { path_separated_prefix: '/health' }, direct_response: { status: 200, body: { inline_string: 'ok' } } },
        { match: { prefix: '/' }, direct_response: { status: 404, body: { inline_bytes: Buffer.from('no') } } },
      ],
    },
  ],
};

const hcmInline: HttpConnectionManager = {
  stat_prefix: 'inbound_http',
  codec_type: 'HTTP1',
  route_config: routeConfig,
  http_filters: [
    { name: 'envoy.filters.http.rbac', typed_config: pack('envoy.extensions.filters.http.rbac.v3.RBAC', { rules: RBAC_RULES }) },
    {
      name: 'envoy.filters.http.stateful_session',
      typed_config: pack('envoy.extensions.filters.http.stateful_session.v3.StatefulSession', {
        session_state: {
          name: 'envoy.http.stateful_session.cookie',
          typed_config: pack('envoy.extensions.http.stateful_session.cookie.v3.CookieBasedSessionState', { cookie: { name: 'nm-session', ttl: sec(3600), path: '/' } }),
        },
        strict: true,
      }),
    },
    { name: 'envoy.filters.http.router', typed_config: pack('envoy.extensions.filters.http.router.v3.Router', {}) },
  ],
  access_log: ACCESS_LOGS,
  common_http_protocol_options: { idle_timeout: sec(3600) },
  server_name: 'nodemesh',
  generate_request_id: { value: true },
};

const hcmRds: HttpConnectionManager = {
  stat_prefix: 'outbound_http',
  codec_type: 'AUTO',
  rds: { config_source: ADS, route_config_name: 'web:80' },
  http_filters: [{ name: 'envoy.filters.http.router', typed_config: pack('envoy.extensions.filters.http.router.v3.Router', {}) }],
};

const tcpWeighted: TcpProxy = {
  stat_prefix: 'db',
  weighted_clusters: { clusters: [{ name: 'db-a', weight: 3 }, { name: 'db-b', weight: 1 }] },
  idle_timeout: sec(3600),
  access_log: ACCESS_LOGS,
  max_connect_attempts: u32(3),
};

// UDP listeners: one routed by the matcher, one by the deprecated cluster field.
const udpRoute = pack('envoy.extensions.filters.udp.udp_proxy.v3.Route', { cluster: 'outbound|53||dns.default.svc.cluster.local' });
const udpByMatcher: UdpProxyConfig = {
  stat_prefix: 'dns',
  matcher: { on_no_match: { action: { name: 'route', typed_config: udpRoute } } },
  idle_timeout: sec(60),
};
const udpListener = (name: string, port: number, proxy: UdpProxyConfig): Listener => ({
  name,
  address: { socket_address: { address: '0.0.0.0', port_value: port, protocol: 'UDP' } },
  udp_listener_config: { downstream_socket_config: { max_rx_datagram_size: { value: 4096 }, prefer_gro: { value: true } } },
  listener_filters: [{ name: 'envoy.filters.udp_listener.udp_proxy', typed_config: pack('envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig', proxy) }],
});
const udpListeners = [
  udpListener('gateway|ns/gw|0.0.0.0:5353/udp', 5353, udpByMatcher),
  udpListener('udp-legacy', 5354, { stat_prefix: 'legacy', cluster: 'outbound|53||dns.default.svc.cluster.local' }),
];

const listener: Listener = {
  name: 'inbound_15006',
  address: { socket_address: { address: '0.0.0.0', port_value: 15006, protocol: 'TCP' } },
  bind_to_port: { value: true },
  use_original_dst: { value: true },
  traffic_direction: 'INBOUND',
  metadata,
  drain_type: 'DEFAULT',
  listener_filters_timeout: sec(1),
  continue_on_listener_filters_timeout: true,
  listener_filters: [
    { name: 'envoy.filters.listener.original_dst', typed_config: pack('envoy.extensions.filters.listener.original_dst.v3.OriginalDst', {}) },
    { name: 'envoy.filters.listener.tls_inspector', typed_config: pack('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', {}) },
  ],
  filter_chains: [
    {
      name: 'mtls-http',
      metadata,
      filter_chain_match: {
        destination_port: u32(8080),
        prefix_ranges: [{ address_prefix: '10.0.0.0', prefix_len: u32(8) }],
        source_prefix_ranges: [{ address_prefix: '10.1.0.0', prefix_len: u32(16) }],
        server_names: ['web.default.svc.cluster.local'],
        transport_protocol: 'tls',
        application_protocols: ['h2', 'http/1.1'],
      },
      transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: pack('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', downstreamTls) },
      filters: [
        { name: 'envoy.filters.network.rbac', typed_config: pack('envoy.extensions.filters.network.rbac.v3.RBAC', { stat_prefix: 'rbac', rules: { ...RBAC_RULES, action: 'DENY' } }) },
        { name: 'envoy.filters.network.http_connection_manager', typed_config: pack('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', hcmInline) },
      ],
    },
    {
      name: 'db',
      filter_chain_match: { destination_port: u32(5432) },
      filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: pack('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', tcpWeighted) }],
    },
    {
      name: 'passthrough',
      filter_chain_match: { destination_port: u32(9000) },
      filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: pack('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', { stat_prefix: 'pt', cluster: 'PassthroughCluster' } satisfies TcpProxy) }],
    },
  ],
  default_filter_chain: {
    name: 'default',
    filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: pack('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', hcmRds) }],
  },
};

// ── Clusters and endpoints ─────────────────────────────────────────────────
const upstreamTls: UpstreamTlsContext = {
  sni: 'web.default.svc.cluster.local',
  common_tls_context: {
    tls_params: { tls_minimum_protocol_version: 'TLS_AUTO' },
    tls_certificate_sds_secret_configs: [{ name: 'default', sds_config: ADS }],
    combined_validation_context: {
      default_validation_context: { match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact: 'spiffe://cluster.local/ns/default/sa/web' } }] },
      validation_context_sds_secret_config: { name: 'ROOTCA', sds_config: ADS },
    },
    alpn_protocols: ['h2'],
  },
};
const upstreamTlsSdsValidation: UpstreamTlsContext = {
  common_tls_context: { validation_context_sds_secret_config: { name: 'ROOTCA', sds_config: ADS } },
};

const h2Options: HttpProtocolOptions = {
  explicit_http_config: { http2_protocol_options: { max_concurrent_streams: u32(100) } },
  common_http_protocol_options: { idle_timeout: sec(60), max_requests_per_connection: u32(1000) },
};
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

const loadAssignment: ClusterLoadAssignment = {
  cluster_name: 'web',
  endpoints: [
    {
      locality: { region: 'eu', zone: 'eu-1a', sub_zone: 'rack-1' },
      load_balancing_weight: u32(3),
      priority: 0,
      metadata,
      lb_endpoints: [
        {
          endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 8080 } } },
          health_status: 'HEALTHY',
          load_balancing_weight: u32(2),
          metadata,
        },
        { endpoint: { address: { socket_address: { address: '10.0.0.2', port_value: 8080, protocol: 'TCP' } } }, health_status: 'DRAINING' },
      ],
    },
  ],
};

const clusters: Cluster[] = [
  {
    name: 'web',
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS, service_name: 'web' },
    connect_timeout: sec(5),
    lb_policy: 'RING_HASH',
    ring_hash_lb_config: { minimum_ring_size: { value: 1024 }, maximum_ring_size: { value: 8192 }, hash_function: 'XX_HASH' },
    circuit_breakers: {
      thresholds: [{ priority: 'DEFAULT', max_connections: u32(100), max_pending_requests: u32(10), max_requests: u32(1000), max_retries: u32(3) }],
    },
    outlier_detection: {
      consecutive_5xx: u32(5),
      consecutive_gateway_failure: u32(3),
      interval: sec(10),
      base_ejection_time: sec(30),
      max_ejection_time: sec(300),
      max_ejection_percent: u32(50),
      enforcing_consecutive_5xx: u32(100),
      enforcing_consecutive_gateway_failure: u32(100),
    },
    health_checks: [
      {
        timeout: sec(1),
        interval: sec(5),
        unhealthy_threshold: u32(3),
        healthy_threshold: u32(1),
        http_health_check: { path: '/healthz', host: 'web', expected_statuses: [{ start: 200, end: 300 }] },
      },
      { timeout: sec(1), interval: sec(5), unhealthy_threshold: u32(3), healthy_threshold: u32(1), tcp_health_check: {} },
    ],
    transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: pack('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', upstreamTls) },
    typed_extension_protocol_options: { [HTTP_OPTIONS]: pack(HTTP_OPTIONS, h2Options) },
    metadata,
  },
  {
    name: 'static',
    type: 'STATIC',
    connect_timeout: sec(1),
    lb_policy: 'LEAST_REQUEST',
    least_request_lb_config: { choice_count: u32(2) },
    load_assignment: { ...loadAssignment, cluster_name: 'static' },
    transport_socket: { name: 'tls', typed_config: pack('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', upstreamTlsSdsValidation) },
    typed_extension_protocol_options: {
      [HTTP_OPTIONS]: pack(HTTP_OPTIONS, { explicit_http_config: { http_protocol_options: {} } } satisfies HttpProtocolOptions),
    },
  },
  { name: 'PassthroughCluster', type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', connect_timeout: sec(5) },
];

const secrets: Secret[] = [
  { name: 'default', tls_certificate: { certificate_chain: { filename: '/certs/cert.pem' }, private_key: { filename: '/certs/key.pem' } } },
  {
    name: 'ROOTCA',
    validation_context: {
      trusted_ca: { inline_string: 'CA' },
      match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { prefix: 'spiffe://cluster.local/' } }],
    },
  },
];

export interface SampleResource {
  typeUrl: ResourceTypeUrl;
  name: string;
  message: Decoded;
}

/** The valid samples, in their decoded wire shape. */
export function sampleResources(): SampleResource[] {
  const of = (typeUrl: ResourceTypeUrl, fullName: string, list: { name?: string; cluster_name?: string }[]) =>
    list.map((m) => ({ typeUrl, name: m.name ?? m.cluster_name ?? '', message: wire(fullName, m) }));
  return [
    ...of(TypeUrl.Listener, 'envoy.config.listener.v3.Listener', [listener, ...udpListeners]),
    ...of(TypeUrl.RouteConfiguration, 'envoy.config.route.v3.RouteConfiguration', [routeConfig]),
    ...of(TypeUrl.Cluster, 'envoy.config.cluster.v3.Cluster', clusters),
    ...of(TypeUrl.ClusterLoadAssignment, 'envoy.config.endpoint.v3.ClusterLoadAssignment', [loadAssignment]),
    ...of(TypeUrl.Secret, 'envoy.extensions.transport_sockets.tls.v3.Secret', secrets),
  ];
}

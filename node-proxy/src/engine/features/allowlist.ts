// What the embedded engine implements of the Envoy v3 API, as one table: a
// resource that sets anything not listed here is NACKed (check.ts), because
// an engine that silently ignores a field behaves differently from Envoy on
// the same configuration. Extending the engine means adding the field here,
// with `proof` naming the test that shows the engine honours it.
//
// Keys are proto message full names. A key may carry a `#variant` suffix when
// the same message is implemented differently in two places (a listener's
// transport socket takes only DownstreamTlsContext, a cluster's only
// UpstreamTlsContext); the field that leads there names it with `rule`.
import { ACCESS_LOG_JSON, HEADER_VALUE, PRIORITY_ZERO, RETRY_ON, type ValueRule } from './predicates.js';

export type { ValueRule } from './predicates.js';

export interface FieldRule {
  /** Enum fields: the values the engine implements. Every enum field lists them. */
  enum?: readonly string[];
  /** google.protobuf.Any fields (and maps of Any): full names of the implemented extension messages. */
  extensions?: readonly string[];
  /** Map fields: the only keys the engine understands. */
  keys?: readonly string[];
  /** Message fields: the table key to check the nested message with, when not its own full name. */
  rule?: string;
  /** Values of the field the engine still cannot honour. */
  value?: ValueRule;
  /** Shown in the feature matrix. */
  note?: string;
  /** "path/from/repo/root.test.ts: test name substring": the test proving the engine honours this field. */
  proof?: string;
}

export interface MessageRule {
  /** Plain data (durations, wrappers, Struct) whose every field the engine reads: not walked. */
  anyField?: true;
  /** The implemented fields; absent or empty when the message must be empty. */
  fields?: Readonly<Record<string, FieldRule>>;
  note?: string;
  /** The test proving the engine honours the message; covers its fields that name none. */
  proof?: string;
}

export type Allowlist = Readonly<Record<string, MessageRule>>;

/** The message full name of a table key. */
export function messageOfKey(key: string): string {
  const hash = key.indexOf('#');
  return hash < 0 ? key : key.slice(0, hash);
}

// Extension message names, used both as Any targets and as table keys.
const ORIGINAL_DST = 'envoy.extensions.filters.listener.original_dst.v3.OriginalDst';
const TLS_INSPECTOR = 'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector';
const TCP_PROXY = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const NETWORK_RBAC = 'envoy.extensions.filters.network.rbac.v3.RBAC';
const ROUTER = 'envoy.extensions.filters.http.router.v3.Router';
const HTTP_RBAC = 'envoy.extensions.filters.http.rbac.v3.RBAC';
const STDOUT_LOG = 'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog';
const STDERR_LOG = 'envoy.extensions.access_loggers.stream.v3.StderrAccessLog';
const FILE_LOG = 'envoy.extensions.access_loggers.file.v3.FileAccessLog';
const DOWNSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const UPSTREAM_HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

const INFORMATIONAL: FieldRule = { note: 'informational: changes no behaviour' };

const HEADER_MUTATIONS: Readonly<Record<string, FieldRule>> = {
  request_headers_to_add: {},
  request_headers_to_remove: {},
  response_headers_to_add: {},
  response_headers_to_remove: {},
};

export const ALLOWLIST: Allowlist = {
  // ── Listener ──────────────────────────────────────────────────────────────
  'envoy.config.listener.v3.Listener': {
    fields: {
      name: {},
      address: {},
      bind_to_port: {},
      use_original_dst: {},
      traffic_direction: { enum: ['UNSPECIFIED', 'INBOUND', 'OUTBOUND'], ...INFORMATIONAL },
      stat_prefix: {},
      listener_filters: {},
      listener_filters_timeout: {},
      continue_on_listener_filters_timeout: {},
      filter_chains: {},
      default_filter_chain: {},
      metadata: INFORMATIONAL,
      drain_type: { enum: ['DEFAULT'] },
    },
  },
  'envoy.config.core.v3.Address': { fields: { socket_address: {} } },
  'envoy.config.core.v3.SocketAddress': { fields: { address: {}, port_value: {}, protocol: { enum: ['TCP'] } } },
  'envoy.config.core.v3.CidrRange': { fields: { address_prefix: {}, prefix_len: {} } },
  'envoy.config.listener.v3.ListenerFilter': { fields: { name: {}, typed_config: { extensions: [ORIGINAL_DST, TLS_INSPECTOR] } } },
  [ORIGINAL_DST]: {},
  [TLS_INSPECTOR]: {},
  'envoy.config.listener.v3.FilterChain': {
    fields: {
      name: {},
      filter_chain_match: {},
      filters: {},
      transport_socket: { rule: 'envoy.config.core.v3.TransportSocket#downstream' },
      metadata: INFORMATIONAL,
    },
  },
  'envoy.config.listener.v3.FilterChainMatch': {
    fields: {
      destination_port: {},
      prefix_ranges: {},
      source_prefix_ranges: {},
      server_names: {},
      transport_protocol: {},
      application_protocols: {},
    },
  },
  'envoy.config.listener.v3.Filter': { fields: { name: {}, typed_config: { extensions: [TCP_PROXY, HCM, NETWORK_RBAC] } } },
  'envoy.config.core.v3.TransportSocket#downstream': { fields: { name: {}, typed_config: { extensions: [DOWNSTREAM_TLS] } } },
  'envoy.config.core.v3.TransportSocket#upstream': { fields: { name: {}, typed_config: { extensions: [UPSTREAM_TLS] } } },

  // ── Network filters ───────────────────────────────────────────────────────
  [TCP_PROXY]: {
    fields: { stat_prefix: {}, cluster: {}, weighted_clusters: {}, idle_timeout: {}, access_log: {}, max_connect_attempts: {} },
  },
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster': { fields: { clusters: {} } },
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight': { fields: { name: {}, weight: {} } },
  [HCM]: {
    fields: {
      stat_prefix: {},
      codec_type: { enum: ['AUTO', 'HTTP1', 'HTTP2'] },
      rds: {},
      route_config: {},
      http_filters: {},
      access_log: {},
      stream_idle_timeout: {},
      request_timeout: {},
      common_http_protocol_options: { rule: 'envoy.config.core.v3.HttpProtocolOptions#downstream' },
      http2_protocol_options: {},
      use_remote_address: {},
      xff_num_trusted_hops: {},
      server_name: {},
      generate_request_id: {},
    },
  },
  'envoy.extensions.filters.network.http_connection_manager.v3.Rds': { fields: { config_source: {}, route_config_name: {} } },
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter': {
    fields: { name: {}, typed_config: { extensions: [ROUTER, HTTP_RBAC] } },
  },
  'envoy.config.core.v3.HttpProtocolOptions#downstream': { fields: { idle_timeout: {} } },
  'envoy.config.core.v3.Http2ProtocolOptions': { fields: { max_concurrent_streams: {} } },
  [NETWORK_RBAC]: { fields: { stat_prefix: {}, rules: {} } },

  // ── HTTP filters ──────────────────────────────────────────────────────────
  [ROUTER]: {},
  [HTTP_RBAC]: { fields: { rules: {} } },

  // ── RBAC ──────────────────────────────────────────────────────────────────
  'envoy.config.rbac.v3.RBAC': { fields: { action: { enum: ['ALLOW', 'DENY'] }, policies: {} } },
  'envoy.config.rbac.v3.Policy': { fields: { permissions: {}, principals: {} } },
  'envoy.config.rbac.v3.Permission': {
    fields: {
      any: {},
      header: {},
      url_path: {},
      destination_ip: {},
      destination_port: {},
      destination_port_range: {},
      and_rules: {},
      or_rules: {},
      not_rule: {},
      requested_server_name: {},
    },
  },
  'envoy.config.rbac.v3.Permission.Set': { fields: { rules: {} } },
  'envoy.config.rbac.v3.Principal': {
    fields: {
      any: {},
      authenticated: {},
      source_ip: {},
      direct_remote_ip: {},
      remote_ip: {},
      header: {},
      url_path: {},
      and_ids: {},
      or_ids: {},
      not_id: {},
    },
  },
  'envoy.config.rbac.v3.Principal.Set': { fields: { ids: {} } },
  'envoy.config.rbac.v3.Principal.Authenticated': { fields: { principal_name: {} } },

  // ── Matchers ──────────────────────────────────────────────────────────────
  'envoy.type.matcher.v3.StringMatcher': {
    fields: { exact: {}, prefix: {}, suffix: {}, contains: {}, safe_regex: {}, ignore_case: {} },
  },
  'envoy.type.matcher.v3.RegexMatcher': { fields: { regex: {}, google_re2: {} } },
  'envoy.type.matcher.v3.RegexMatcher.GoogleRE2': {},
  'envoy.type.matcher.v3.PathMatcher': { fields: { path: {} } },
  'envoy.type.matcher.v3.RegexMatchAndSubstitute': { fields: { pattern: {}, substitution: {} } },
  'envoy.config.route.v3.HeaderMatcher': {
    fields: {
      name: {},
      exact_match: {},
      safe_regex_match: {},
      range_match: {},
      present_match: {},
      prefix_match: {},
      suffix_match: {},
      contains_match: {},
      string_match: {},
      invert_match: {},
      treat_missing_header_as_empty: {},
    },
  },
  'envoy.config.route.v3.QueryParameterMatcher': { fields: { name: {}, string_match: {}, present_match: {} } },
  'envoy.type.v3.Int64Range': { fields: { start: {}, end: {} } },
  'envoy.type.v3.Int32Range': { fields: { start: {}, end: {} } },

  // ── Routes ────────────────────────────────────────────────────────────────
  'envoy.config.route.v3.RouteConfiguration': {
    fields: { name: {}, virtual_hosts: {}, ...HEADER_MUTATIONS, validate_clusters: {}, metadata: INFORMATIONAL },
  },
  'envoy.config.route.v3.VirtualHost': {
    fields: { name: {}, domains: {}, routes: {}, ...HEADER_MUTATIONS, retry_policy: {}, metadata: INFORMATIONAL },
  },
  'envoy.config.route.v3.Route': {
    fields: { name: {}, match: {}, route: {}, redirect: {}, direct_response: {}, ...HEADER_MUTATIONS, metadata: INFORMATIONAL },
  },
  'envoy.config.route.v3.RouteMatch': {
    fields: {
      prefix: {},
      path: {},
      safe_regex: {},
      path_separated_prefix: {},
      case_sensitive: {},
      headers: {},
      query_parameters: {},
    },
  },
  'envoy.config.route.v3.RouteAction': {
    fields: {
      cluster: {},
      weighted_clusters: {},
      cluster_not_found_response_code: { enum: ['SERVICE_UNAVAILABLE', 'NOT_FOUND', 'INTERNAL_SERVER_ERROR'] },
      prefix_rewrite: {},
      regex_rewrite: {},
      host_rewrite_literal: {},
      auto_host_rewrite: {},
      timeout: {},
      retry_policy: {},
      request_mirror_policies: {},
      hash_policy: {},
    },
  },
  'envoy.config.route.v3.WeightedCluster': { fields: { clusters: {} } },
  'envoy.config.route.v3.WeightedCluster.ClusterWeight': { fields: { name: {}, weight: {}, ...HEADER_MUTATIONS } },
  'envoy.config.route.v3.RouteAction.RequestMirrorPolicy': { fields: { cluster: {}, runtime_fraction: {} } },
  'envoy.config.core.v3.RuntimeFractionalPercent': { fields: { default_value: {} } },
  'envoy.type.v3.FractionalPercent': { fields: { numerator: {}, denominator: { enum: ['HUNDRED', 'TEN_THOUSAND', 'MILLION'] } } },
  'envoy.config.route.v3.RouteAction.HashPolicy': {
    fields: { header: {}, connection_properties: {}, query_parameter: {}, terminal: {} },
  },
  'envoy.config.route.v3.RouteAction.HashPolicy.Header': { fields: { header_name: {} } },
  'envoy.config.route.v3.RouteAction.HashPolicy.ConnectionProperties': { fields: { source_ip: {} } },
  'envoy.config.route.v3.RouteAction.HashPolicy.QueryParameter': { fields: { name: {} } },
  'envoy.config.route.v3.RetryPolicy': {
    fields: { retry_on: { value: RETRY_ON }, num_retries: {}, per_try_timeout: {}, retriable_status_codes: {}, retry_back_off: {} },
  },
  'envoy.config.route.v3.RetryPolicy.RetryBackOff': { fields: { base_interval: {}, max_interval: {} } },
  'envoy.config.route.v3.RedirectAction': {
    fields: {
      scheme_redirect: {},
      https_redirect: {},
      host_redirect: {},
      port_redirect: {},
      path_redirect: {},
      prefix_rewrite: {},
      regex_rewrite: {},
      response_code: { enum: ['MOVED_PERMANENTLY', 'FOUND', 'SEE_OTHER', 'TEMPORARY_REDIRECT', 'PERMANENT_REDIRECT'] },
      strip_query: {},
    },
  },
  'envoy.config.route.v3.DirectResponseAction': {
    fields: { status: {}, body: { rule: 'envoy.config.core.v3.DataSource#inline' } },
  },
  'envoy.config.core.v3.HeaderValueOption': {
    fields: {
      header: {},
      append_action: { enum: ['APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD', 'OVERWRITE_IF_EXISTS'] },
      keep_empty_value: {},
      append: { note: 'deprecated; read as append_action' },
    },
  },
  'envoy.config.core.v3.HeaderValue': { fields: { key: {}, value: { value: HEADER_VALUE } } },

  // ── Clusters ──────────────────────────────────────────────────────────────
  'envoy.config.cluster.v3.Cluster': {
    fields: {
      name: {},
      type: { enum: ['STATIC', 'EDS', 'ORIGINAL_DST'] },
      eds_cluster_config: {},
      connect_timeout: {},
      lb_policy: { enum: ['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM', 'CLUSTER_PROVIDED'] },
      least_request_lb_config: {},
      ring_hash_lb_config: {},
      circuit_breakers: {},
      outlier_detection: {},
      health_checks: {},
      load_assignment: {},
      transport_socket: { rule: 'envoy.config.core.v3.TransportSocket#upstream' },
      typed_extension_protocol_options: { keys: [UPSTREAM_HTTP_OPTIONS], extensions: [UPSTREAM_HTTP_OPTIONS] },
      metadata: INFORMATIONAL,
    },
  },
  'envoy.config.cluster.v3.Cluster.EdsClusterConfig': { fields: { eds_config: {}, service_name: {} } },
  'envoy.config.cluster.v3.Cluster.LeastRequestLbConfig': { fields: { choice_count: {} } },
  'envoy.config.cluster.v3.Cluster.RingHashLbConfig': {
    fields: { minimum_ring_size: {}, maximum_ring_size: {}, hash_function: { enum: ['XX_HASH'] } },
  },
  'envoy.config.cluster.v3.CircuitBreakers': { fields: { thresholds: {} } },
  'envoy.config.cluster.v3.CircuitBreakers.Thresholds': {
    fields: { priority: { enum: ['DEFAULT'] }, max_connections: {}, max_pending_requests: {}, max_requests: {}, max_retries: {} },
  },
  'envoy.config.cluster.v3.OutlierDetection': {
    fields: {
      consecutive_5xx: {},
      consecutive_gateway_failure: {},
      interval: {},
      base_ejection_time: {},
      max_ejection_time: {},
      max_ejection_percent: {},
      enforcing_consecutive_5xx: {},
      enforcing_consecutive_gateway_failure: {},
    },
  },
  'envoy.config.core.v3.HealthCheck': {
    fields: {
      timeout: {},
      interval: {},
      unhealthy_threshold: {},
      healthy_threshold: {},
      http_health_check: {},
      tcp_health_check: {},
    },
  },
  'envoy.config.core.v3.HealthCheck.HttpHealthCheck': { fields: { path: {}, host: {}, expected_statuses: {} } },
  'envoy.config.core.v3.HealthCheck.TcpHealthCheck': { note: 'connect-only: no send/receive payloads' },
  [UPSTREAM_HTTP_OPTIONS]: {
    fields: {
      explicit_http_config: {},
      common_http_protocol_options: { rule: 'envoy.config.core.v3.HttpProtocolOptions#upstream' },
    },
  },
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig': {
    fields: { http_protocol_options: {}, http2_protocol_options: {} },
  },
  'envoy.config.core.v3.Http1ProtocolOptions': {},
  'envoy.config.core.v3.HttpProtocolOptions#upstream': { fields: { idle_timeout: {}, max_requests_per_connection: {} } },

  // ── Endpoints ─────────────────────────────────────────────────────────────
  'envoy.config.endpoint.v3.ClusterLoadAssignment': { fields: { cluster_name: {}, endpoints: {} } },
  'envoy.config.endpoint.v3.LocalityLbEndpoints': {
    fields: { locality: {}, lb_endpoints: {}, load_balancing_weight: {}, priority: { value: PRIORITY_ZERO }, metadata: INFORMATIONAL },
  },
  'envoy.config.endpoint.v3.LbEndpoint': {
    fields: {
      endpoint: {},
      health_status: { enum: ['UNKNOWN', 'HEALTHY', 'UNHEALTHY', 'DRAINING', 'TIMEOUT', 'DEGRADED'] },
      load_balancing_weight: {},
      metadata: INFORMATIONAL,
    },
  },
  'envoy.config.endpoint.v3.Endpoint': { fields: { address: {} } },

  // ── TLS and secrets ───────────────────────────────────────────────────────
  [UPSTREAM_TLS]: { fields: { common_tls_context: {}, sni: {} } },
  [DOWNSTREAM_TLS]: { fields: { common_tls_context: {}, require_client_certificate: {} } },
  'envoy.extensions.transport_sockets.tls.v3.CommonTlsContext': {
    fields: {
      tls_params: {},
      tls_certificates: {},
      tls_certificate_sds_secret_configs: {},
      validation_context: {},
      validation_context_sds_secret_config: {},
      combined_validation_context: {},
      alpn_protocols: {},
    },
  },
  'envoy.extensions.transport_sockets.tls.v3.CommonTlsContext.CombinedCertificateValidationContext': {
    fields: { default_validation_context: {}, validation_context_sds_secret_config: {} },
  },
  'envoy.extensions.transport_sockets.tls.v3.TlsParameters': {
    fields: {
      tls_minimum_protocol_version: { enum: ['TLS_AUTO', 'TLSv1_2', 'TLSv1_3'] },
      tls_maximum_protocol_version: { enum: ['TLS_AUTO', 'TLSv1_2', 'TLSv1_3'] },
    },
  },
  'envoy.extensions.transport_sockets.tls.v3.TlsCertificate': { fields: { certificate_chain: {}, private_key: {} } },
  'envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig': { fields: { name: {}, sds_config: {} } },
  'envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext': {
    fields: { trusted_ca: {}, match_typed_subject_alt_names: {} },
  },
  'envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher': { fields: { san_type: { enum: ['URI', 'DNS'] }, matcher: {} } },
  'envoy.extensions.transport_sockets.tls.v3.Secret': { fields: { name: {}, tls_certificate: {}, validation_context: {} } },
  'envoy.config.core.v3.DataSource': { fields: { inline_bytes: {}, inline_string: {}, filename: {} } },
  'envoy.config.core.v3.DataSource#inline': { fields: { inline_bytes: {}, inline_string: {} } },

  // ── Access logs ───────────────────────────────────────────────────────────
  'envoy.config.accesslog.v3.AccessLog': { fields: { name: {}, typed_config: { extensions: [STDOUT_LOG, STDERR_LOG, FILE_LOG] } } },
  [STDOUT_LOG]: { fields: { log_format: {} } },
  [STDERR_LOG]: { fields: { log_format: {} } },
  [FILE_LOG]: { fields: { path: {}, log_format: {} } },
  'envoy.config.core.v3.SubstitutionFormatString': { fields: { json_format: { value: ACCESS_LOG_JSON } } },

  // ── Config sources ────────────────────────────────────────────────────────
  'envoy.config.core.v3.ConfigSource': { fields: { ads: {}, resource_api_version: { enum: ['V3'] } } },
  'envoy.config.core.v3.AggregatedConfigSource': {},

  // ── Plain data: every field is read ───────────────────────────────────────
  'google.protobuf.Duration': { anyField: true },
  'google.protobuf.BoolValue': { anyField: true },
  'google.protobuf.UInt32Value': { anyField: true },
  'google.protobuf.UInt64Value': { anyField: true },
  'google.protobuf.Struct': { anyField: true },
  'envoy.config.core.v3.Metadata': { anyField: true, note: 'informational: changes no behaviour' },
  'envoy.config.core.v3.Locality': { anyField: true },
};

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
import {
  ACCESS_LOG_JSON,
  HEADER_VALUE,
  PRIORITY_ZERO,
  RETRY_ON,
  VALIDATE_CLUSTERS_FALSE,
  type ValueRule,
} from './predicates.js';

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
const STATEFUL_SESSION = 'envoy.extensions.filters.http.stateful_session.v3.StatefulSession';
const STATEFUL_SESSION_PER_ROUTE = 'envoy.extensions.filters.http.stateful_session.v3.StatefulSessionPerRoute';
const COOKIE_SESSION_STATE = 'envoy.extensions.http.stateful_session.cookie.v3.CookieBasedSessionState';
const HEADER_SESSION_STATE = 'envoy.extensions.http.stateful_session.header.v3.HeaderBasedSessionState';
const STDOUT_LOG = 'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog';
const STDERR_LOG = 'envoy.extensions.access_loggers.stream.v3.StderrAccessLog';
const FILE_LOG = 'envoy.extensions.access_loggers.file.v3.FileAccessLog';
const DOWNSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const UPSTREAM_HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const UDP_PROXY = 'envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig';
const UDP_ROUTE = 'envoy.extensions.filters.udp.udp_proxy.v3.Route';

// The tests cited as proof (paths from the repository root). check.test.ts
// verifies that every cited test exists.
const T = {
  e2e: 'e2e/node-proxy.test.ts',
  config: 'node-proxy/test/engine-config.test.ts',
  grpc: 'node-proxy/test/engine-grpc.test.ts',
  http: 'node-proxy/test/engine-http.test.ts',
  resilience: 'node-proxy/test/engine-resilience.test.ts',
  fHttp: 'node-proxy/test/engine-features-http.test.ts',
  fListener: 'node-proxy/test/engine-features-listener.test.ts',
  fTcp: 'node-proxy/test/engine-features-tcp.test.ts',
  udp: 'node-proxy/test/engine-udp.test.ts',
  session: 'node-proxy/test/engine-stateful-session.test.ts',
  accessLog: 'node-proxy/src/engine/access-log.features.test.ts',
  router: 'node-proxy/src/engine/http/router.test.ts',
  rbac: 'node-proxy/src/engine/rbac/engine.test.ts',
  actions: 'node-proxy/src/engine/routing/actions.test.ts',
  headers: 'node-proxy/src/engine/routing/headers.test.ts',
  match: 'node-proxy/src/engine/routing/match.test.ts',
  matchers: 'node-proxy/src/engine/routing/matchers.test.ts',
  redirect: 'node-proxy/src/engine/routing/redirect.test.ts',
  regex: 'node-proxy/src/engine/routing/regex.test.ts',
  vhosts: 'node-proxy/src/engine/routing/vhosts.test.ts',
  tls: 'node-proxy/src/engine/tls/tls.test.ts',
  dataSource: 'node-proxy/src/engine/tls/data-source.features.test.ts',
  breakers: 'node-proxy/src/engine/upstream/circuit-breakers.test.ts',
  cluster: 'node-proxy/src/engine/upstream/cluster.test.ts',
  healthCheck: 'node-proxy/src/engine/upstream/health-check.test.ts',
  fHealthCheck: 'node-proxy/src/engine/upstream/health-check.features.test.ts',
  fHosts: 'node-proxy/src/engine/upstream/hosts.features.test.ts',
  lb: 'node-proxy/src/engine/upstream/lb/lb.test.ts',
  outlier: 'node-proxy/src/engine/upstream/outlier.test.ts',
  fOutlier: 'node-proxy/src/engine/upstream/outlier.features.test.ts',
  fPoolHttp2: 'node-proxy/src/engine/upstream/pool-http2.features.test.ts',
  fClusterConfig: 'node-proxy/src/engine/upstream/cluster-config.features.test.ts',
  upstreamTls: 'node-proxy/src/engine/upstream/transport-tls.test.ts',
  xds: 'node-proxy/src/engine/xds-client.test.ts',
} as const;

/** A proof reference: "file: test name substring". */
function by(file: keyof typeof T, test: string): string {
  return `${T[file]}: ${test}`;
}

const INFORMATIONAL = 'informational: changes no behaviour';
const info = (proof: string): FieldRule => ({ note: INFORMATIONAL, proof });

const P = {
  tcpBothWays: by('config', 'proxies raw TCP both ways'),
  listenerUpdate: by('config', 'a listener update under load loses no in-flight request'),
  listenerInfo: by('fListener', 'informational fields (traffic_direction, metadata, chain names)'),
  chainByPort: by('fListener', 'filter_chain_match destination_port and prefix_ranges'),
  inspector: by('fListener', 'tls_inspector: server_names, application_protocols and transport_protocol'),
  downstreamTls: by('fListener', 'a filter chain transport_socket terminates TLS with a certificate from SDS'),
  networkRbac: by('fListener', 'network RBAC closes a denied connection'),
  httpRbac: by('fHttp', 'the HTTP RBAC filter denies matching requests'),
  routeInfo: by('fHttp', 'Route name is the access log %ROUTE_NAME%'),
  forwards: by('http', 'forwards to an EDS cluster, adding request and response headers'),
  routeUpdate: by('http', 'applies a route update to the next request'),
  split: by('http', 'splits by weight over 1,000 requests'),
  redirectDirect: by('http', 'redirects and answers directly'),
  levels: by('headers', 'by default evaluates route, virtual host, then route configuration'),
  perCluster: by('actions', 'per-cluster header mutations come first'),
  xds: by('xds', 'receives clusters and listeners, then the endpoints and routes they name'),
  upstreamTls: by('upstreamTls', 'connects when the chain is trusted and a URI SAN matches'),
  sds: by('upstreamTls', 'takes the client certificate and CA from SDS'),
  mirror: by('fHttp', 'request_mirror_policies sends a copy to the mirror cluster'),
  fractions: by('actions', 'fractions from runtime_fraction default_value'),
  hashPolicies: by('actions', 'header, query parameter and source ip'),
  redirect: (t: string) => by('redirect', t),
  e2e: by('e2e', 'routes HTTP by endpoint weight and TCP through tcp_proxy'),
  udpEcho: by('udp', 'echoes a datagram through udp_proxy routed by the matcher'),
  udpSessions: by('udp', 'two clients get two sessions, round robin over two hosts, each reply to its own client (endpoints marked UDP)'),
  udpStats: by('udp', 'stat_prefix names the udp stats'),
  udpRxSize: by('udp', 'max_rx_datagram_size drops larger datagrams and counts them'),
};

const headerMutations = (request: { add: string; remove: string }, response: { add: string; remove: string }): Readonly<Record<string, FieldRule>> => ({
  request_headers_to_add: { proof: request.add },
  request_headers_to_remove: { proof: request.remove },
  response_headers_to_add: { proof: response.add },
  response_headers_to_remove: { proof: response.remove },
});
const LEVEL_MUTATIONS = headerMutations({ add: P.levels, remove: P.levels }, { add: P.levels, remove: P.levels });

export const ALLOWLIST: Allowlist = {
  // ── Listener ──────────────────────────────────────────────────────────────
  'envoy.config.listener.v3.Listener': {
    fields: {
      name: { proof: P.listenerUpdate },
      address: { proof: P.tcpBothWays },
      bind_to_port: { proof: by('fListener', 'bind_to_port false leaves a listener unbound') },
      use_original_dst: { proof: P.e2e },
      traffic_direction: { enum: ['UNSPECIFIED', 'INBOUND', 'OUTBOUND'], ...info(P.listenerInfo) },
      listener_filters: { proof: P.inspector },
      listener_filters_timeout: { proof: by('fListener', 'listener_filters_timeout: continue_on_listener_filters_timeout') },
      continue_on_listener_filters_timeout: { proof: by('fListener', 'listener_filters_timeout: continue_on_listener_filters_timeout') },
      filter_chains: { proof: P.chainByPort },
      default_filter_chain: { proof: by('fListener', 'default_filter_chain takes a connection no chain matches') },
      metadata: info(P.listenerInfo),
      drain_type: { enum: ['DEFAULT'], note: 'an updated or removed listener drains its connections for --drain-time-s', proof: P.listenerUpdate },
      udp_listener_config: { note: 'read on UDP listeners only, as Envoy', proof: P.udpRxSize },
    },
  },
  'envoy.config.listener.v3.UdpListenerConfig': { fields: { downstream_socket_config: { proof: P.udpRxSize } } },
  'envoy.config.core.v3.UdpSocketConfig': {
    fields: {
      max_rx_datagram_size: { note: 'default 1500; larger datagrams are dropped (listener udp.downstream_rx_datagram_dropped)', proof: P.udpRxSize },
      prefer_gro: { note: 'informational: Envoy documents it as performance only; Node reads one datagram at a time', proof: P.udpRxSize },
    },
  },
  'envoy.config.core.v3.Address': { fields: { socket_address: { proof: P.tcpBothWays } } },
  'envoy.config.core.v3.SocketAddress': {
    fields: {
      address: { proof: P.tcpBothWays },
      port_value: { proof: P.tcpBothWays },
      protocol: {
        enum: ['TCP', 'UDP'],
        note:
          'on a listener, UDP makes a connection-less listener: no filter chains, udp_proxy as its listener filter, sessions keyed by the downstream address:port, each with its own upstream socket to a host of the cluster\'s load balancer; an updated listener ends its sessions, a removed one also closes its socket. On an endpoint it changes nothing, as in Envoy: the filter decides (tcp_proxy and HTTP connect over TCP, udp_proxy sends datagrams)',
        proof: P.udpSessions,
      },
    },
  },
  'envoy.config.core.v3.CidrRange': { fields: { address_prefix: { proof: P.chainByPort }, prefix_len: { proof: P.chainByPort } } },
  'envoy.config.listener.v3.ListenerFilter': {
    fields: { name: info(P.inspector), typed_config: { extensions: [ORIGINAL_DST, TLS_INSPECTOR, UDP_PROXY], proof: P.inspector } },
  },
  [ORIGINAL_DST]: { note: 'SO_ORIGINAL_DST (netfilter REDIRECT or the eBPF steering)', proof: P.e2e },
  [TLS_INSPECTOR]: {
    note: 'SNI and ALPN from the ClientHello; the chain may pass TLS through or terminate it',
    proof: by('fListener', 'terminates TLS on a chain chosen behind tls_inspector'),
  },
  'envoy.config.listener.v3.FilterChain': {
    fields: {
      name: info(P.listenerInfo),
      filter_chain_match: { proof: P.chainByPort },
      filters: { proof: P.tcpBothWays },
      transport_socket: { rule: 'envoy.config.core.v3.TransportSocket#downstream', proof: P.downstreamTls },
      metadata: info(P.listenerInfo),
    },
  },
  'envoy.config.listener.v3.FilterChainMatch': {
    fields: {
      destination_port: { proof: P.chainByPort },
      prefix_ranges: { proof: P.chainByPort },
      source_prefix_ranges: { proof: by('fListener', 'default_filter_chain takes a connection no chain matches (source_prefix_ranges') },
      server_names: { proof: P.inspector },
      transport_protocol: { proof: P.inspector },
      application_protocols: { proof: P.inspector },
    },
  },
  'envoy.config.listener.v3.Filter': {
    fields: { name: info(P.tcpBothWays), typed_config: { extensions: [TCP_PROXY, HCM, NETWORK_RBAC], proof: P.networkRbac } },
  },
  'envoy.config.core.v3.TransportSocket#downstream': {
    fields: { name: info(P.downstreamTls), typed_config: { extensions: [DOWNSTREAM_TLS], proof: P.downstreamTls } },
  },
  'envoy.config.core.v3.TransportSocket#upstream': {
    fields: { name: info(P.upstreamTls), typed_config: { extensions: [UPSTREAM_TLS], proof: P.upstreamTls } },
  },

  // ── UDP listener filters ──────────────────────────────────────────────────
  [UDP_PROXY]: {
    fields: {
      stat_prefix: { note: 'tags the envoy_udp_* stats', proof: P.udpStats },
      cluster: { proof: by('udp', 'the deprecated cluster field routes as the matcher does') },
      matcher: { rule: 'xds.type.matcher.v3.Matcher#udp_proxy', proof: P.udpEcho },
      idle_timeout: { note: 'default 60 s', proof: by('udp', 'idle_timeout ends a quiet session') },
    },
  },
  'xds.type.matcher.v3.Matcher#udp_proxy': {
    fields: {
      on_no_match: {
        rule: 'xds.type.matcher.v3.Matcher.OnMatch#udp_proxy',
        note: 'the only field (no matcher_list or matcher_tree): every datagram takes its route; a matcher without it routes nothing (downstream_sess_no_route)',
        proof: P.udpEcho,
      },
    },
  },
  'xds.type.matcher.v3.Matcher.OnMatch#udp_proxy': {
    fields: { action: { rule: 'xds.core.v3.TypedExtensionConfig#udp_proxy', proof: P.udpEcho } },
  },
  'xds.core.v3.TypedExtensionConfig#udp_proxy': {
    fields: { name: info(P.udpEcho), typed_config: { extensions: [UDP_ROUTE], proof: P.udpEcho } },
  },
  [UDP_ROUTE]: {
    fields: { cluster: { note: 'a cluster that does not exist drops the datagram (downstream_sess_no_route)', proof: P.udpEcho } },
  },

  // ── Network filters ───────────────────────────────────────────────────────
  [TCP_PROXY]: {
    fields: {
      stat_prefix: { note: 'tags the envoy_tcp_* stats', proof: by('fTcp', 'stat_prefix tags the tcp_proxy stats') },
      cluster: { proof: P.tcpBothWays },
      weighted_clusters: { proof: by('fTcp', 'weighted_clusters picks a cluster per connection by weight') },
      idle_timeout: { proof: by('fTcp', 'idle_timeout closes a connection with no bytes either way') },
      access_log: { proof: by('fTcp', 'access_log writes one line per connection') },
      max_connect_attempts: { proof: by('fTcp', 'max_connect_attempts retries a failed connect on the next host') },
    },
  },
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster': {
    fields: { clusters: { proof: by('fTcp', 'weighted_clusters picks a cluster per connection by weight') } },
  },
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight': {
    fields: {
      name: { proof: by('fTcp', 'weighted_clusters picks a cluster per connection by weight') },
      weight: { proof: by('fTcp', 'weighted_clusters picks a cluster per connection by weight') },
    },
  },
  [HCM]: {
    fields: {
      stat_prefix: { note: 'tags the envoy_http_* stats', proof: by('config', 'serves Envoy-named Prometheus stats') },
      codec_type: {
        enum: ['AUTO', 'HTTP1', 'HTTP2'],
        proof: by('fHttp', 'codec_type HTTP1 serves HTTP/1.1 and refuses an HTTP/2 preface; HTTP2 serves h2c'),
      },
      rds: { proof: P.routeUpdate },
      route_config: { proof: by('fHttp', 'route_config inline serves its routes without RDS') },
      http_filters: { proof: P.httpRbac },
      access_log: { proof: by('config', 'writes one JSON access log line per request') },
      common_http_protocol_options: {
        rule: 'envoy.config.core.v3.HttpProtocolOptions#downstream',
        proof: by('fHttp', 'common_http_protocol_options.idle_timeout closes an idle downstream connection'),
      },
      server_name: { proof: by('fHttp', 'server_name is the Server header') },
      generate_request_id: { proof: by('fHttp', 'generate_request_id true (explicit or default)') },
    },
  },
  'envoy.extensions.filters.network.http_connection_manager.v3.Rds': {
    fields: { config_source: { proof: P.routeUpdate }, route_config_name: { proof: P.routeUpdate } },
  },
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter': {
    fields: {
      name: { note: 'the key of the filter\'s typed_per_filter_config on routes', proof: by('session', 'a per-route config replaces the session') },
      typed_config: { extensions: [ROUTER, HTTP_RBAC, STATEFUL_SESSION], proof: P.httpRbac },
    },
  },
  [STATEFUL_SESSION]: {
    fields: {
      session_state: { rule: 'envoy.config.core.v3.TypedExtensionConfig#session_state', proof: by('session', 'keeps reaching the backend that first served it') },
      strict: { proof: by('session', 'strict answers 503') },
    },
  },
  'envoy.config.core.v3.TypedExtensionConfig#session_state': {
    fields: {
      name: info(by('session', 'keeps reaching the backend that first served it')),
      typed_config: { extensions: [COOKIE_SESSION_STATE, HEADER_SESSION_STATE], proof: by('session', 'a per-route config replaces the session with a header one') },
    },
  },
  [COOKIE_SESSION_STATE]: { fields: { cookie: { proof: by('session', 'keeps reaching the backend that first served it') } } },
  'envoy.type.http.v3.Cookie': {
    fields: {
      name: { proof: by('session', 'keeps reaching the backend that first served it') },
      ttl: { note: 'Max-Age; none (a session cookie) when unset or 0', proof: by('session', 'keeps reaching the backend that first served it') },
      path: { proof: by('session', 'keeps reaching the backend that first served it') },
    },
  },
  [HEADER_SESSION_STATE]: { fields: { name: { proof: by('session', 'a per-route config replaces the session with a header one') } } },
  [STATEFUL_SESSION_PER_ROUTE]: {
    fields: {
      disabled: { proof: by('session', 'or disables it') },
      stateful_session: { proof: by('session', 'a per-route config replaces the session with a header one') },
    },
  },
  'envoy.config.core.v3.HttpProtocolOptions#downstream': {
    fields: { idle_timeout: { proof: by('fHttp', 'common_http_protocol_options.idle_timeout closes an idle downstream connection') } },
  },
  'envoy.config.core.v3.Http2ProtocolOptions': {
    note: 'upstream clusters only: the connection manager does not take http2_protocol_options',
    fields: { max_concurrent_streams: { proof: by('fPoolHttp2', 'max_concurrent_streams caps the streams on one upstream connection') } },
  },
  [NETWORK_RBAC]: {
    fields: { stat_prefix: { note: 'tags the envoy_rbac_* stats', proof: P.networkRbac }, rules: { proof: P.networkRbac } },
  },

  // ── HTTP filters ──────────────────────────────────────────────────────────
  [ROUTER]: { proof: P.forwards },
  [HTTP_RBAC]: { fields: { rules: { proof: P.httpRbac } } },

  // ── RBAC ──────────────────────────────────────────────────────────────────
  'envoy.config.rbac.v3.RBAC': {
    fields: {
      action: { enum: ['ALLOW', 'DENY'], proof: by('rbac', 'DENY denies iff a policy matches') },
      policies: { proof: by('rbac', 'ALLOW allows iff a policy matches') },
    },
  },
  'envoy.config.rbac.v3.Policy': {
    fields: {
      permissions: { proof: by('rbac', 'a policy needs a matching permission and a matching principal') },
      principals: { proof: by('rbac', 'a policy needs a matching permission and a matching principal') },
    },
  },
  'envoy.config.rbac.v3.Permission': {
    fields: {
      any: { proof: by('rbac', 'the first matching policy in name order') },
      header: { proof: by('rbac', 'header and url_path on requests; never on connections') },
      url_path: { proof: by('rbac', 'header and url_path on requests; never on connections') },
      destination_ip: { proof: by('rbac', 'destination_ip (IPv4 and IPv6)') },
      destination_port: { proof: by('rbac', 'destination_port and destination_port_range') },
      destination_port_range: { proof: by('rbac', 'destination_port and destination_port_range') },
      and_rules: { proof: by('rbac', 'and_rules, or_rules, not_rule') },
      or_rules: { proof: by('rbac', 'and_rules, or_rules, not_rule') },
      not_rule: { proof: by('rbac', 'and_rules, or_rules, not_rule') },
      requested_server_name: { note: 'the SNI tls_inspector found', proof: by('rbac', 'requested_server_name') },
    },
  },
  'envoy.config.rbac.v3.Permission.Set': { fields: { rules: { proof: by('rbac', 'and_rules, or_rules, not_rule') } } },
  'envoy.config.rbac.v3.Principal': {
    fields: {
      any: { proof: by('rbac', 'the first matching policy in name order') },
      authenticated: { proof: by('rbac', 'authenticated tries URI SANs, then DNS SANs, then the subject') },
      source_ip: { proof: by('rbac', 'source_ip and direct_remote_ip use the connection peer') },
      direct_remote_ip: { proof: by('rbac', 'source_ip and direct_remote_ip use the connection peer') },
      remote_ip: {
        note: 'the connection peer: X-Forwarded-For is never consulted (Envoy, with use_remote_address false, takes it from XFF)',
        proof: by('rbac', 'source_ip and direct_remote_ip use the connection peer; remote_ip the request remote address'),
      },
      header: { proof: by('rbac', 'header and url_path principals') },
      url_path: { proof: by('rbac', 'header and url_path principals') },
      and_ids: { proof: by('rbac', 'and_ids, or_ids, not_id') },
      or_ids: { proof: by('rbac', 'and_ids, or_ids, not_id') },
      not_id: { proof: by('rbac', 'and_ids, or_ids, not_id') },
    },
  },
  'envoy.config.rbac.v3.Principal.Set': { fields: { ids: { proof: by('rbac', 'and_ids, or_ids, not_id') } } },
  'envoy.config.rbac.v3.Principal.Authenticated': {
    fields: { principal_name: { proof: by('rbac', 'authenticated principal_name matches the URI SAN') } },
  },

  // ── Matchers ──────────────────────────────────────────────────────────────
  'envoy.type.matcher.v3.StringMatcher': {
    fields: {
      exact: { proof: by('matchers', 'exact, prefix, suffix, contains are case-sensitive by default') },
      prefix: { proof: by('matchers', 'exact, prefix, suffix, contains are case-sensitive by default') },
      suffix: { proof: by('matchers', 'exact, prefix, suffix, contains are case-sensitive by default') },
      contains: { proof: by('matchers', 'exact, prefix, suffix, contains are case-sensitive by default') },
      safe_regex: { proof: by('matchers', 'safe_regex must match the whole value') },
      ignore_case: { proof: by('matchers', 'ignore_case folds ASCII only') },
    },
  },
  'envoy.type.matcher.v3.RegexMatcher': {
    fields: {
      regex: { note: 'RE2 syntax, translated; what RE2 refuses is NACKed', proof: by('regex', 'full-matches: a partial match is not a match') },
      google_re2: { note: 'deprecated and empty: RE2 is the only engine', proof: by('regex', 'full-matches: a partial match is not a match') },
    },
  },
  'envoy.type.matcher.v3.RegexMatcher.GoogleRE2': { proof: by('regex', 'full-matches: a partial match is not a match') },
  'envoy.type.matcher.v3.PathMatcher': { fields: { path: { proof: by('rbac', 'DENY denies iff a policy matches') } } },
  'envoy.type.matcher.v3.RegexMatchAndSubstitute': {
    fields: {
      pattern: { proof: by('actions', 'regex_rewrite substitutes groups over the path without query') },
      substitution: { proof: by('actions', 'regex_rewrite substitutes groups over the path without query') },
    },
  },
  'envoy.config.route.v3.HeaderMatcher': {
    fields: {
      name: { proof: by('matchers', 'matches the name case-insensitively') },
      exact_match: { proof: by('matchers', 'exact_match') },
      safe_regex_match: { proof: by('matchers', 'safe_regex_match is a full match') },
      range_match: { proof: by('matchers', 'range_match is [start, end) over signed 64-bit integers') },
      present_match: { proof: by('matchers', 'present_match true and false, with missing headers') },
      prefix_match: { proof: by('matchers', 'prefix_match, suffix_match, contains_match are case-sensitive') },
      suffix_match: { proof: by('matchers', 'prefix_match, suffix_match, contains_match are case-sensitive') },
      contains_match: { proof: by('matchers', 'prefix_match, suffix_match, contains_match are case-sensitive') },
      string_match: { proof: by('http', 'matches method, query parameter and header presence') },
      invert_match: { proof: by('matchers', 'invert_match on a missing header only matches for present_match true') },
      treat_missing_header_as_empty: { proof: by('matchers', 'treat_missing_header_as_empty matches a missing header as ""') },
    },
  },
  'envoy.config.route.v3.QueryParameterMatcher': {
    fields: {
      name: { proof: by('matchers', 'string_match and present_match') },
      string_match: { proof: by('http', 'matches method, query parameter and header presence') },
      present_match: { proof: by('matchers', 'string_match and present_match') },
    },
  },
  'envoy.type.v3.Int64Range': {
    fields: {
      start: { proof: by('matchers', 'range_match is [start, end) over signed 64-bit integers') },
      end: { proof: by('matchers', 'range_match is [start, end) over signed 64-bit integers') },
    },
  },
  'envoy.type.v3.Int32Range': {
    fields: {
      start: { proof: by('rbac', 'destination_port and destination_port_range [start, end)') },
      end: { proof: by('rbac', 'destination_port and destination_port_range [start, end)') },
    },
  },

  // ── Routes ────────────────────────────────────────────────────────────────
  'envoy.config.route.v3.RouteConfiguration': {
    fields: {
      name: { proof: P.routeUpdate },
      virtual_hosts: { proof: by('http', 'selects the virtual host by domain (with port)') },
      ...LEVEL_MUTATIONS,
      validate_clusters: { value: VALIDATE_CLUSTERS_FALSE, proof: by('fHttp', 'validate_clusters false: a route naming a missing cluster is accepted') },
      metadata: info(P.routeInfo),
    },
  },
  'envoy.config.route.v3.VirtualHost': {
    fields: {
      name: info(by('http', 'selects the virtual host by domain (with port)')),
      domains: { proof: by('vhosts', 'prefers an exact domain over any wildcard') },
      routes: { proof: by('match', 'the first matching route wins') },
      ...headerMutations({ add: P.forwards, remove: P.levels }, { add: P.levels, remove: P.levels }),
      retry_policy: { proof: by('actions', 'the route policy replaces the virtual host policy entirely') },
      metadata: info(P.routeInfo),
    },
  },
  'envoy.config.route.v3.Route': {
    fields: {
      name: { note: 'the access log %ROUTE_NAME%', proof: P.routeInfo },
      match: { proof: by('match', 'prefix ignores the query string') },
      route: { proof: P.forwards },
      redirect: { proof: P.redirectDirect },
      direct_response: { proof: P.redirectDirect },
      ...headerMutations({ add: by('fHttp', 'header value operators expand in forwarded requests and responses'), remove: P.levels }, { add: P.forwards, remove: P.levels }),
      metadata: info(P.routeInfo),
      typed_per_filter_config: {
        note: 'route level only; for envoy.filters.http.stateful_session',
        extensions: [STATEFUL_SESSION_PER_ROUTE],
        proof: by('session', 'a per-route config replaces the session with a header one'),
      },
    },
  },
  'envoy.config.route.v3.RouteMatch': {
    fields: {
      prefix: { proof: by('match', 'prefix ignores the query string') },
      path: { proof: by('match', 'path is exact on the path without query') },
      safe_regex: { proof: by('match', 'safe_regex matches the whole path without query') },
      path_separated_prefix: { proof: by('match', 'path_separated_prefix matches whole segments') },
      case_sensitive: { proof: by('match', 'case_sensitive false folds prefix, path and path_separated_prefix but not regex') },
      headers: { proof: by('http', 'matches method, query parameter and header presence') },
      query_parameters: { proof: by('http', 'matches method, query parameter and header presence') },
    },
  },
  'envoy.config.route.v3.RouteAction': {
    fields: {
      cluster: { proof: P.forwards },
      weighted_clusters: { proof: P.split },
      cluster_not_found_response_code: {
        enum: ['SERVICE_UNAVAILABLE', 'NOT_FOUND', 'INTERNAL_SERVER_ERROR'],
        proof: by('actions', 'cluster_not_found_response_code'),
      },
      prefix_rewrite: { proof: by('http', 'rewrites the prefix and the host') },
      regex_rewrite: { proof: by('actions', 'regex_rewrite substitutes groups over the path without query') },
      host_rewrite_literal: { proof: by('http', 'rewrites the prefix and the host') },
      auto_host_rewrite: {
        note: 'no effect, as in Envoy: only STRICT_DNS/LOGICAL_DNS clusters and Endpoint.hostname give a host a hostname, and the engine NACKs both',
        proof: by('fHttp', 'auto_host_rewrite keeps the Host'),
      },
      timeout: { proof: by('resilience', 'the route timeout answers 504') },
      retry_policy: { proof: by('resilience', 'retries 5xx: two failures then success are three attempts') },
      request_mirror_policies: { proof: P.mirror },
      hash_policy: { proof: by('fHttp', 'hash_policy on a header keeps each user on one RING_HASH backend') },
    },
  },
  'envoy.config.route.v3.WeightedCluster': { fields: { clusters: { proof: P.split } } },
  'envoy.config.route.v3.WeightedCluster.ClusterWeight': {
    fields: {
      name: { proof: P.split },
      weight: { proof: P.split },
      ...headerMutations({ add: P.perCluster, remove: P.perCluster }, { add: P.perCluster, remove: P.perCluster }),
    },
  },
  'envoy.config.route.v3.RouteAction.RequestMirrorPolicy': {
    fields: { cluster: { proof: P.mirror }, runtime_fraction: { note: 'default_value only: there is no runtime', proof: P.fractions } },
  },
  'envoy.config.core.v3.RuntimeFractionalPercent': { fields: { default_value: { proof: P.fractions } } },
  'envoy.type.v3.FractionalPercent': {
    fields: { numerator: { proof: P.fractions }, denominator: { enum: ['HUNDRED', 'TEN_THOUSAND', 'MILLION'], proof: P.fractions } },
  },
  'envoy.config.route.v3.RouteAction.HashPolicy': {
    fields: {
      header: { proof: by('fHttp', 'hash_policy on a header keeps each user on one RING_HASH backend') },
      connection_properties: { proof: P.hashPolicies },
      query_parameter: { proof: P.hashPolicies },
      terminal: { proof: by('actions', 'every producing policy contributes until a terminal one produced') },
    },
  },
  'envoy.config.route.v3.RouteAction.HashPolicy.Header': {
    fields: { header_name: { proof: by('fHttp', 'hash_policy on a header keeps each user on one RING_HASH backend') } },
  },
  'envoy.config.route.v3.RouteAction.HashPolicy.ConnectionProperties': { fields: { source_ip: { proof: P.hashPolicies } } },
  'envoy.config.route.v3.RouteAction.HashPolicy.QueryParameter': { fields: { name: { proof: P.hashPolicies } } },
  'envoy.config.route.v3.RetryPolicy': {
    fields: {
      retry_on: { value: RETRY_ON, proof: by('resilience', 'retries 5xx: two failures then success are three attempts') },
      num_retries: { proof: by('resilience', 'gives up after num_retries and returns the last upstream answer') },
      per_try_timeout: { proof: by('resilience', 'a per-try timeout abandons the slow attempt and the retry answers') },
      retriable_status_codes: { proof: by('fHttp', 'retriable_status_codes retries a listed status') },
      retry_back_off: { proof: by('router', 'back-off is jittered exponential, capped by max') },
    },
  },
  'envoy.config.route.v3.RetryPolicy.RetryBackOff': {
    fields: {
      base_interval: { note: 'read as the router back-off (proof of the jitter: router.test.ts)', proof: by('actions', 'reads every field; num_retries 0 is explicit') },
      max_interval: { note: 'read as the router back-off (proof of the jitter: router.test.ts)', proof: by('actions', 'reads every field; num_retries 0 is explicit') },
    },
  },
  'envoy.config.route.v3.RedirectAction': {
    fields: {
      scheme_redirect: { proof: P.redirect('scheme_redirect') },
      https_redirect: { proof: P.redirect('https_redirect drops the default port of the old scheme only') },
      host_redirect: { proof: P.redirect('host_redirect replaces host and port; port_redirect replaces the port') },
      port_redirect: { proof: P.redirect('host_redirect replaces host and port; port_redirect replaces the port') },
      path_redirect: { proof: P.redirect('path_redirect keeps the request query unless it has its own') },
      prefix_rewrite: { proof: P.redirect('prefix_rewrite replaces the matched prefix') },
      regex_rewrite: { proof: P.redirect('regex_rewrite rewrites the whole path even on a prefix route') },
      response_code: { enum: ['MOVED_PERMANENTLY', 'FOUND', 'SEE_OTHER', 'TEMPORARY_REDIRECT', 'PERMANENT_REDIRECT'], proof: P.redirect('response codes') },
      strip_query: { proof: P.redirect('strip_query, except for path_redirect’s own query') },
    },
  },
  'envoy.config.route.v3.DirectResponseAction': {
    fields: {
      status: {
        note: '201 and 3xx answers carry the request URI as Location, as Envoy adds it',
        proof: by('fHttp', 'a 3xx direct_response carries the request URI as Location'),
      },
      body: { rule: 'envoy.config.core.v3.DataSource#inline', proof: P.redirectDirect },
    },
  },
  'envoy.config.core.v3.HeaderValueOption': {
    fields: {
      header: { proof: by('headers', 'APPEND_IF_EXISTS_OR_ADD adds another value') },
      append_action: {
        enum: ['APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD', 'OVERWRITE_IF_EXISTS'],
        proof: by('headers', 'OVERWRITE_IF_EXISTS_OR_ADD replaces every value or adds'),
      },
      keep_empty_value: { proof: by('headers', 'skips empty values unless keep_empty_value') },
      append: { note: 'deprecated; read as append_action', proof: by('headers', 'legacy append maps to append or overwrite') },
    },
  },
  'envoy.config.core.v3.HeaderValue': {
    fields: {
      key: { proof: by('fHttp', 'header value operators expand in forwarded requests and responses') },
      value: { value: HEADER_VALUE, proof: by('fHttp', 'header value operators expand in forwarded requests and responses') },
    },
  },

  // ── Clusters ──────────────────────────────────────────────────────────────
  'envoy.config.cluster.v3.Cluster': {
    fields: {
      name: { proof: P.forwards },
      type: { enum: ['STATIC', 'EDS', 'ORIGINAL_DST'], proof: by('cluster', 'ORIGINAL_DST connects to LbContext.originalDst') },
      eds_cluster_config: { proof: by('cluster', 'an EDS update keeps an existing host and its pooled connection') },
      connect_timeout: { proof: by('cluster', 'a handshake that never completes fails after connect_timeout') },
      lb_policy: {
        enum: ['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM', 'CLUSTER_PROVIDED'],
        proof: by('cluster', 'LEAST_REQUEST prefers the idle backend over a busy one'),
      },
      least_request_lb_config: { proof: by('fClusterConfig', 'least_request_lb_config choice_count is the number of hosts sampled') },
      ring_hash_lb_config: { proof: by('fClusterConfig', 'ring_hash_lb_config sizes the ring') },
      circuit_breakers: { proof: by('resilience', 'overflow beyond max_requests and max_pending_requests is answered 503') },
      outlier_detection: { proof: by('resilience', 'ejects a host after consecutive 5xx, then brings it back') },
      health_checks: { note: 'the first health check only', proof: by('healthCheck', 'routes only to hosts that pass') },
      load_assignment: { proof: P.tcpBothWays },
      transport_socket: { rule: 'envoy.config.core.v3.TransportSocket#upstream', proof: P.upstreamTls },
      typed_extension_protocol_options: {
        keys: [UPSTREAM_HTTP_OPTIONS],
        extensions: [UPSTREAM_HTTP_OPTIONS],
        proof: by('grpc', 'carries unary gRPC calls (trailers included)'),
      },
      metadata: info(P.listenerInfo),
    },
  },
  'envoy.config.cluster.v3.Cluster.EdsClusterConfig': {
    fields: {
      eds_config: { note: 'ADS only', proof: P.xds },
      service_name: { proof: by('cluster', 'an EDS update keeps an existing host and its pooled connection') },
    },
  },
  'envoy.config.cluster.v3.Cluster.LeastRequestLbConfig': {
    fields: { choice_count: { proof: by('fClusterConfig', 'least_request_lb_config choice_count is the number of hosts sampled') } },
  },
  'envoy.config.cluster.v3.Cluster.RingHashLbConfig': {
    fields: {
      minimum_ring_size: { proof: by('fClusterConfig', 'ring_hash_lb_config sizes the ring') },
      maximum_ring_size: { proof: by('fClusterConfig', 'ring_hash_lb_config sizes the ring') },
      hash_function: { enum: ['XX_HASH'], proof: by('lb', 'builds a ring of minimum_ring_size entries from xxHash64') },
    },
  },
  'envoy.config.cluster.v3.CircuitBreakers': {
    fields: { thresholds: { proof: by('breakers', 'max_connections 1 + max_pending_requests 1: the third concurrent request overflows') } },
  },
  'envoy.config.cluster.v3.CircuitBreakers.Thresholds': {
    fields: {
      priority: { enum: ['DEFAULT'], proof: by('breakers', 'max_connections 1 + max_pending_requests 1: the third concurrent request overflows') },
      max_connections: { proof: by('breakers', 'max_connections 1 + max_pending_requests 1: the third concurrent request overflows') },
      max_pending_requests: { proof: by('breakers', 'max_connections 1 + max_pending_requests 1: the third concurrent request overflows') },
      max_requests: { proof: by('breakers', 'max_requests bounds active requests') },
      max_retries: { proof: by('breakers', 'max_retries: tryRetry fails past the limit') },
    },
  },
  'envoy.config.cluster.v3.OutlierDetection': {
    fields: {
      consecutive_5xx: { proof: by('outlier', 'ejects a backend after five consecutive 5xx') },
      consecutive_gateway_failure: { proof: by('outlier', 'consecutive gateway failures are detected but, by default, not enforced') },
      interval: { proof: by('outlier', 'ejects a backend after five consecutive 5xx, then returns it after base_ejection_time') },
      base_ejection_time: { proof: by('outlier', 'ejects a backend after five consecutive 5xx, then returns it after base_ejection_time') },
      max_ejection_time: { proof: by('fOutlier', 'max_ejection_time caps the ejection') },
      max_ejection_percent: { proof: by('outlier', 'with the default max_ejection_percent (10%) no host of two is ejected') },
      enforcing_consecutive_5xx: { proof: by('fOutlier', 'enforcing_consecutive_5xx 0 detects but never ejects') },
      enforcing_consecutive_gateway_failure: { proof: by('outlier', 'consecutive gateway failures are detected but, by default, not enforced') },
    },
  },
  'envoy.config.core.v3.HealthCheck': {
    fields: {
      timeout: { proof: by('fHealthCheck', 'timeout fails a check the host answers too late') },
      interval: { note: 'after the cluster has had traffic; before, every 60 s (no_traffic_interval)', proof: by('healthCheck', 'routes only to hosts that pass') },
      unhealthy_threshold: { proof: by('healthCheck', 'TCP checks need unhealthy_threshold connect failures') },
      healthy_threshold: { proof: by('healthCheck', 'returns after healthy_threshold passes') },
      http_health_check: { proof: by('healthCheck', 'routes only to hosts that pass') },
      tcp_health_check: { proof: by('healthCheck', 'TCP checks need unhealthy_threshold connect failures') },
    },
  },
  'envoy.config.core.v3.HealthCheck.HttpHealthCheck': {
    fields: {
      path: { proof: by('healthCheck', 'routes only to hosts that pass') },
      host: { proof: by('healthCheck', 'expected_statuses replaces the default of 200 only') },
      expected_statuses: { proof: by('healthCheck', 'expected_statuses replaces the default of 200 only') },
    },
  },
  'envoy.config.core.v3.HealthCheck.TcpHealthCheck': {
    note: 'connect-only: no send/receive payloads',
    proof: by('healthCheck', 'TCP checks need unhealthy_threshold connect failures'),
  },
  [UPSTREAM_HTTP_OPTIONS]: {
    fields: {
      explicit_http_config: { proof: by('grpc', 'serves an HTTP/2 (h2c prior knowledge) client from an HTTP/1.1 backend') },
      common_http_protocol_options: {
        rule: 'envoy.config.core.v3.HttpProtocolOptions#upstream',
        proof: by('cluster', 'closes a connection after idle_timeout and after max_requests_per_connection'),
      },
    },
  },
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig': {
    fields: {
      http_protocol_options: { proof: by('cluster', 'closes a connection after idle_timeout and after max_requests_per_connection') },
      http2_protocol_options: { proof: by('grpc', 'carries unary gRPC calls (trailers included)') },
    },
  },
  'envoy.config.core.v3.Http1ProtocolOptions': { proof: by('cluster', 'closes a connection after idle_timeout and after max_requests_per_connection') },
  'envoy.config.core.v3.HttpProtocolOptions#upstream': {
    fields: {
      idle_timeout: { proof: by('cluster', 'closes a connection after idle_timeout and after max_requests_per_connection') },
      max_requests_per_connection: { proof: by('cluster', 'closes a connection after idle_timeout and after max_requests_per_connection') },
    },
  },

  // ── Endpoints ─────────────────────────────────────────────────────────────
  'envoy.config.endpoint.v3.ClusterLoadAssignment': {
    fields: {
      cluster_name: { note: 'informational: endpoints are keyed by the resource name (Envoy also checks the two agree)', proof: P.xds },
      endpoints: { proof: P.forwards },
    },
  },
  'envoy.config.endpoint.v3.LocalityLbEndpoints': {
    fields: {
      locality: { note: INFORMATIONAL, proof: by('fHosts', 'locality and its load_balancing_weight do not change endpoint weights') },
      lb_endpoints: { proof: P.forwards },
      load_balancing_weight: {
        note: 'no effect, as in Envoy without locality_weighted_lb_config (which the engine NACKs)',
        proof: by('fHosts', 'locality and its load_balancing_weight do not change endpoint weights'),
      },
      priority: { value: PRIORITY_ZERO, proof: by('fHosts', 'priority 0 endpoints are the hosts') },
      metadata: info(by('fHosts', 'locality and its load_balancing_weight do not change endpoint weights')),
    },
  },
  'envoy.config.endpoint.v3.LbEndpoint': {
    fields: {
      endpoint: { proof: P.forwards },
      health_status: {
        enum: ['UNKNOWN', 'HEALTHY', 'UNHEALTHY', 'DRAINING', 'TIMEOUT', 'DEGRADED'],
        note: 'DEGRADED counts as healthy (no degraded tier)',
        proof: by('cluster', 'uses all hosts when fewer than 50% are healthy (panic)'),
      },
      load_balancing_weight: { proof: by('cluster', 'weighted ROUND_ROBIN sends 1:2:3') },
      metadata: info(by('fHosts', 'locality and its load_balancing_weight do not change endpoint weights')),
    },
  },
  'envoy.config.endpoint.v3.Endpoint': { fields: { address: { proof: P.forwards } } },

  // ── TLS and secrets ───────────────────────────────────────────────────────
  [UPSTREAM_TLS]: {
    fields: {
      common_tls_context: { proof: P.upstreamTls },
      sni: { proof: by('upstreamTls', 'sends SNI only when configured') },
    },
  },
  [DOWNSTREAM_TLS]: {
    fields: {
      common_tls_context: { proof: P.downstreamTls },
      require_client_certificate: { proof: by('tls', 'require_client_certificate rejects a client without one in the handshake') },
    },
  },
  'envoy.extensions.transport_sockets.tls.v3.CommonTlsContext': {
    fields: {
      tls_params: { proof: by('upstreamTls', 'offers TLS 1.2 only by default, as Envoy clients; tls_params can allow 1.3') },
      tls_certificates: { proof: by('tls', 'asks for a client certificate, accepts a valid one and a missing one, rejects an untrusted one') },
      tls_certificate_sds_secret_configs: { proof: P.downstreamTls },
      validation_context: { proof: by('upstreamTls', 'fails with connect_failure on a SAN mismatch or an untrusted chain') },
      validation_context_sds_secret_config: { proof: by('tls', 'reports missing SDS secrets, then builds once they arrive') },
      combined_validation_context: { proof: P.sds },
      alpn_protocols: { proof: P.downstreamTls },
    },
  },
  'envoy.extensions.transport_sockets.tls.v3.CommonTlsContext.CombinedCertificateValidationContext': {
    fields: { default_validation_context: { proof: P.sds }, validation_context_sds_secret_config: { proof: P.sds } },
  },
  'envoy.extensions.transport_sockets.tls.v3.TlsParameters': {
    fields: {
      tls_minimum_protocol_version: {
        enum: ['TLS_AUTO', 'TLSv1_2', 'TLSv1_3'],
        proof: by('upstreamTls', 'offers TLS 1.2 only by default, as Envoy clients; tls_params can allow 1.3'),
      },
      tls_maximum_protocol_version: {
        enum: ['TLS_AUTO', 'TLSv1_2', 'TLSv1_3'],
        proof: by('upstreamTls', 'offers TLS 1.2 only by default, as Envoy clients; tls_params can allow 1.3'),
      },
    },
  },
  'envoy.extensions.transport_sockets.tls.v3.TlsCertificate': {
    fields: { certificate_chain: { proof: P.downstreamTls }, private_key: { proof: P.downstreamTls } },
  },
  'envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig': {
    fields: { name: { proof: P.downstreamTls }, sds_config: { note: 'ADS only', proof: P.downstreamTls } },
  },
  'envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext': {
    fields: {
      trusted_ca: { proof: by('upstreamTls', 'fails with connect_failure on a SAN mismatch or an untrusted chain') },
      match_typed_subject_alt_names: { proof: by('tls', 'rejects a client whose SAN does not match') },
    },
  },
  'envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher': {
    fields: {
      san_type: { enum: ['URI', 'DNS'], proof: by('upstreamTls', 'an exact DNS matcher matches a wildcard certificate') },
      matcher: { proof: by('tls', 'rejects a client whose SAN does not match') },
    },
  },
  'envoy.extensions.transport_sockets.tls.v3.Secret': {
    fields: {
      name: { proof: P.downstreamTls },
      tls_certificate: { proof: P.downstreamTls },
      validation_context: { proof: P.sds },
    },
  },
  'envoy.config.core.v3.DataSource': {
    fields: {
      inline_bytes: { proof: P.sds },
      inline_string: { proof: P.downstreamTls },
      filename: { proof: by('dataSource', 'filename reads certificates and keys from a file') },
    },
  },
  'envoy.config.core.v3.DataSource#inline': {
    fields: {
      inline_bytes: { proof: by('fHttp', 'direct_response inline_bytes sends the bytes as the body') },
      inline_string: { proof: P.redirectDirect },
    },
  },

  // ── Access logs ───────────────────────────────────────────────────────────
  'envoy.config.accesslog.v3.AccessLog': {
    fields: {
      name: info(by('config', 'writes one JSON access log line per request')),
      typed_config: { extensions: [STDOUT_LOG, STDERR_LOG, FILE_LOG], proof: by('accessLog', 'stdout and stderr loggers write one JSON line') },
    },
  },
  [STDOUT_LOG]: { fields: { log_format: { proof: by('accessLog', 'stdout and stderr loggers write one JSON line') } } },
  [STDERR_LOG]: { fields: { log_format: { proof: by('accessLog', 'stdout and stderr loggers write one JSON line') } } },
  [FILE_LOG]: {
    fields: {
      path: { proof: by('config', 'writes one JSON access log line per request') },
      log_format: { proof: by('config', 'writes one JSON access log line per request') },
    },
  },
  'envoy.config.core.v3.SubstitutionFormatString': {
    fields: { json_format: { value: ACCESS_LOG_JSON, proof: by('accessLog', 'json_format operators render per entry') } },
  },

  // ── Config sources ────────────────────────────────────────────────────────
  'envoy.config.core.v3.ConfigSource': {
    note: 'everything comes over the one ADS stream',
    fields: { ads: { proof: P.xds }, resource_api_version: { enum: ['V3'], proof: P.xds } },
  },
  'envoy.config.core.v3.AggregatedConfigSource': { proof: P.xds },

  // ── Plain data: every field is read ───────────────────────────────────────
  'google.protobuf.Duration': { anyField: true, proof: by('resilience', 'a per-try timeout abandons the slow attempt and the retry answers') },
  'google.protobuf.BoolValue': { anyField: true, proof: by('match', 'case_sensitive false folds prefix, path and path_separated_prefix but not regex') },
  'google.protobuf.UInt32Value': { anyField: true, proof: by('resilience', 'gives up after num_retries and returns the last upstream answer') },
  'google.protobuf.UInt64Value': { anyField: true, proof: by('fClusterConfig', 'ring_hash_lb_config sizes the ring') },
  'google.protobuf.Struct': { anyField: true, proof: by('config', 'writes one JSON access log line per request') },
  'envoy.config.core.v3.Metadata': { anyField: true, note: INFORMATIONAL, proof: P.listenerInfo },
  'envoy.config.core.v3.Locality': { anyField: true, note: INFORMATIONAL, proof: by('fHosts', 'locality and its load_balancing_weight do not change endpoint weights') },
};

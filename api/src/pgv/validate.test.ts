import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { messageType } from '../protos.js';
import { validateAny, validateMessage, type PgvViolation } from './validate.js';

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const LISTENER = 'envoy.config.listener.v3.Listener';
const ROUTE_CONFIG = 'envoy.config.route.v3.RouteConfiguration';
const CLA = 'envoy.config.endpoint.v3.ClusterLoadAssignment';
const SOCKET_ADDRESS = 'envoy.config.core.v3.SocketAddress';
const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'envoy.extensions.filters.http.router.v3.Router';
const ORIGINAL_DST = 'envoy.extensions.filters.listener.original_dst.v3.OriginalDst';
const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

type Plain = Record<string, unknown>;

function encode(typeName: string, obj: Plain): Uint8Array {
  const t = messageType(typeName);
  return t.encode(t.fromObject(obj)).finish();
}

function any(typeName: string, obj: Plain): Plain {
  return { type_url: `type.googleapis.com/${typeName}`, value: encode(typeName, obj) };
}

const summary = (vs: PgvViolation[]): string[] => vs.map((v) => `${v.path} ${v.rule}`).sort();

/**
 * Violations of `obj` as a proxy would see it (encoded, then validateAny),
 * after checking that the fromObject message and the plain object agree.
 */
function violations(typeName: string, obj: Plain, opts: { plain?: boolean } = {}): string[] {
  const t = messageType(typeName);
  const decoded = summary(validateAny(`type.googleapis.com/${typeName}`, encode(typeName, obj)));
  assert.deepEqual(summary(validateMessage(t, t.fromObject(obj))), decoded, 'fromObject message disagrees with decoded bytes');
  if (opts.plain !== false) assert.deepEqual(summary(validateMessage(t, obj)), decoded, 'plain object disagrees with decoded bytes');
  return decoded;
}

/** Asserts `bad` fails with exactly `expected` ("path rule") and `good` passes. */
function rejectsThenAccepts(typeName: string, bad: Plain, expected: string[], good: Plain, opts: { plain?: boolean } = {}): void {
  assert.deepEqual(violations(typeName, bad, opts), [...expected].sort());
  assert.deepEqual(violations(typeName, good, opts), []);
}

const socketAddress = (address: string, port: number): Plain => ({ socket_address: { address, port_value: port } });

const cluster = (extra: Plain = {}): Plain => ({
  name: 'backend',
  type: 'EDS',
  eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: 'backend' },
  connect_timeout: { seconds: 1 },
  ...extra,
});

const healthCheck = (extra: Plain = {}): Plain => ({
  timeout: { seconds: 1 },
  interval: { seconds: 5 },
  unhealthy_threshold: { value: 3 },
  healthy_threshold: { value: 2 },
  http_health_check: { path: '/healthz', host: 'backend' },
  ...extra,
});

const route = (extra: Plain = {}): Plain => ({ match: { prefix: '/' }, route: { cluster: 'backend' }, ...extra });
const routeConfig = (vhost: Plain = {}, routes: Plain[] = [route()]): Plain => ({
  name: 'local_route',
  virtual_hosts: [{ name: 'backend', domains: ['*'], routes, ...vhost }],
});

const hcm = (extra: Plain = {}): Plain => ({
  stat_prefix: 'ingress_http',
  codec_type: 'AUTO',
  route_config: routeConfig(),
  http_filters: [{ name: 'envoy.filters.http.router', typed_config: any(ROUTER, {}) }],
  ...extra,
});

const listener = (hcmConfig: Plain): Plain => ({
  name: 'listener_0',
  address: socketAddress('0.0.0.0', 10000),
  filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: any(HCM, hcmConfig) }] }],
});

describe('pgv string rules', () => {
  it('min_len: SocketAddress with an empty address', () => {
    rejectsThenAccepts(SOCKET_ADDRESS, { address: '', port_value: 80 }, ['address string.min_len'], { address: '10.0.0.1', port_value: 80 });
  });

  it('min_len: Cluster without a name', () => {
    const { name: _name, ...nameless } = cluster();
    rejectsThenAccepts(CLUSTER, nameless, ['name string.min_len'], cluster());
  });

  it('well_known_regex HTTP_HEADER_NAME (strict: false): HeaderValue key with a newline', () => {
    rejectsThenAccepts(
      'envoy.config.core.v3.HeaderValue',
      { key: 'x-bad\nheader', value: 'v' },
      ['key string.well_known_regex'],
      { key: 'x-good', value: 'v' },
    );
  });

  it('well_known_regex HTTP_HEADER_VALUE (strict default): control characters in a health check host', () => {
    rejectsThenAccepts(
      CLUSTER,
      cluster({ health_checks: [healthCheck({ http_health_check: { path: '/healthz', host: 'a\u0001b' } })] }),
      ['health_checks[0].http_health_check.host string.well_known_regex'],
      cluster({ health_checks: [healthCheck()] }),
    );
  });

  it('well_known_regex with ignore_empty: empty is skipped, a space is not a header name', () => {
    const opts = (sni: string): Plain =>
      cluster({
        typed_extension_protocol_options: {
          [HTTP_PROTOCOL_OPTIONS]: any(HTTP_PROTOCOL_OPTIONS, {
            upstream_http_protocol_options: { auto_sni: true, override_auto_sni_header: sni },
            explicit_http_config: { http2_protocol_options: {} },
          }),
        },
      });
    const path = `typed_extension_protocol_options["${HTTP_PROTOCOL_OPTIONS}"]<${HTTP_PROTOCOL_OPTIONS}>.upstream_http_protocol_options.override_auto_sni_header`;
    rejectsThenAccepts(CLUSTER, opts('bad header'), [`${path} string.well_known_regex`], opts(''));
    assert.deepEqual(violations(CLUSTER, opts(':authority')), []);
  });

  it('pattern (RE2): path_separated_prefix must not end in a slash', () => {
    rejectsThenAccepts(
      ROUTE_CONFIG,
      routeConfig({}, [{ match: { path_separated_prefix: '/api/' }, route: { cluster: 'backend' } }]),
      ['virtual_hosts[0].routes[0].match.path_separated_prefix string.pattern'],
      routeConfig({}, [{ match: { path_separated_prefix: '/api' }, route: { cluster: 'backend' } }]),
    );
  });

  it('in: scheme_to_overwrite is http or https', () => {
    rejectsThenAccepts(
      HCM,
      hcm({ scheme_header_transformation: { scheme_to_overwrite: 'ftp' } }),
      ['scheme_header_transformation.scheme_to_overwrite string.in'],
      hcm({ scheme_header_transformation: { scheme_to_overwrite: 'https' } }),
    );
  });

  it('max_bytes counts UTF-8 bytes: a 256-byte SNI fails, 255 passes', () => {
    const tls = (sni: string): Plain => cluster({ transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: any(UPSTREAM_TLS, { sni }) } });
    rejectsThenAccepts(
      CLUSTER,
      tls('é'.repeat(128)),
      [`transport_socket.typed_config<${UPSTREAM_TLS}>.sni string.max_bytes`],
      tls('a'.repeat(255)),
    );
  });
});

describe('pgv numeric rules', () => {
  it('uint32 lte: SocketAddress port 70000', () => {
    rejectsThenAccepts(SOCKET_ADDRESS, { address: '10.0.0.1', port_value: 70000 }, ['port_value uint32.lte'], { address: '10.0.0.1', port_value: 65535 });
  });

  it('uint32 range lt+gte: direct_response status 600 is out of [200, 600)', () => {
    const withStatus = (status: number): Plain => routeConfig({}, [{ match: { prefix: '/' }, direct_response: { status } }]);
    rejectsThenAccepts(ROUTE_CONFIG, withStatus(600), ['virtual_hosts[0].routes[0].direct_response.status uint32.lt'], withStatus(599));
    assert.deepEqual(violations(ROUTE_CONFIG, withStatus(199)), ['virtual_hosts[0].routes[0].direct_response.status uint32.gte']);
  });

  it('wrapper uint32 gte: LbEndpoint load_balancing_weight {value: 0}', () => {
    const cla = (weight: number): Plain => ({
      cluster_name: 'backend',
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress('10.0.0.1', 80) }, load_balancing_weight: { value: weight } }] }],
    });
    rejectsThenAccepts(CLA, cla(0), ['endpoints[0].lb_endpoints[0].load_balancing_weight uint32.gte'], cla(1));
  });

  it('wrapper double range: preconnect ratio 5 is above 3', () => {
    const c = (ratio: number): Plain => cluster({ preconnect_policy: { per_upstream_preconnect_ratio: { value: ratio } } });
    rejectsThenAccepts(CLUSTER, c(5), ['preconnect_policy.per_upstream_preconnect_ratio double.lte'], c(1.5));
  });

  it('wrapper uint64 with 64-bit values compared exactly (lt 65536, gt 0)', () => {
    const l = (size: string): Plain => ({
      name: 'udp',
      address: { socket_address: { protocol: 'UDP', address: '0.0.0.0', port_value: 53 } },
      udp_listener_config: { downstream_socket_config: { max_rx_datagram_size: { value: size } } },
    });
    const path = 'udp_listener_config.downstream_socket_config.max_rx_datagram_size';
    rejectsThenAccepts(LISTENER, l('18446744073709551615'), [`${path} uint64.lt`], l('65535'));
    assert.deepEqual(violations(LISTENER, l('65536')), [`${path} uint64.lt`]);
    // A value present but zero is still checked (the wrapper is set).
    assert.deepEqual(violations(LISTENER, l('0')), [`${path} uint64.gt`]);
  });
});

describe('pgv bool / enum rules', () => {
  it('bool const inside a oneof: any_match set to false is checked because it is set', () => {
    const l = (anyMatch: boolean): Plain => ({
      name: 'l',
      address: socketAddress('0.0.0.0', 80),
      listener_filters: [{ name: 'od', typed_config: any(ORIGINAL_DST, {}), filter_disabled: { any_match: anyMatch } }],
    });
    rejectsThenAccepts(LISTENER, l(false), ['listener_filters[0].filter_disabled.any_match bool.const'], l(true));
  });

  it('enum defined_only: lb_policy 99', () => {
    rejectsThenAccepts(CLUSTER, cluster({ lb_policy: 99 }), ['lb_policy enum.defined_only'], cluster({ lb_policy: 'LEAST_REQUEST' }));
  });

  it('enum not_in: health check method CONNECT', () => {
    const c = (method: string): Plain => cluster({ health_checks: [healthCheck({ http_health_check: { path: '/healthz', method } })] });
    rejectsThenAccepts(CLUSTER, c('CONNECT'), ['health_checks[0].http_health_check.method enum.not_in'], c('GET'));
  });
});

describe('pgv message / oneof rules', () => {
  it('message.required and oneof required: a Route without match and without action', () => {
    rejectsThenAccepts(
      ROUTE_CONFIG,
      routeConfig({}, [{ name: 'r' }]),
      ['virtual_hosts[0].routes[0].action oneof.required', 'virtual_hosts[0].routes[0].match message.required'],
      routeConfig({}, [route({ name: 'r' })]),
    );
  });

  it('oneof required with a scalar member: SocketAddress needs port_value or named_port', () => {
    // port_value 0 is "set" only if the bytes carry it; proto3 encodes a set oneof member even when zero.
    rejectsThenAccepts(SOCKET_ADDRESS, { address: '10.0.0.1' }, ['port_specifier oneof.required'], { address: '10.0.0.1', port_value: 0 });
  });

  it('message.required on wrappers and duration.required: a bare HealthCheck', () => {
    const { timeout: _t, healthy_threshold: _h, ...partial } = healthCheck();
    rejectsThenAccepts(
      CLUSTER,
      cluster({ health_checks: [partial] }),
      ['health_checks[0].healthy_threshold message.required', 'health_checks[0].timeout duration.required'],
      cluster({ health_checks: [healthCheck()] }),
    );
  });

  it('ClusterLoadAssignment inside a Cluster with an empty cluster_name', () => {
    const c = (name: string): Plain =>
      cluster({ type: 'STATIC', eds_cluster_config: null, load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress('10.0.0.1', 80) } }] }] } });
    rejectsThenAccepts(CLUSTER, c(''), ['load_assignment.cluster_name string.min_len'], c('backend'));
  });

  it('any.required: TypedExtensionConfig without typed_config', () => {
    rejectsThenAccepts(
      'envoy.config.core.v3.TypedExtensionConfig',
      { name: 'envoy.filters.http.router' },
      ['typed_config any.required'],
      { name: 'envoy.filters.http.router', typed_config: any(ROUTER, {}) },
    );
  });
});

describe('pgv duration rules', () => {
  it('duration gt {}: connect_timeout of -1s', () => {
    rejectsThenAccepts(CLUSTER, cluster({ connect_timeout: { seconds: -1 } }), ['connect_timeout duration.gt'], cluster({ connect_timeout: { nanos: 1 } }));
    assert.deepEqual(violations(CLUSTER, cluster({ connect_timeout: {} })), ['connect_timeout duration.gt']);
  });

  it('duration validity: nanos out of range is not a duration', () => {
    assert.deepEqual(violations(CLUSTER, cluster({ connect_timeout: { seconds: 1, nanos: 1_000_000_000 } })), ['connect_timeout duration.valid']);
  });

  it('duration range lt+gte: session_timeout at 2^32 s is too long', () => {
    const d = (seconds: number): Plain => ({ session_timeout: { seconds } });
    rejectsThenAccepts(
      'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
      d(4294967296),
      ['session_timeout duration.lt'],
      d(4294967295),
    );
  });
});

describe('pgv repeated / map rules', () => {
  it('min_items: VirtualHost with no domains', () => {
    rejectsThenAccepts(ROUTE_CONFIG, routeConfig({ domains: [] }), ['virtual_hosts[0].domains repeated.min_items'], routeConfig({ domains: ['example.com'] }));
  });

  it('items: a domain with a newline is checked per item', () => {
    rejectsThenAccepts(
      ROUTE_CONFIG,
      routeConfig({ domains: ['ok.example.com', 'bad\nexample.com'] }),
      ['virtual_hosts[0].domains[1] string.well_known_regex'],
      routeConfig({ domains: ['ok.example.com', '*.example.com'] }),
    );
  });

  it('unique: duplicated response_headers_to_copy', () => {
    const r = (headers: string[]): Plain =>
      routeConfig({}, [route({ route: { cluster: 'backend', internal_redirect_policy: { response_headers_to_copy: headers } } })]);
    rejectsThenAccepts(
      ROUTE_CONFIG,
      r(['x-a', 'x-b', 'x-a']),
      ['virtual_hosts[0].routes[0].route.internal_redirect_policy.response_headers_to_copy[2] repeated.unique'],
      r(['x-a', 'x-b']),
    );
  });

  it('items string in: router strict_check_headers', () => {
    rejectsThenAccepts(
      HCM,
      hcm({ http_filters: [{ name: 'envoy.filters.http.router', typed_config: any(ROUTER, { strict_check_headers: ['x-envoy-max-retries', 'x-nope'] }) }] }),
      [`http_filters[0].typed_config<${ROUTER}>.strict_check_headers[1] string.in`],
      hcm({ http_filters: [{ name: 'envoy.filters.http.router', typed_config: any(ROUTER, { strict_check_headers: ['x-envoy-max-retries'] }) }] }),
    );
  });

  it('map keys: filter_metadata with an empty key', () => {
    rejectsThenAccepts(
      CLUSTER,
      cluster({ metadata: { filter_metadata: { '': { fields: {} } } } }),
      ['metadata.filter_metadata[""] map.keys.string.min_len'],
      cluster({ metadata: { filter_metadata: { 'envoy.lb': { fields: {} } } } }),
    );
  });
});

describe('pgv Any recursion', () => {
  it('HttpConnectionManager with an empty stat_prefix inside a Listener', () => {
    rejectsThenAccepts(
      LISTENER,
      listener(hcm({ stat_prefix: '' })),
      [`filter_chains[0].filters[0].typed_config<${HCM}>.stat_prefix string.min_len`],
      listener(hcm()),
    );
  });

  it('nested Any two levels deep (HCM → router) and unknown types are skipped', () => {
    const l = listener(hcm({ http_filters: [{ name: 'router', typed_config: any(ROUTER, { strict_check_headers: ['nope'] }) }] }));
    assert.deepEqual(violations(LISTENER, l), [
      `filter_chains[0].filters[0].typed_config<${HCM}>.http_filters[0].typed_config<${ROUTER}>.strict_check_headers[0] string.in`,
    ]);
    const unknown = listener(hcm());
    (unknown['filter_chains'] as Plain[])[0] = { filters: [{ name: 'x', typed_config: { type_url: 'type.googleapis.com/acme.Unknown', value: new Uint8Array([0xff]) } }] };
    assert.deepEqual(violations(LISTENER, unknown), []);
  });

  it('a known type with undecodable bytes is reported', () => {
    const l = listener(hcm());
    (l['filter_chains'] as Plain[])[0] = { filters: [{ name: 'x', typed_config: { type_url: `type.googleapis.com/${HCM}`, value: new Uint8Array([0x0a, 0x05, 0x61]) } }] };
    assert.deepEqual(violations(LISTENER, l), [`filter_chains[0].filters[0].typed_config any.decode`]);
  });

  it('validateAny rejects a type the protos do not define', () => {
    assert.throws(() => validateAny('type.googleapis.com/acme.Nope', new Uint8Array()), /unknown message type/);
    // Only fully qualified names resolve, not a bare suffix protobufjs' lookup would accept.
    assert.throws(() => validateAny('type.googleapis.com/Cluster', new Uint8Array()), /unknown message type/);
  });
});

describe('pgv on large valid resources', () => {
  const bigListener: Plain = {
    ...listener(
      hcm({
        route_config: {
          name: 'local_route',
          virtual_hosts: [
            {
              name: 'backend',
              domains: ['*', 'example.com:8080'],
              routes: [
                route({
                  route: { cluster: 'backend', timeout: { seconds: 15 }, retry_policy: { retry_on: '5xx', num_retries: { value: 3 } } },
                  request_headers_to_add: [{ header: { key: 'x-foo', value: 'bar' } }],
                }),
                { match: { path: '/old' }, redirect: { https_redirect: true } },
                { match: { safe_regex: { regex: '^/api/.*' } }, direct_response: { status: 200, body: { inline_string: 'ok' } } },
                { match: { prefix: '/w' }, route: { weighted_clusters: { clusters: [{ name: 'a', weight: { value: 60 } }, { name: 'b', weight: { value: 40 } }] } } },
              ],
            },
          ],
        },
        common_http_protocol_options: { idle_timeout: { seconds: 300 } },
      }),
    ),
    listener_filters: [{ name: 'envoy.filters.listener.original_dst', typed_config: any(ORIGINAL_DST, {}) }],
  };
  const bigCluster = cluster({
    lb_policy: 'ROUND_ROBIN',
    health_checks: [healthCheck()],
    circuit_breakers: { thresholds: [{ max_connections: { value: 1000 }, max_requests: { value: 1000 } }] },
    typed_extension_protocol_options: {
      [HTTP_PROTOCOL_OPTIONS]: any(HTTP_PROTOCOL_OPTIONS, { explicit_http_config: { http2_protocol_options: { max_concurrent_streams: { value: 100 } } } }),
    },
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: any(UPSTREAM_TLS, { sni: 'backend.example.com', common_tls_context: { alpn_protocols: ['h2'] } }),
    },
    outlier_detection: { consecutive_5xx: { value: 5 }, interval: { seconds: 10 } },
    metadata: { filter_metadata: { 'envoy.lb': { fields: { canary: { bool_value: true } } } } },
  });
  const bigCla: Plain = {
    cluster_name: 'backend',
    endpoints: ['a', 'b', 'c'].map((zone, i) => ({
      locality: { region: 'eu-west-1', zone: `eu-west-1${zone}` },
      lb_endpoints: Array.from({ length: 20 }, (_, j) => ({
        endpoint: { address: socketAddress(`10.0.${i}.${j + 1}`, 8080), health_check_config: { port_value: 8081 } },
        health_status: 'HEALTHY',
        load_balancing_weight: { value: 1 + j },
      })),
      load_balancing_weight: { value: 100 },
      priority: i,
    })),
    policy: { overprovisioning_factor: { value: 140 } },
  };

  it('a Listener with HCM + router, an EDS Cluster and a ClusterLoadAssignment have no violations', () => {
    assert.deepEqual(violations(LISTENER, bigListener), []);
    assert.deepEqual(violations(CLUSTER, bigCluster), []);
    assert.deepEqual(violations(CLA, bigCla), []);
  });

  it('validates 3,000 encoded resources quickly', () => {
    const bytes = [encode(LISTENER, bigListener), encode(CLUSTER, bigCluster), encode(CLA, bigCla)];
    const urls = [LISTENER, CLUSTER, CLA].map((t) => `type.googleapis.com/${t}`);
    const start = performance.now();
    for (let i = 0; i < 3000; i++) assert.equal(validateAny(urls[i % 3] as string, bytes[i % 3] as Uint8Array).length, 0);
    const ms = performance.now() - start;
    assert.ok(ms < 10_000, `took ${ms.toFixed(0)} ms`);
  });
});

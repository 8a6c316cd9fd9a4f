// The embedded engine's feature check: what the mesh emits passes, every
// allowlisted field is accepted, and each kind of unimplemented thing is
// NACKed with its exact path. Also keeps the allowlist honest: consistent with
// the protos, and every cited proof naming a real test.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Enum } from 'protobufjs';
import { parse } from 'yaml';
import { decodeMessage } from '../../../../api/src/any.js';
import { envoyRoot } from '../../../../api/src/protos.js';
import { messageName, TypeUrl, type ResourceTypeUrl } from '../../../../api/src/type-urls.js';
import type { EncodedResource } from '../../../../xds-server/src/cache/resource.js';
import { validateModel } from '../../../../xds-server/src/model/validate.js';
import type { MeshModel } from '../../../../xds-server/src/model/types.js';
import { loadDirectory } from '../../../../xds-server/src/provider/file/load.js';
import { endpoint, model, service } from '../../../../xds-server/src/testing/fixtures.js';
import { translateResources } from '../../../../xds-server/src/translate/kubernetes/index.js';
import { XdsTranslator } from '../../../../xds-server/src/xds/translator.js';
import type { Decoded } from '../types.js';
import { ALLOWLIST, messageOfKey, type Allowlist } from './allowlist.js';
import { checkResource } from './check.js';
import { allowlistProblems } from './consistency.js';
import { proofCell, renderMatrix } from './matrix.js';
import { matrixSection, readmeSection } from './readme.js';
import { headerValueProblem, PRIORITY_ZERO } from './predicates.js';
import { proofProblems, REPO_ROOT } from './proofs.js';
import { pack, sampleResources, wire } from './samples.js';

const NI = 'is not implemented by the embedded engine';
const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'envoy.extensions.filters.http.router.v3.Router';
const ADS = { ads: {}, resource_api_version: 'V3' };

function envoyResources(m: MeshModel): [ResourceTypeUrl, EncodedResource][] {
  const out = new XdsTranslator({ outboundAddress: '127.0.0.1', outboundPort: 15001 }).translate(m).envoy;
  return (Object.entries(out) as [ResourceTypeUrl, EncodedResource[]][]).flatMap(([t, rs]) => rs.map((r): [ResourceTypeUrl, EncodedResource] => [t, r]));
}

function problemsOf(resources: [ResourceTypeUrl, EncodedResource][]): string[] {
  return resources.flatMap(([t, r]) => checkResource(t, decodeMessage(messageName(t), r.body)).map((p) => `${r.name}: ${p}`));
}

const listener = (filters: object[], extra: object = {}): Decoded =>
  wire('envoy.config.listener.v3.Listener', {
    name: 'l',
    address: { socket_address: { address: '0.0.0.0', port_value: 80 } },
    filter_chains: [{ filters }],
    ...extra,
  });
const hcmFilter = (hcm: object) => ({ name: 'hcm', typed_config: pack(HCM, { stat_prefix: 'h', ...hcm }) });
const router = { name: 'router', typed_config: pack(ROUTER, {}) };

describe('engine feature check: what the mesh emits', () => {
  it('accepts every resource the xDS translator emits for a model of every port kind', () => {
    const eps = [
      endpoint('10.0.0.1', 8080, { identity: 'spiffe://cluster.local/ns/default/sa/web' }),
      endpoint('10.0.0.2', 8080, { health: 'draining', locality: { region: 'r2', zone: 'z2', subzone: 's2' } }),
      endpoint('10.0.0.3', 8080, { health: 'unhealthy', node: '' }),
    ];
    const ports = (['http', 'http2', 'grpc', 'tcp', 'tls'] as const).map((appProtocol, i) => ({ name: appProtocol, port: 8000 + i, protocol: 'TCP' as const, appProtocol }));
    const m = model([
      service('web', { vip: '10.96.0.20', ports, endpoints: eps.map((e) => ({ ...e, ports: Object.fromEntries(ports.map((p) => [p.name, 9000])) })) }),
      { ...service('v6', { vip: 'fd00::20', ports, endpoints: [] }), lbPolicy: 'LEAST_REQUEST' },
      { ...service('ring', { vip: '10.96.0.21' }), lbPolicy: 'RING_HASH' },
      { ...service('rand', { vip: '10.96.0.22', endpoints: [endpoint('10.0.0.4', 50051)] }), lbPolicy: 'RANDOM' },
      service('headless', { endpoints: [endpoint('10.0.0.5', 50051)] }),
    ]);
    // Gateways of every kind the xDS translator handles: those of its golden inputs.
    const goldens = join(REPO_ROOT, 'xds-server/testdata/xds');
    // Each golden is a valid model on its own; side by side their gateways
    // would share names and ports, so each file gets its own names and loopback
    // addresses (distinct addresses within a file stay distinct).
    m.gateways = readdirSync(goldens)
      .filter((f) => f.startsWith('gateway-') && f.endsWith('.in.yaml'))
      .flatMap((f, k) => {
        const gws = (parse(readFileSync(join(goldens, f), 'utf8')) as MeshModel).gateways ?? [];
        const addresses = [...new Set(gws.flatMap((g) => (g.addresses.length ? g.addresses : ['0.0.0.0'])))];
        const local = (a: string) => `127.0.${k + 1}.${addresses.indexOf(a) + 1}`;
        return gws.map((g) => ({ ...g, name: `${g.name}-${k}`, addresses: (g.addresses.length ? g.addresses : ['0.0.0.0']).map(local) }));
      });
    assert.deepEqual(validateModel(m), [], 'the fixture model is valid');
    const resources = envoyResources(m);
    assert.ok(resources.some(([t]) => t === TypeUrl.RouteConfiguration) && resources.some(([t]) => t === TypeUrl.Listener));
    assert.ok(resources.some(([t]) => t === TypeUrl.Secret) && resources.some(([, r]) => r.name.startsWith('gateway|')), 'gateways are translated');
    assert.deepEqual(problemsOf(resources), []);
  });

  it('accepts every resource the xDS translator emits for the examples/ configuration', async () => {
    const loaded = await loadDirectory(join(REPO_ROOT, 'examples'));
    assert.deepEqual(loaded.errors, []);
    const { model: m, errors } = translateResources(loaded.resources, { trustDomain: 'cluster.local', clusterDomain: 'cluster.local' });
    assert.deepEqual(errors, []);
    assert.ok(m.services.length > 0);
    assert.deepEqual(problemsOf(envoyResources(m)), []);
  });

  it('NACKs what the translator emits for an lb policy the engine lacks (MAGLEV)', () => {
    const problems = problemsOf(envoyResources(model([{ ...service('m', { vip: '10.96.0.9' }), lbPolicy: 'MAGLEV' }])));
    assert.deepEqual(problems, [`outbound|50051||m.default.svc.cluster.local: lb_policy: MAGLEV ${NI} (supported: ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, CLUSTER_PROVIDED)`]);
  });
});

describe('engine feature check: supported configuration', () => {
  it('accepts a representative valid resource of each type', () => {
    const samples = sampleResources();
    assert.deepEqual(new Set(samples.map((s) => s.typeUrl)), new Set(Object.values(TypeUrl)));
    for (const s of samples) assert.deepEqual(checkResource(s.typeUrl, s.message), [], s.name);
  });

  it('the samples set every allowlisted field, so none is refused by accident', () => {
    const seen = new Set<string>();
    for (const s of sampleResources()) checkResource(s.typeUrl, s.message, { visit: (k, f) => seen.add(f === undefined ? k : `${k}.${f}`) });
    const missing: string[] = [];
    for (const [key, rule] of Object.entries(ALLOWLIST)) {
      if (!seen.has(key)) missing.push(key);
      for (const [f, fr] of Object.entries(rule.fields ?? {})) {
        if (seen.has(`${key}.${f}`) || onlyDefaultAllowed(key, f, fr.enum, fr.value === PRIORITY_ZERO)) continue;
        missing.push(`${key}.${f}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});

/** proto3 leaves a field at its zero value off the wire, so a field allowed only that value never reaches the check. */
function onlyDefaultAllowed(key: string, field: string, values: readonly string[] | undefined, zeroOnly: boolean): boolean {
  if (zeroOnly) return true;
  if (!values) return false;
  const f = envoyRoot().lookupType(messageOfKey(key)).fields[field]!;
  f.resolve();
  return values.every((v) => (f.resolvedType as Enum).values[v] === 0);
}

describe('engine feature check: unimplemented configuration', () => {
  it('reports a field the engine does not implement, with its path', () => {
    const cluster = wire('envoy.config.cluster.v3.Cluster', { name: 'c', type: 'EDS', dns_lookup_family: 'V4_ONLY', eds_cluster_config: { eds_config: ADS } });
    assert.deepEqual(checkResource(TypeUrl.Cluster, cluster), [`dns_lookup_family: field envoy.config.cluster.v3.Cluster.dns_lookup_family ${NI}`]);
    const rc = wire('envoy.config.route.v3.RouteConfiguration', {
      name: 'r',
      ignore_port_in_host_matching: true,
      virtual_hosts: [{ name: 'v', domains: ['*'], require_tls: 'ALL', routes: [{ match: { prefix: '/' }, route: { cluster: 'c', retry_policy: { retry_host_predicate: [{ name: 'p' }] } } }] }],
    });
    assert.deepEqual(checkResource(TypeUrl.RouteConfiguration, rc).sort(), [
      `virtual_hosts[0].routes[0].route.retry_policy.retry_host_predicate: field envoy.config.route.v3.RetryPolicy.retry_host_predicate ${NI}`,
      `virtual_hosts[0].require_tls: field envoy.config.route.v3.VirtualHost.require_tls ${NI}`,
      `ignore_port_in_host_matching: field envoy.config.route.v3.RouteConfiguration.ignore_port_in_host_matching ${NI}`,
    ].sort());
  });

  it('reports an enum value the engine does not implement, with the supported ones', () => {
    const cluster = wire('envoy.config.cluster.v3.Cluster', { name: 'c', type: 'STRICT_DNS', lb_policy: 'MAGLEV' });
    assert.deepEqual(checkResource(TypeUrl.Cluster, cluster), [
      `type: STRICT_DNS ${NI} (supported: STATIC, EDS, ORIGINAL_DST)`,
      `lb_policy: MAGLEV ${NI} (supported: ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, CLUSTER_PROVIDED)`,
    ]);
    const modifyOnly = listener([], { drain_type: 'MODIFY_ONLY' });
    assert.deepEqual(checkResource(TypeUrl.Listener, modifyOnly), [`drain_type: MODIFY_ONLY ${NI} (supported: DEFAULT)`]);
  });

  it('reports an unimplemented HTTP filter inside the connection manager Any', () => {
    // Lua's proto is not even loaded: the check must refuse it before decoding.
    const lua = { name: 'envoy.filters.http.lua', typed_config: { type_url: 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', value: Buffer.from([10, 1, 120]) } };
    const l = listener([hcmFilter({ rds: { config_source: ADS, route_config_name: 'r' }, http_filters: [router, lua] })]);
    assert.deepEqual(checkResource(TypeUrl.Listener, l), [
      `filter_chains[0].filters[0].typed_config<${HCM}>.http_filters[1].typed_config: extension type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua ${NI}`,
    ]);
  });

  it('reports unimplemented fields inside nested Any and an unimplemented network filter', () => {
    const l = listener([
      { name: 'ratelimit', typed_config: { type_url: 'type.googleapis.com/envoy.extensions.filters.network.ratelimit.v3.RateLimit', value: Buffer.alloc(0) } },
      hcmFilter({ rds: { config_source: ADS, route_config_name: 'r' }, codec_type: 'HTTP3', common_http_protocol_options: { max_requests_per_connection: { value: 5 } }, http_filters: [router] }),
    ]);
    assert.deepEqual(checkResource(TypeUrl.Listener, l), [
      `filter_chains[0].filters[0].typed_config: extension type.googleapis.com/envoy.extensions.filters.network.ratelimit.v3.RateLimit ${NI}`,
      `filter_chains[0].filters[1].typed_config<${HCM}>.codec_type: HTTP3 ${NI} (supported: AUTO, HTTP1, HTTP2)`,
      `filter_chains[0].filters[1].typed_config<${HCM}>.common_http_protocol_options.max_requests_per_connection: field envoy.config.core.v3.HttpProtocolOptions.max_requests_per_connection ${NI}`,
    ]);
  });

  it('reports a transport socket of the wrong direction or with unimplemented TLS fields', () => {
    const down = 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
    const up = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
    const cluster = wire('envoy.config.cluster.v3.Cluster', { name: 'c', type: 'STATIC', transport_socket: { name: 'tls', typed_config: pack(down, {}) } });
    assert.deepEqual(checkResource(TypeUrl.Cluster, cluster), [`transport_socket.typed_config: extension type.googleapis.com/${down} ${NI}`]);
    const l = listener([], {
      filter_chains: [
        {
          filters: [],
          transport_socket: {
            name: 'tls',
            typed_config: pack(down, { require_sni: { value: true }, common_tls_context: { tls_params: { tls_minimum_protocol_version: 'TLSv1_0', cipher_suites: ['RC4'] } } }),
          },
        },
      ],
    });
    assert.deepEqual(checkResource(TypeUrl.Listener, l).sort(), [
      `filter_chains[0].transport_socket.typed_config<${down}>.common_tls_context.tls_params.tls_minimum_protocol_version: TLSv1_0 ${NI} (supported: TLS_AUTO, TLSv1_2, TLSv1_3)`,
      `filter_chains[0].transport_socket.typed_config<${down}>.common_tls_context.tls_params.cipher_suites: field envoy.extensions.transport_sockets.tls.v3.TlsParameters.cipher_suites ${NI}`,
      `filter_chains[0].transport_socket.typed_config<${down}>.require_sni: field ${down}.require_sni ${NI}`,
    ].sort());
    // Upstream TLS on a listener: Envoy's downstream socket factories do not include it either.
    const wrong = listener([], { filter_chains: [{ filters: [], transport_socket: { name: 'tls', typed_config: pack(up, {}) } }] });
    assert.deepEqual(checkResource(TypeUrl.Listener, wrong), [`filter_chains[0].transport_socket.typed_config: extension type.googleapis.com/${up} ${NI}`]);
  });

  it('reports values an allowed field may not take', () => {
    const cla = wire('envoy.config.endpoint.v3.ClusterLoadAssignment', { cluster_name: 'c', endpoints: [{ priority: 0 }, { priority: 1 }] });
    assert.deepEqual(checkResource(TypeUrl.ClusterLoadAssignment, cla), [`endpoints[1].priority: priority 1 ${NI} (only 0)`]);
    const rc = wire('envoy.config.route.v3.RouteConfiguration', {
      name: 'r',
      response_headers_to_add: [{ header: { key: 'x-ok', value: '%HOSTNAME% 100%%' } }, { header: { key: 'x-c', value: 'to %UPSTREAM_CLUSTER% at %START_TIME(%s)%' } }],
    });
    assert.deepEqual(checkResource(TypeUrl.RouteConfiguration, rc), [
      `response_headers_to_add[1].header.value: header value "to %UPSTREAM_CLUSTER% at %START_TIME(%s)%": formatter operator %UPSTREAM_CLUSTER%, %START_TIME(%s)% ${NI} (supported: %DOWNSTREAM_REMOTE_ADDRESS%, %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%, %UPSTREAM_REMOTE_ADDRESS%, %PROTOCOL%, %HOSTNAME%, %START_TIME%, %% for a literal %)`,
    ]);
  });

  it('reports retry_on conditions and access log operators the engine does not implement', () => {
    const rc = wire('envoy.config.route.v3.RouteConfiguration', {
      name: 'r',
      virtual_hosts: [{ name: 'v', domains: ['*'], retry_policy: { retry_on: '5xx, retriable-4xx' } }],
    });
    assert.deepEqual(checkResource(TypeUrl.RouteConfiguration, rc), [
      `virtual_hosts[0].retry_policy.retry_on: retry_on retriable-4xx ${NI} (supported: 5xx, gateway-error, reset, connect-failure, retriable-status-codes, refused-stream)`,
    ]);
    const fileLog = 'envoy.extensions.access_loggers.file.v3.FileAccessLog';
    const log = { name: 'f', typed_config: pack(fileLog, { path: '/dev/null', log_format: { json_format: { fields: { ok: { stringValue: '%REQ(:PATH)%' }, ua: { stringValue: '%UPSTREAM_TRANSPORT_FAILURE_REASON%' } } } } }) };
    const problems = checkResource(TypeUrl.Listener, listener([hcmFilter({ access_log: [log], http_filters: [{ name: 'r', typed_config: pack(ROUTER, {}) }] })]));
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /access_log\[0\]\.typed_config<envoy\.extensions\.access_loggers\.file\.v3\.FileAccessLog>\.log_format\.json_format: json_format ua: %UPSTREAM_TRANSPORT_FAILURE_REASON% is not implemented/);
  });

  it('reports a protocol options key or config source the engine does not implement', () => {
    const opts = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
    const cluster = wire('envoy.config.cluster.v3.Cluster', {
      name: 'c',
      type: 'EDS',
      eds_cluster_config: { eds_config: { api_config_source: { api_type: 'GRPC' }, resource_api_version: 'V3' } },
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.tcp.v3.TcpProtocolOptions': pack(opts, {}),
        [opts]: pack(opts, { explicit_http_config: { http3_protocol_options: {} } }),
      },
    });
    assert.deepEqual(checkResource(TypeUrl.Cluster, cluster).sort(), [
      `eds_cluster_config.eds_config.api_config_source: field envoy.config.core.v3.ConfigSource.api_config_source ${NI}`,
      `typed_extension_protocol_options[${opts}]<${opts}>.explicit_http_config.http3_protocol_options: field ${opts}.ExplicitHttpConfig.http3_protocol_options ${NI}`,
      `typed_extension_protocol_options[envoy.extensions.upstreams.tcp.v3.TcpProtocolOptions]: key envoy.extensions.upstreams.tcp.v3.TcpProtocolOptions ${NI} (supported: ${opts})`,
    ]);
  });

  it('allows a file data source for secrets but only inline bodies for direct responses', () => {
    const rc = wire('envoy.config.route.v3.RouteConfiguration', {
      name: 'r',
      virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: { filename: '/etc/passwd' } } }] }],
    });
    assert.deepEqual(checkResource(TypeUrl.RouteConfiguration, rc), [`virtual_hosts[0].routes[0].direct_response.body.filename: field envoy.config.core.v3.DataSource.filename ${NI}`]);
    const secret = wire('envoy.extensions.transport_sockets.tls.v3.Secret', { name: 's', tls_certificate: { certificate_chain: { filename: '/c' }, private_key: { environment_variable: 'KEY' } } });
    assert.deepEqual(checkResource(TypeUrl.Secret, secret), [`tls_certificate.private_key.environment_variable: field envoy.config.core.v3.DataSource.environment_variable ${NI}`]);
  });

  it('refuses what the engine would accept but not honour: dropped fields and ignored values', () => {
    const hcm = hcmFilter({
      rds: { config_source: ADS, route_config_name: 'r' },
      http_filters: [router],
      codec_type: 'HTTP3',
      stream_idle_timeout: { seconds: 300 },
      request_timeout: { seconds: 60 },
      http2_protocol_options: { max_concurrent_streams: { value: 10 } },
      use_remote_address: { value: true },
      xff_num_trusted_hops: 1,
    });
    const at = `filter_chains[0].filters[0].typed_config<${HCM}>`;
    assert.deepEqual(checkResource(TypeUrl.Listener, listener([hcm], { stat_prefix: 'l' })).sort(), [
      `${at}.codec_type: HTTP3 ${NI} (supported: AUTO, HTTP1, HTTP2)`,
      `${at}.http2_protocol_options: field ${HCM}.http2_protocol_options ${NI}`,
      `${at}.request_timeout: field ${HCM}.request_timeout ${NI}`,
      `${at}.stream_idle_timeout: field ${HCM}.stream_idle_timeout ${NI}`,
      `${at}.use_remote_address: field ${HCM}.use_remote_address ${NI}`,
      `${at}.xff_num_trusted_hops: field ${HCM}.xff_num_trusted_hops ${NI}`,
      `stat_prefix: field envoy.config.listener.v3.Listener.stat_prefix ${NI}`,
    ].sort());
    const rc = wire('envoy.config.route.v3.RouteConfiguration', {
      name: 'r',
      validate_clusters: { value: true },
      virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_bytes: Buffer.from([0xff, 0xfe]) } } }] }],
    });
    assert.deepEqual(checkResource(TypeUrl.RouteConfiguration, rc).sort(), [
      `validate_clusters: true ${NI} (only false: routes to unknown clusters are accepted and answered with cluster_not_found_response_code)`,
    ].sort());
    const ok = wire('envoy.config.route.v3.RouteConfiguration', {
      name: 'r',
      validate_clusters: { value: false },
      virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_bytes: Buffer.from('héllo') } } }] }],
    });
    assert.deepEqual(checkResource(TypeUrl.RouteConfiguration, ok), []);
  });

  it('reports every problem of a resource, not just the first', () => {
    const l = listener([hcmFilter({ rds: { config_source: ADS, route_config_name: 'r' }, http_filters: [router], tracing: {}, add_user_agent: { value: true } })], {
      per_connection_buffer_limit_bytes: { value: 1024 },
      drain_type: 'MODIFY_ONLY',
    });
    assert.equal(checkResource(TypeUrl.Listener, l).length, 4);
  });
});

describe('header value formatter operators', () => {
  it('accepts the operators the engine expands and %% as a literal', () => {
    for (const v of ['plain', '100%%', '%UPSTREAM_REMOTE_ADDRESS%', '%DOWNSTREAM_REMOTE_ADDRESS%:%HOSTNAME%', '%START_TIME%%%'])
      assert.equal(headerValueProblem(v), undefined, v);
  });
  it('refuses other operators, operator arguments and a lone %', () => {
    assert.match(headerValueProblem('%REQ(x-id)%')!, /formatter operator %REQ\(x-id\)% is not implemented/);
    assert.match(headerValueProblem('%START_TIME(%Y)%')!, /formatter operator %START_TIME\(%Y\)% is not implemented/);
    assert.match(headerValueProblem('via %UPSTREAM_CLUSTER%')!, /formatter operator %UPSTREAM_CLUSTER% is not implemented/);
    assert.match(headerValueProblem('50% off')!, /unterminated formatter operator at offset 2/);
  });
});

describe('the allowlist', () => {
  it('is what node-proxy/README.md shows as the feature matrix (regenerate with print-matrix.ts --write)', () => {
    assert.equal(readmeSection(), matrixSection());
  });

  it('is consistent with the protos: fields, enum values, extensions and links all exist', () => {
    assert.deepEqual(allowlistProblems(ALLOWLIST), []);
  });

  it('cites as proof only tests that exist', () => {
    assert.deepEqual(proofProblems(ALLOWLIST), []);
  });

  it('would report a proof naming a missing file or test', () => {
    const self = 'node-proxy/src/engine/features/check.test.ts';
    const table: Allowlist = {
      'envoy.config.cluster.v3.Cluster': {
        proof: `${self}: cites as proof only tests`,
        fields: {
          name: { proof: `${self}: no test is called this` },
          type: { enum: ['EDS'], proof: 'node-proxy/src/engine/features/missing.test.ts: anything' },
          lb_policy: { enum: ['ROUND_ROBIN'], proof: 'not a reference' },
        },
      },
    };
    assert.deepEqual(proofProblems(table), [
      `envoy.config.cluster.v3.Cluster.name: ${self} has no test named like "no test is called this"`,
      'envoy.config.cluster.v3.Cluster.type: proof file node-proxy/src/engine/features/missing.test.ts does not exist',
      'envoy.config.cluster.v3.Cluster.lb_policy: proof "not a reference" is not "path/to/file.test.ts: test name"',
    ]);
  });

  it('renders as a Markdown matrix with a row per implemented field', () => {
    const md = renderMatrix();
    assert.match(md, /^\| Message \| Field \| Allowed \| Proof \|$/m);
    assert.match(md, /\| `envoy\.config\.cluster\.v3\.Cluster` \| `lb_policy` \| ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, CLUSTER_PROVIDED \| “LEAST_REQUEST prefers the idle backend over a busy one” \(`node-proxy\/src\/engine\/upstream\/cluster\.test\.ts`\) \|/);
    assert.equal(proofCell(undefined), 'no test yet');
    assert.equal(proofCell('node-proxy/test/engine-http.test.ts: splits by weight'), '“splits by weight” (`node-proxy/test/engine-http.test.ts`)');
    const rows = md.trim().split('\n').length - 2;
    const expected = Object.values(ALLOWLIST).reduce((n, r) => n + Math.max(1, Object.keys(r.fields ?? {}).length), 0);
    assert.equal(rows, expected);
  });
});

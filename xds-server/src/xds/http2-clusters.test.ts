// HTTP/2 variant clusters (GRPCRoute backends on ports that speak HTTP/1.1):
// emitted beside the port's own cluster only while a route uses them,
// sharing its endpoints, kept in step by the translator's memo; and the
// gRPC answers for invalid backends.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { decodeMessage } from '../../../api/src/any.js';
import { TypeUrl } from '../../../api/src/type-urls.js';
import { Snapshot } from '../cache/snapshot.js';
import type { HttpRouteIR } from '../model/gateway.js';
import type { MeshModel } from '../model/types.js';
import { forwardAction } from './gateway-actions.js';
import { http2Ports } from './http2-clusters.js';
import { http2ClusterName } from './names.js';
import { XdsTranslator } from './translator.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../testdata/xds');
const load = (name: string) => parse(readFileSync(join(dir, `${name}.in.yaml`), 'utf8')) as MeshModel;
const opts = { outboundAddress: '127.0.0.1', outboundPort: 15001 };
const CDS = TypeUrl.Cluster;
const H2 = 'outbound|8080|h2c|echo-http.default.svc.cluster.local';
const BASE = 'outbound|8080||echo-http.default.svc.cluster.local';

describe('HTTP/2 variant clusters', () => {
  it('are named in the subset slot of the port cluster', () => {
    assert.equal(http2ClusterName(BASE), H2);
  });

  it('are emitted for the ports GRPCRoutes need them for, sharing the port cluster endpoints, in both profiles', () => {
    const model = load('gateway-grpcroute-matches');
    assert.deepEqual(
      [...http2Ports(model)].map(([h, p]) => [h, [...p]]),
      [
        ['echo-http.default.svc.cluster.local', [8080]],
        ['echo-plain.default.svc.cluster.local', [9000]],
      ],
    );
    const out = new XdsTranslator(opts).translate(model);
    for (const profile of ['envoy', 'proxyless'] as const) {
      const h2 = out[profile][CDS]!.find((r) => r.name === H2);
      assert.ok(h2, profile);
      assert.deepEqual(h2.refs.endpoints, [BASE]);
      const c = decodeMessage('envoy.config.cluster.v3.Cluster', h2.body) as { eds_cluster_config: { service_name: string }; typed_extension_protocol_options: Record<string, unknown> };
      assert.equal(c.eds_cluster_config.service_name, BASE);
      assert.ok(c.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']);
      assert.deepEqual(new Snapshot('1', out[profile]).consistent(), []);
    }
    // A grpc port's own cluster already speaks HTTP/2: no variant.
    assert.ok(!out.envoy[CDS]!.some((r) => r.name.includes('|h2c|echo.default')));
  });

  it('follow the routes: same Service objects, a route starts and stops needing one; without any the output is as before', () => {
    const model = load('gateway-grpcroute-matches');
    const { gateways, ...plain } = model;
    const t = new XdsTranslator(opts);
    const names = (m: MeshModel) => t.translate(m).envoy[CDS]!.map((r) => r.name);
    const versions = (m: MeshModel) => new Map(Object.values(new XdsTranslator(opts).translate(m).envoy).flat().map((r) => [`${r.typeUrl} ${r.name}`, r.version]));
    assert.ok(!names(plain).includes(H2));
    assert.ok(names(model).includes(H2));
    assert.ok(!names(plain).includes(H2), 'dropped again with the route');
    // Byte-identical services whether or not a gateway ever asked for a variant.
    const withGw = versions(model);
    for (const [key, v] of versions(plain)) assert.equal(withGw.get(key), v, key);
  });
});

describe('gRPC answers for invalid backends', () => {
  const route = (r: Partial<HttpRouteIR>): HttpRouteIR => ({
    name: 'r',
    source: { kind: 'GRPCRoute', namespace: 'default', name: 'r' },
    match: { headers: [], queryParams: [] },
    action: { kind: 'forward', backends: [{ cluster: BASE, weight: 1, protocol: 'http2' }] },
    mirrors: [{ cluster: BASE, percent: 100, protocol: 'http2' }],
    ...r,
  });

  it('the invalid share answers invalidBackendStatus (503: UNAVAILABLE), 500 without it', () => {
    const a = route({ invalidBackendShare: 0.5, invalidBackendStatus: 503 });
    const out = forwardAction(a, a.action as Extract<HttpRouteIR['action'], { kind: 'forward' }>);
    assert.equal(out.route?.cluster_not_found_response_code, 'SERVICE_UNAVAILABLE');
    assert.deepEqual(out.route?.weighted_clusters?.clusters?.map((c) => c.name), [H2, 'nodemesh_invalid_backend']);
    assert.equal(out.route?.request_mirror_policies?.[0]?.cluster, H2);
    const h = route({ invalidBackendShare: 0.5 });
    assert.equal(forwardAction(h, h.action as Extract<HttpRouteIR['action'], { kind: 'forward' }>).route?.cluster_not_found_response_code, 'INTERNAL_SERVER_ERROR');
    const none = route({ action: { kind: 'forward', backends: [{ cluster: BASE, weight: 0 }] }, invalidBackendStatus: 503 });
    assert.deepEqual(forwardAction(none, none.action as Extract<HttpRouteIR['action'], { kind: 'forward' }>).direct_response, { status: 503 });
  });
});

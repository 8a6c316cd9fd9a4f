// Protocol tests with a fake stream (as go-control-plane's mockStream): every
// response is checked for the invariants Envoy relies on, whatever the test.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TypeUrl } from '../../../api/src/type-urls.js';
import { Snapshot } from '../cache/snapshot.js';
import { SnapshotCache } from '../cache/snapshot-cache.js';
import { silentLogger } from '../log.js';
import { XdsMetrics } from '../metrics.js';
import { endpoint, model, service } from '../testing/fixtures.js';
import { XdsTranslator } from '../xds/translator.js';
import { DeltaStream } from './delta.js';
import type { DeltaResponse, SotwResponse } from './messages.js';
import { SotwStream } from './sotw.js';
import { StreamRegistry } from './stream-status.js';

const NODE = { id: 'node-1', cluster: 'c', user_agent_name: 'envoy', metadata: null } as never;

function setup() {
  const cache = new SnapshotCache(() => 'envoy');
  const registry = new StreamRegistry(silentLogger, new XdsMetrics());
  const translator = new XdsTranslator({ outboundAddress: '127.0.0.1', outboundPort: 15001 });
  let version = 0;
  let last: Snapshot | undefined;
  const publish = (services: ReturnType<typeof service>[]) => {
    const r = translator.translate(model(services)).envoy;
    last = new Snapshot(String(++version), r, last);
    assert.deepEqual(last.consistent(), []);
    cache.setSnapshot('envoy', last);
  };
  return { cache, registry, publish, deps: { cache, registry, log: silentLogger } };
}

/** Checks invariants on every response and records them. */
function checker<R extends SotwResponse | DeltaResponse>() {
  const sent: R[] = [];
  const clustersSeen = new Set<string>();
  let lastNonce = 0;
  const send = (r: R) => {
    const nonce = Number(r.nonce);
    assert.equal(nonce, lastNonce + 1, 'nonce increases by one');
    lastNonce = nonce;
    assert.ok('version_info' in r ? r.version_info : r.system_version_info, 'version is set');
    for (const res of r.resources) {
      assert.equal(res.typeUrl, r.type_url, 'resource type matches response type');
      if (r.type_url === TypeUrl.Cluster) for (const e of res.refs.endpoints ?? []) clustersSeen.add(e);
      if (r.type_url === TypeUrl.ClusterLoadAssignment) assert.ok(clustersSeen.has(res.name), `EDS ${res.name} sent before its cluster`);
    }
    sent.push(r);
  };
  return { sent, sink: { ready: () => true, send }, take: () => sent.splice(0) };
}

const names = (r: { resources: readonly { name: string }[] }) => r.resources.map((x) => x.name).sort();

const a = (eps = [endpoint('10.0.0.1', 8080)]) => service('a', { vip: '10.96.0.1', endpoints: eps });
const b = () => service('b', { vip: '10.96.0.2', endpoints: [endpoint('10.0.0.2', 8080)] });
const CA = 'outbound|50051||a.default.svc.cluster.local';
const CB = 'outbound|50051||b.default.svc.cluster.local';

describe('SotW stream', () => {
  it('serves wildcard CDS and named EDS in order, ACKs, then sends only what changed', () => {
    const { publish, deps, registry } = setup();
    publish([a(), b()]);
    const c = checker<SotwResponse>();
    const s = new SotwStream(deps, c.sink);
    s.request({ node: NODE, type_url: TypeUrl.Cluster, resource_names: [], version_info: '', response_nonce: '', error_detail: null } as never);
    let [cds] = c.take();
    assert.deepEqual(names(cds!), [CA, CB, 'PassthroughCluster'].sort());
    s.request({ type_url: TypeUrl.Cluster, resource_names: [], version_info: cds!.version_info, response_nonce: cds!.nonce, error_detail: null } as never);
    s.request({ type_url: TypeUrl.ClusterLoadAssignment, resource_names: [CA, CB], version_info: '', response_nonce: '', error_detail: null } as never);
    let [eds] = c.take();
    assert.deepEqual(names(eds!), [CA, CB]);
    s.request({ type_url: TypeUrl.ClusterLoadAssignment, resource_names: [CA, CB], version_info: eds!.version_info, response_nonce: eds!.nonce, error_detail: null } as never);
    assert.equal(c.take().length, 0, 'an ACK gets no response');
    assert.equal(registry.list()[0]!.types.eds!.ackedVersion, eds!.version_info);

    publish([a([endpoint('10.0.0.1', 8080), endpoint('10.0.0.3', 8080)]), b()]);
    const pushed = c.take();
    assert.equal(pushed.length, 1, 'only EDS changed');
    assert.equal(pushed[0]!.type_url, TypeUrl.ClusterLoadAssignment);
    assert.deepEqual(names(pushed[0]!), [CA], 'EDS is not full-state: only the changed assignment');

    publish([a([endpoint('10.0.0.1', 8080), endpoint('10.0.0.3', 8080)])]);
    [cds] = c.take();
    assert.equal(cds!.type_url, TypeUrl.Cluster);
    assert.deepEqual(names(cds!), [CA, 'PassthroughCluster'].sort(), 'CDS is full-state: absence removes b');
    s.close();
  });

  it('records a NACK, does not resend the rejected version, and ignores stale nonces', () => {
    const { publish, deps, registry } = setup();
    publish([a()]);
    const c = checker<SotwResponse>();
    const s = new SotwStream(deps, c.sink);
    s.request({ node: NODE, type_url: TypeUrl.Cluster, resource_names: [], version_info: '', response_nonce: '', error_detail: null } as never);
    const [first] = c.take();
    s.request({ type_url: TypeUrl.Cluster, resource_names: [], version_info: first!.version_info, response_nonce: first!.nonce, error_detail: null } as never);
    publish([a(), b()]);
    const [second] = c.take();
    s.request({
      type_url: TypeUrl.Cluster,
      resource_names: [],
      version_info: first!.version_info,
      response_nonce: second!.nonce,
      error_detail: { code: 3, message: 'cluster b: unsupported lb_policy', details: [] },
    } as never);
    assert.equal(c.take().length, 0, 'the rejected version is not sent again');
    const st = registry.list()[0]!.types.cds!;
    assert.equal(st.nack?.message, 'cluster b: unsupported lb_policy');
    assert.equal(st.nack?.version, second!.version_info);
    assert.equal(st.ackedVersion, first!.version_info, 'the client stays on its last good version');
    // A request answering an older nonce is stale and changes nothing.
    s.request({ type_url: TypeUrl.Cluster, resource_names: ['x'], version_info: '', response_nonce: first!.nonce, error_detail: null } as never);
    assert.equal(c.take().length, 0);
    publish([a()]);
    assert.equal(c.take().length, 1, 'a new version is sent after a NACK');
    s.close();
  });

  it('computes nothing while the transport is backed up, then sends one coalesced update', () => {
    const { publish, deps } = setup();
    publish([a()]);
    const c = checker<SotwResponse>();
    let ready = true;
    const s = new SotwStream(deps, { ready: () => ready, send: c.sink.send });
    s.request({ node: NODE, type_url: TypeUrl.Cluster, resource_names: [], version_info: '', response_nonce: '', error_detail: null } as never);
    s.request({ type_url: TypeUrl.ClusterLoadAssignment, resource_names: [CA], version_info: '', response_nonce: '', error_detail: null } as never);
    assert.equal(c.take().length, 2);
    ready = false;
    publish([a([endpoint('10.0.0.5', 8080)])]);
    publish([a([endpoint('10.0.0.6', 8080)])]);
    assert.equal(c.take().length, 0, 'nothing is queued while blocked');
    ready = true;
    s.drained();
    const [r, ...rest] = c.take();
    assert.equal(rest.length, 0, 'one response for two snapshots');
    assert.equal(r!.resources[0]!.version, deps.cache.getSnapshot('envoy')!.resources(TypeUrl.ClusterLoadAssignment).get(CA)!.version, 'carrying the latest');
    s.close();
  });

  it('rejects a stream whose first request has no node', () => {
    const { deps } = setup();
    const s = new SotwStream(deps, { ready: () => true, send: () => {} });
    assert.throws(() => s.request({ type_url: TypeUrl.Cluster, resource_names: [], node: null } as never), /node\.id/);
    s.close();
  });
});

describe('Delta stream', () => {
  it('sends only changed resources, removals, and cluster removals last', () => {
    const { publish, deps } = setup();
    publish([a(), b()]);
    const c = checker<DeltaResponse>();
    const s = new DeltaStream(deps, c.sink);
    const req = (type_url: string, sub: string[] = [], unsub: string[] = [], response_nonce = '') =>
      s.request({ node: NODE, type_url, resource_names_subscribe: sub, resource_names_unsubscribe: unsub, initial_resource_versions: {}, response_nonce, error_detail: null } as never);
    req(TypeUrl.Cluster);
    req(TypeUrl.ClusterLoadAssignment, [CA, CB]);
    req(TypeUrl.Listener);
    req(TypeUrl.RouteConfiguration, ['a.default.svc.cluster.local:50051', 'b.default.svc.cluster.local:50051']);
    const initial = c.take();
    assert.deepEqual(initial.map((r) => r.type_url), [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration]);

    publish([a([endpoint('10.0.0.9', 8080)]), b()]);
    const [upd, ...rest] = c.take();
    assert.equal(rest.length, 0);
    assert.equal(upd!.type_url, TypeUrl.ClusterLoadAssignment);
    assert.deepEqual(names(upd!), [CA]);
    assert.deepEqual(upd!.removed_resources, []);

    publish([a([endpoint('10.0.0.9', 8080)])]);
    const removal = c.take();
    assert.deepEqual(
      removal.map((r) => [r.type_url, r.removed_resources]),
      [
        [TypeUrl.ClusterLoadAssignment, [CB]],
        [TypeUrl.RouteConfiguration, ['b.default.svc.cluster.local:50051']],
        [TypeUrl.Cluster, [CB]],
        [TypeUrl.Listener, ['10.96.0.2_50051']],
      ],
      'routes and endpoints go before the clusters and listeners that named them',
    );
    req(TypeUrl.ClusterLoadAssignment, [], [CA]);
    publish([a([endpoint('10.0.0.7', 8080)])]);
    assert.equal(c.take().length, 0, 'an unsubscribed resource is not sent');
    req(TypeUrl.ClusterLoadAssignment, [CA]);
    const [resub] = c.take();
    assert.deepEqual(names(resub!), [CA], 'a resubscription is answered');
    s.close();
  });

  it('honours initial_resource_versions on reconnect', () => {
    const { publish, deps, cache } = setup();
    publish([a(), b()]);
    const snap = cache.getSnapshot('envoy')!;
    const have = Object.fromEntries([...snap.resources(TypeUrl.Cluster).values()].map((r) => [r.name, r.version]));
    have['gone-cluster'] = 'v0';
    delete have[CB];
    const c = checker<DeltaResponse>();
    const s = new DeltaStream(deps, c.sink);
    s.request({ node: NODE, type_url: TypeUrl.Cluster, resource_names_subscribe: [], resource_names_unsubscribe: [], initial_resource_versions: have, response_nonce: '', error_detail: null } as never);
    const [r, rm, ...more] = c.take();
    assert.deepEqual(names(r!), [CB], 'only the cluster the client lacks');
    assert.deepEqual(r!.removed_resources, [], 'cluster removals are deferred to a second response');
    assert.deepEqual(rm!.removed_resources, ['gone-cluster']);
    assert.deepEqual(names(rm!), []);
    assert.equal(more.length, 0);
    s.close();
  });

  it('answers a subscription to a resource that does not exist in removed_resources', () => {
    const { publish, deps } = setup();
    publish([a()]);
    const c = checker<DeltaResponse>();
    const s = new DeltaStream(deps, c.sink);
    s.request({ node: NODE, type_url: TypeUrl.Cluster, resource_names_subscribe: [], resource_names_unsubscribe: [], initial_resource_versions: {}, response_nonce: '', error_detail: null } as never);
    c.take();
    s.request({ type_url: TypeUrl.ClusterLoadAssignment, resource_names_subscribe: [CA, 'no-such-cluster'], resource_names_unsubscribe: [], initial_resource_versions: {}, response_nonce: '', error_detail: null } as never);
    const [r, ...rest] = c.take();
    assert.equal(rest.length, 0);
    assert.deepEqual(names(r!), [CA]);
    assert.deepEqual(r!.removed_resources, ['no-such-cluster']);
    s.close();
  });

  it('tracks ACK and NACK by nonce', () => {
    const { publish, deps, registry } = setup();
    publish([a()]);
    const c = checker<DeltaResponse>();
    const s = new DeltaStream(deps, c.sink);
    s.request({ node: NODE, type_url: TypeUrl.Cluster, resource_names_subscribe: [], resource_names_unsubscribe: [], initial_resource_versions: {}, response_nonce: '', error_detail: null } as never);
    const [r] = c.take();
    s.request({ type_url: TypeUrl.Cluster, resource_names_subscribe: [], resource_names_unsubscribe: [], initial_resource_versions: {}, response_nonce: r!.nonce, error_detail: { code: 3, message: 'bad', details: [] } } as never);
    assert.equal(registry.list()[0]!.types.cds!.nack?.message, 'bad');
    assert.equal(c.take().length, 0);
    s.close();
  });
});

// The publishing gate: what fails validation is not served, and the last good
// snapshot stays.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TypeUrl } from '../../api/src/type-urls.js';
import { SnapshotCache } from './cache/snapshot-cache.js';
import { silentLogger } from './log.js';
import { XdsMetrics } from './metrics.js';
import { SnapshotPublisher } from './publisher.js';
import { endpoint, model, service } from './testing/fixtures.js';

function setup() {
  const cache = new SnapshotCache(() => 'envoy');
  const metrics = new XdsMetrics();
  const publisher = new SnapshotPublisher(cache, { outboundAddress: '127.0.0.1', outboundPort: 15001, log: silentLogger, metrics });
  return { cache, metrics, publisher };
}

describe('SnapshotPublisher', () => {
  it('publishes a valid model to every profile', () => {
    const { cache, publisher } = setup();
    const out = publisher.publish(model([service('a', { vip: '10.96.0.1', endpoints: [endpoint('10.0.0.1', 9000)] })]));
    assert.equal(out.published, true, out.problems.join('\n'));
    assert.equal(cache.getSnapshot('envoy')!.resources(TypeUrl.Cluster).size, 2);
    assert.equal(cache.getSnapshot('proxyless')!.resources(TypeUrl.Listener).size, 1);
  });

  it('keeps the last good snapshot when the model is invalid', async () => {
    const { cache, publisher, metrics } = setup();
    publisher.publish(model([service('a', { vip: '10.96.0.1' })]));
    const good = cache.getSnapshot('envoy');
    const bad = service('b', { vip: '10.96.0.1' }); // same VIP and port as a
    const out = publisher.publish(model([service('a', { vip: '10.96.0.1' }), bad]));
    assert.equal(out.published, false);
    assert.match(out.problems.join('\n'), /services\[1\]\.ports\[0\]\.port: 10\.96\.0\.1:50051\/TCP is already used by service default\/a/);
    assert.equal(cache.getSnapshot('envoy'), good, 'the cache still serves the last good snapshot');
    assert.equal(out.version, good!.version);
    assert.ok(publisher.lastRejection);
    assert.match(await metrics.registry.getSingleMetricAsString('nodemesh_xds_snapshots_rejected_total'), / 1$/m);
  });

  it('rejects resources that break the Envoy protos validation rules, every time until fixed', () => {
    // Translator options are not part of the model, so validateModel cannot
    // catch an out-of-range capture port; the protos' own rules do.
    const cache = new SnapshotCache(() => 'envoy');
    const opts = { outboundAddress: '127.0.0.1', log: silentLogger, metrics: new XdsMetrics() };
    const bad = new SnapshotPublisher(cache, { ...opts, outboundPort: 70000 });
    const m = model([service('a', { endpoints: [endpoint('10.0.0.1', 9000)] })]);
    const first = bad.publish(m);
    assert.equal(first.published, false);
    assert.match(first.problems.join('\n'), /lds nodemesh_outbound: address\.socket_address\.port_value: .*uint32\.lte/);
    assert.equal(cache.getSnapshot('envoy'), undefined, 'nothing was served');
    const again = bad.publish(m);
    assert.equal(again.published, false, 'a rejected resource is not reused as if it were valid');
  });
});

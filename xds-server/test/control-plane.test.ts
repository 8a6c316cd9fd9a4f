// Last-good end to end: a valid object edited into an invalid state keeps
// being served as it was, status says why, and fixing it publishes again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TypeUrl } from '../../api/src/type-urls.js';
import { ControlPlane } from '../src/control-plane.js';
import { silentLogger } from '../src/log.js';
import { ConfigDir, waitFor } from './helpers.js';

const web = (port: number) => `apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec:
  clusterIP: 10.96.0.20
  ports: [{ name: http, port: ${port} }]
`;

describe('control plane last-good behaviour', () => {
  const dir = new ConfigDir();
  let cp: ControlPlane;
  before(async () => {
    dir.write('web.yaml', web(80));
    cp = new ControlPlane({ configDir: dir.path, listen: ['127.0.0.1:0'], admin: '127.0.0.1:0', log: silentLogger, debounceMs: 20 });
    await cp.start();
  });
  after(async () => {
    await cp.stop();
    dir.cleanup();
  });

  const clusters = () => [...cp.cache.getSnapshot('envoy')!.resources(TypeUrl.Cluster).keys()];

  it('keeps serving the last valid version of an object that became invalid', async () => {
    const version = cp.publisher.version();
    assert.ok(clusters().includes('outbound|80||web.default.svc.cluster.local'));
    dir.write('web.yaml', web(99999));
    const status = await waitFor('the error in status', () => {
      const s = cp.status();
      return s.configErrors.length > 0 && s;
    });
    assert.match(status.configErrors[0]!, /web\.yaml#0 v1\/Service default\/web: spec\.ports\[0\]\.port: .*keeping the last valid version/);
    assert.equal(cp.publisher.version(), version, 'nothing was republished');
    assert.ok(clusters().includes('outbound|80||web.default.svc.cluster.local'), 'the last valid version is still served');
    const res = await fetch(`http://${cp.addresses.admin}/metrics`);
    const text = await res.text();
    assert.match(text, /nodemesh_config_errors\{severity="error"\} 1/);
    assert.match(text, /nodemesh_xds_send_queue_bytes \d+/);
    assert.match(text, /nodemesh_xds_streams_waiting_for_send_budget \d+/);

    dir.write('web.yaml', web(8080));
    await waitFor('the fix to be published', () => clusters().includes('outbound|8080||web.default.svc.cluster.local'));
    assert.deepEqual(cp.status().configErrors, []);
    assert.ok(!clusters().includes('outbound|80||web.default.svc.cluster.local'));
  });
});

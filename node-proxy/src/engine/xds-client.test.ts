// The embedded engine's Delta xDS client against nodemesh's real xDS server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TypeUrl } from '../../../api/src/type-urls.js';
import { ControlPlane } from '../../../xds-server/src/control-plane.js';
import { silentLogger } from '../../../xds-server/src/log.js';
import { ConfigDir, waitFor } from '../../../xds-server/test/helpers.js';
import { DeltaXdsClient } from './xds-client.js';

const web = (lbPolicy = 'ROUND_ROBIN') => `apiVersion: v1
kind: Service
metadata: { name: web, namespace: default, annotations: { nodemesh.io/lb-policy: ${lbPolicy} } }
spec:
  clusterIP: 10.96.0.20
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
`;
const workload = (address: string) => `apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: web-1, namespace: default }
spec: { address: ${address}, labels: { app: web } }
`;

const CLUSTER = 'outbound|80||web.default.svc.cluster.local';
const ROUTE = 'web.default.svc.cluster.local:80';

describe('embedded engine xDS client', () => {
  const dir = new ConfigDir();
  let cp: ControlPlane;
  let client: DeltaXdsClient;
  const stream = () => cp.registry.list().find((s) => s.node?.id === 'embedded-test');

  before(async () => {
    dir.write('web.yaml', web());
    dir.write('w.yaml', workload('10.0.0.1'));
    cp = new ControlPlane({ configDir: dir.path, listen: ['127.0.0.1:0'], log: silentLogger, debounceMs: 20 });
    await cp.start();
    client = new DeltaXdsClient({
      address: cp.addresses.xds[0]!,
      node: { id: 'embedded-test', cluster: 'local' },
      log: silentLogger,
      // Stands in for the engine's feature check: MAGLEV is not implemented.
      validate: (typeUrl, _name, m) => (typeUrl === TypeUrl.Cluster && m.lb_policy === 'MAGLEV' ? ['lb_policy MAGLEV is not implemented by the embedded engine'] : []),
    });
    client.start();
  });
  after(async () => {
    client.stop();
    await cp.stop();
    dir.cleanup();
  });

  it('receives clusters and listeners, then the endpoints and routes they name, and ACKs each type', async () => {
    await waitFor('all four types', () => client.resources(TypeUrl.RouteConfiguration).has(ROUTE) && client.resources(TypeUrl.ClusterLoadAssignment).has(CLUSTER));
    const snap = cp.cache.getSnapshot('envoy')!;
    for (const t of [TypeUrl.Cluster, TypeUrl.Listener, TypeUrl.ClusterLoadAssignment, TypeUrl.RouteConfiguration])
      assert.deepEqual([...client.resources(t).keys()].sort(), [...snap.resources(t).keys()].sort(), t);
    await waitFor('ACKs', () => ['cds', 'lds', 'eds', 'rds'].every((t) => stream()?.types[t]?.ackedVersion));
  });

  it('applies endpoint changes', async () => {
    dir.write('w.yaml', workload('10.0.0.2'));
    await waitFor('the new endpoint', () => JSON.stringify(client.resources(TypeUrl.ClusterLoadAssignment).get(CLUSTER)?.message).includes('10.0.0.2'));
  });

  it('NACKs a resource it cannot honour and keeps the last accepted one', async () => {
    dir.write('web.yaml', web('MAGLEV'));
    await waitFor('the NACK at the server', () => stream()?.types.cds?.nack);
    assert.match(stream()!.types.cds!.nack!.message, /outbound\|80\|\|web\.default\.svc\.cluster\.local: lb_policy MAGLEV is not implemented/);
    assert.equal(client.resources(TypeUrl.Cluster).get(CLUSTER)?.message.lb_policy, undefined, 'still the ROUND_ROBIN cluster (the default, not encoded)');
    dir.write('web.yaml', web());
    await waitFor('the fixed cluster ACKed', () => stream()?.types.cds?.nack === undefined);
  });

  it('resumes after a reconnect without being resent what it has', async () => {
    const before = stream()!.streamId;
    client.stop();
    await waitFor('old stream closed', () => !cp.registry.list().some((s) => s.streamId === before));
    client.start();
    const resumed = await waitFor('new stream', () => cp.registry.list().find((s) => s.node?.id === 'embedded-test'));
    await new Promise((r) => setTimeout(r, 300));
    for (const t of ['cds', 'lds', 'eds', 'rds']) assert.equal(resumed.types[t]?.resources ?? 0, 0, `${t}: nothing resent`);
    dir.write('w.yaml', workload('10.0.0.3'));
    await waitFor('updates on the new stream', () => JSON.stringify(client.resources(TypeUrl.ClusterLoadAssignment).get(CLUSTER)?.message).includes('10.0.0.3'));
  });
});

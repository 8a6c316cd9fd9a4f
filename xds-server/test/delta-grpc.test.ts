// Delta ADS over a real gRPC connection on the server's Unix socket: wildcard
// subscription, ACK, a live update, and a reconnect that announces what the
// client has (initial_resource_versions) and so receives only the difference.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { TypeUrl } from '../../api/src/type-urls.js';
import { ControlPlane } from '../src/control-plane.js';
import { silentLogger } from '../src/log.js';
import { adsServiceDefinition } from '../src/server/messages.js';
import { ConfigDir, waitFor } from './helpers.js';

const Ads = grpc.makeGenericClientConstructor(adsServiceDefinition, 'AggregatedDiscoveryService');

interface Res {
  type_url: string;
  nonce: string;
  system_version_info: string;
  resources: { name: string; version: string }[];
  removed_resources: string[];
}

const svc = (name: string, ip: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default }
spec:
  clusterIP: ${ip}
  selector: { app: ${name} }
  ports: [{ name: http, port: 80 }]
`;

function open(address: string) {
  const client = new Ads(address, grpc.credentials.createInsecure());
  const stream = (client as unknown as { DeltaAggregatedResources(): grpc.ClientDuplexStream<object, Res> }).DeltaAggregatedResources();
  const received: Res[] = [];
  stream.on('data', (r: Res) => received.push(r));
  stream.on('error', () => {});
  return {
    received,
    write: (m: object) => stream.write(m),
    close: () => {
      stream.end();
      client.close();
    },
  };
}

describe('Delta ADS over gRPC', () => {
  const dir = new ConfigDir();
  let cp: ControlPlane;
  const socket = join(dir.path, 'run', 'xds.sock');
  before(async () => {
    dir.write('a.yaml', svc('a', '10.96.0.1'));
    dir.write('b.yaml', svc('b', '10.96.0.2'));
    cp = new ControlPlane({ configDir: dir.path, listen: [`unix:${socket}`], log: silentLogger, debounceMs: 20 });
    await cp.start();
  });
  after(async () => {
    await cp.stop();
    dir.cleanup();
  });

  it('listens on a Unix socket with mode 0660', () => {
    const st = statSync(socket);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
  });

  it('pushes, updates and resumes from initial_resource_versions', async () => {
    const node = { id: 'delta-test', user_agent_name: 'envoy' };
    const c1 = open(`unix:${socket}`);
    c1.write({ node, type_url: TypeUrl.Cluster });
    const [first] = await waitFor('initial CDS', () => c1.received.length >= 1 && c1.received);
    assert.equal(first!.type_url, TypeUrl.Cluster);
    const names = first!.resources.map((r) => r.name).sort();
    assert.deepEqual(names, ['PassthroughCluster', 'outbound|80||a.default.svc.cluster.local', 'outbound|80||b.default.svc.cluster.local']);
    c1.write({ type_url: TypeUrl.Cluster, response_nonce: first!.nonce });
    await waitFor('ACK recorded', () => cp.registry.list().find((s) => s.node?.id === 'delta-test')?.types.cds?.ackedVersion);

    dir.write('c.yaml', svc('c', '10.96.0.3'));
    const update = await waitFor('a pushed update', () => c1.received[1]);
    assert.deepEqual(update.resources.map((r) => r.name), ['outbound|80||c.default.svc.cluster.local'], 'only the new cluster');
    const have = Object.fromEntries([...first!.resources, ...update.resources].map((r) => [r.name, r.version]));
    c1.close();

    dir.remove('b.yaml');
    await waitFor('b removed from the snapshot', () => !cp.cache.getSnapshot('envoy')!.resources(TypeUrl.Cluster).has('outbound|80||b.default.svc.cluster.local'));
    const c2 = open(`unix:${socket}`);
    c2.write({ node, type_url: TypeUrl.Cluster, initial_resource_versions: have });
    const resumed = await waitFor('resume response', () => c2.received[0]);
    assert.deepEqual(resumed.resources, [], 'nothing the client already has is resent');
    assert.deepEqual(resumed.removed_resources, ['outbound|80||b.default.svc.cluster.local']);
    c2.close();
  });
});

// nodemesh's xDS server programming a real, independent xDS client: gRPC's own
// @grpc/grpc-js-xds, with a channel to `xds:///host:port`, reaching real gRPC
// backends on loopback through the Listener, RouteConfiguration, Cluster and
// ClusterLoadAssignment nodemesh serves from a watched directory.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as xds from '@grpc/grpc-js-xds';
import { grpcXdsBootstrap } from '../../node-proxy/src/bootstrap.js';
import { ControlPlane } from '../src/control-plane.js';
import { silentLogger } from '../src/log.js';
import { type Backend, callWho, ConfigDir, distribution, EchoClient, startBackend, waitFor } from './helpers.js';

const TARGET = 'xds:///checkout.shop.svc.cluster.local:50051';

const service = (annotations = '') => `
apiVersion: v1
kind: Service
metadata:
  name: checkout
  namespace: shop
${annotations}
spec:
  clusterIP: 10.96.0.10
  selector: { app: checkout }
  ports:
    - { name: grpc, port: 50051, targetPort: 9000, appProtocol: grpc }
`;

const workload = (name: string, b: Backend, zone: string, weight: number) => `
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: ${name}, namespace: shop }
spec:
  address: ${b.address}
  ports: { grpc: ${b.port} }
  labels: { app: checkout }
  serviceAccount: checkout
  node: node-${zone}
  locality: { region: local, zone: ${zone} }
  weight: ${weight}
`;

const share = (d: Map<string, number>, name: string, n: number) => (d.get(name) ?? 0) / n;

describe('proxyless gRPC (grpc-js-xds) against nodemesh', () => {
  const dir = new ConfigDir();
  let cp: ControlPlane;
  let client: grpc.Client;
  const backends: Backend[] = [];

  /**
   * Resolves once every proxyless client has answered the last response of
   * `type`: ACKed it, or NACKed it. A type that a publish did not change is
   * not re-sent, so "the last response" may carry an older snapshot version.
   */
  const applied = (type: 'cds' | 'eds' | 'lds' | 'rds', outcome: 'ack' | 'nack' = 'ack') =>
    waitFor(`proxyless client to ${outcome} its last ${type} response`, () => {
      const clients = cp.registry.list().filter((s) => s.group === 'proxyless');
      return (
        clients.length > 0 &&
        clients.every((c) => {
          const t = c.types[type];
          if (!t?.sentVersion) return false;
          return outcome === 'ack' ? t.ackedVersion === t.sentVersion && !t.nack : t.nack?.version === t.sentVersion;
        })
      );
    });

  before(async () => {
    backends.push(await startBackend('a', '127.0.0.2'), await startBackend('b', '127.0.0.3'), await startBackend('c', '127.0.0.4'));
    dir.write('service.yaml', service());
    dir.write('a.yaml', workload('checkout-a', backends[0]!, 'zone-a', 1));
    dir.write('b.yaml', workload('checkout-b', backends[1]!, 'zone-b', 3));
    cp = new ControlPlane({ configDir: dir.path, listen: ['127.0.0.1:0'], log: silentLogger, debounceMs: 20 });
    await cp.start();
    assert.ok(cp.publisher.version(), 'the initial configuration is published');
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = grpcXdsBootstrap({
      xdsAddress: cp.addresses.xds[0]!,
      nodeId: 'proxyless-test-client',
      locality: { region: 'local', zone: 'zone-a' },
    });
    xds.register();
    client = new EchoClient(TARGET, grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await cp?.stop();
    await Promise.all(backends.map((b) => b.stop()));
    dir.cleanup();
  });

  it('routes real calls through listener, route, cluster and endpoints, weighted by locality', async () => {
    assert.match(await callWho(client, 10_000), /^[ab]$/, 'the first call succeeds');
    await applied('eds');
    const n = 400;
    const d = await distribution(client, n);
    assert.deepEqual([...d.keys()].sort(), ['a', 'b'], 'only the two configured backends answer');
    // Locality weights 1:3 → 25% / 75%. gRPC's weighted_target picks at
    // random by weight, so over 400 calls the share's standard deviation is
    // ~0.022 and ± 0.08 is ~3.7 of them: a false failure about once in 5,000 runs.
    assert.ok(Math.abs(share(d, 'a', n) - 0.25) < 0.08, `a got ${share(d, 'a', n)}, want 0.25 ± 0.08`);
    const clients = cp.registry.list().filter((s) => s.group === 'proxyless');
    assert.equal(clients.length, 1);
    assert.equal(clients[0]!.node?.id, 'proxyless-test-client');
    for (const t of ['lds', 'rds', 'cds', 'eds']) assert.equal(clients[0]!.types[t]?.ackedVersion, cp.publisher.version(), `${t} ACKed the first version`);
  });

  it('shifts live traffic when weights change in the directory, without restarting the client', async () => {
    dir.write('a.yaml', workload('checkout-a', backends[0]!, 'zone-a', 3));
    dir.write('b.yaml', workload('checkout-b', backends[1]!, 'zone-b', 1));
    await applied('eds');
    await waitFor('new weights to take effect', async () => share(await distribution(client, 20), 'a', 20) > 0.5);
    const n = 400;
    const d = await distribution(client, n);
    assert.ok(Math.abs(share(d, 'a', n) - 0.75) < 0.08, `a got ${share(d, 'a', n)}, want 0.75 ± 0.08`);
  });

  it('moves traffic to new endpoints and away from removed ones', async () => {
    dir.write('c.yaml', workload('checkout-c', backends[2]!, 'zone-c', 2));
    dir.remove('a.yaml');
    await applied('eds');
    await waitFor('backend a to leave', async () => !(await distribution(client, 20)).has('a'));
    const n = 600; // p = 2/3: σ ≈ 0.019, so ± 0.08 is > 4σ
    const d = await distribution(client, n);
    assert.deepEqual([...d.keys()].sort(), ['b', 'c']);
    assert.ok(Math.abs(share(d, 'c', n) - 2 / 3) < 0.08, `c got ${share(d, 'c', n)}, want 0.67 ± 0.08`);
  });

  it('records a NACK of a cluster the client rejects and keeps traffic on the last good version', async () => {
    const good = cp.publisher.version();
    const ackedBefore = cp.registry.list().find((s) => s.group === 'proxyless')!.types.cds!.ackedVersion;
    // LEAST_REQUEST is valid Envoy, and passes nodemesh's validation, but this
    // gRPC client does not implement it and must reject the cluster.
    dir.write('service.yaml', service('  annotations: { nodemesh.io/lb-policy: LEAST_REQUEST }'));
    await waitFor('a new version', () => cp.publisher.version() !== good);
    await applied('cds', 'nack');
    const goodCds = ackedBefore;
    const [c] = cp.registry.list().filter((s) => s.group === 'proxyless');
    const nack = c!.types.cds!.nack!;
    assert.match(nack.message, /lb_policy/i, `the client's error_detail is kept: ${nack.message}`);
    assert.equal(c!.types.cds!.ackedVersion, goodCds, 'the client stays on the last good version');
    assert.notEqual(c!.types.cds!.nack!.version, goodCds);
    const status = cp.status();
    assert.equal(status.clients[0]!.types.cds!.nack?.message, nack.message, 'the NACK is in status');
    const metrics = await cp.metrics.registry.getSingleMetricAsString('nodemesh_xds_nacks_total');
    assert.match(metrics, /nodemesh_xds_nacks_total\{type="cds"\} [1-9]/);
    const d = await distribution(client, 50);
    assert.deepEqual([...d.keys()].sort(), ['b', 'c'], 'traffic keeps flowing on the previous configuration');

    dir.write('service.yaml', service());
    await applied('cds');
    assert.equal(cp.registry.list().find((s) => s.group === 'proxyless')!.types.cds!.nack, undefined, 'a later ACK clears the NACK');
  });
});

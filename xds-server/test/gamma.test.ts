// GAMMA (HTTPRoutes whose parentRef is a Service) on real traffic.
//
// What is real: the control plane translates Services, Workloads and
// HTTPRoutes from a watched directory into its Envoy-profile snapshot; the
// node proxy receives that snapshot over ADS and routes HTTP requests to echo
// backends on loopback. The suite runs once per node proxy (node-proxies.ts):
// the embedded engine, and Envoy where an `envoy` binary is found.
//
// The one addition: a service's per-VIP listener is bind_to_port false — the
// node proxy reaches it only through its capture listener, by the original
// destination of a redirected connection, which needs the eBPF steering or
// netfilter (root, a network namespace). So the test relays the control
// plane's snapshot unchanged, plus one bound copy of web's VIP listener
// (the same HTTP connection manager naming the same RDS route
// `web.default.svc.cluster.local:8080`) on a loopback port. Everything behind
// the listener — the RouteConfiguration, clusters, endpoints — is exactly
// what the control plane serves every node proxy.
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ControlPlane } from '../src/control-plane.js';
import { silentLogger } from '../src/log.js';
import { ConfigDir, waitFor } from './helpers.js';
import { VipRelay } from './vip-relay.js';
import { freePort } from '../../tools/free-port.js';
import { echo, EchoClient } from './http-echo.js';
import { NODE_PROXIES, reportSkippedVariants, startNodeProxy, type NodeProxy } from './node-proxies.js';

reportSkippedVariants(import.meta.url);

const service = (name: string, ip: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default }
spec:
  clusterIP: ${ip}
  selector: { app: ${name} }
  ports: [{ name: http, port: 8080, appProtocol: http }]
`;
const workload = (name: string, port: number) => `apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: ${name}-1, namespace: default }
spec: { address: 127.0.0.1, ports: { http: ${port} }, labels: { app: ${name} } }
`;

const PRODUCER_ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: default }
spec:
  parentRefs: [{ group: "", kind: Service, name: web, port: 8080 }]
  rules:
    - matches: [{ headers: [{ name: x-version, value: v2 }] }]
      filters:
        - type: ResponseHeaderModifier
          responseHeaderModifier: { set: [{ name: x-route, value: by-header }] }
      backendRefs: [{ name: web-v2, port: 8080 }]
    - matches: [{ path: { type: PathPrefix, value: /split } }]
      backendRefs: [{ name: web-v1, port: 8080, weight: 80 }, { name: web-v2, port: 8080, weight: 20 }]
    - matches: [{ path: { type: PathPrefix, value: /app } }]
      backendRefs: [{ name: web-v1, port: 8080 }]
`;

// From a client's namespace: would send that namespace's traffic to web-v2;
// nodemesh reports it instead of applying it to every client.
const CONSUMER_ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web-for-shop, namespace: shop }
spec:
  parentRefs: [{ group: "", kind: Service, name: web, namespace: default }]
  rules:
    - backendRefs: [{ name: web-v2, namespace: default, port: 8080 }]
`;



// Each test carries the variant's skip, so the runner counts them as skipped
// (a skipped suite would not appear in the totals at all).
for (const p of NODE_PROXIES) describe(`GAMMA on real traffic (${p.kind})`, () => {
  const dir = new ConfigDir();
  const backends: { close(): Promise<void> }[] = [];
  const client = new EchoClient();
  /** A request to web's service port (the authority a mesh client sends), answered with the service that served it. */
  async function get(port: number, path: string, headers: http.OutgoingHttpHeaders = {}) {
    const a = await client.get(port, path, 'web.default.svc.cluster.local:8080', headers);
    return { status: a.status, headers: a.headers, service: a.seen?.service };
  }
  let cp: ControlPlane;
  let relay: VipRelay;
  let proxy: NodeProxy | undefined;
  let port: number;

  before(async () => {
    if (p.skip) return;
    port = await freePort();
    const docs: string[] = [];
    for (const [name, ip] of [['web', '10.96.0.10'], ['web-v1', '10.96.0.11'], ['web-v2', '10.96.0.12']] as const) {
      const b = await echo(name);
      backends.push(b);
      docs.push(service(name, ip), workload(name, b.port));
    }
    dir.write('services.yaml', docs.join('---\n'));
    cp = new ControlPlane({ configDir: dir.path, listen: ['127.0.0.1:0'], log: silentLogger, debounceMs: 20, outboundPort: await freePort() });
    await cp.start();
    relay = new VipRelay(cp, { hostname: 'web.default.svc.cluster.local', port: { name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' }, name: 'gamma-test-web', listenerPort: port });
    const xdsAddress = await relay.start();
    proxy = await startNodeProxy(p.kind, { xdsAddress, nodeId: 'gamma-test', dir: dir.path });
    await waitFor('web through its route', async () => (await get(port, '/').catch(() => undefined))?.service === 'web', 15_000);
  });
  after(async () => {
    await proxy?.stop();
    await relay?.stop();
    await cp?.stop();
    await Promise.all(backends.map((b) => b.close()));
    client.destroy();
    dir.cleanup();
  });

  it('without a route, traffic to web reaches web', { skip: p.skip }, async () => {
    assert.equal((await get(port, '/app')).service, 'web');
  });

  it('a producer route takes over web: a header match, then an 80/20 split (±6 points over 500 requests)', { skip: p.skip }, async () => {
    dir.write('route.yaml', PRODUCER_ROUTE);
    await waitFor('the route', async () => (await get(port, '/app')).service === 'web-v1');
    const v2 = await get(port, '/other', { 'x-version': 'v2' });
    assert.equal(v2.service, 'web-v2');
    assert.equal(v2.headers['x-route'], 'by-header');
    // HTTPRoute precedence across rules: the longer PathPrefix (/app) outranks the header match (on "/").
    assert.equal((await get(port, '/app', { 'x-version': 'v2' })).service, 'web-v1');
    let canary = 0;
    for (let i = 0; i < 500; i++) if ((await get(port, '/split')).service === 'web-v2') canary++;
    assert.ok(Math.abs(canary / 5 - 20) <= 6, `web-v2 got ${canary / 5}%`);
  });

  it('the route replaces the default route: a request no rule matches gets 404, never web', { skip: p.skip }, async () => {
    assert.equal((await get(port, '/elsewhere')).status, 404);
  });

  it('status: the producer route is Accepted on its Service parent', { skip: p.skip }, () => {
    const route = cp.status().gatewayApi.find((s) => s.kind === 'HTTPRoute' && s.name === 'web');
    const parent = route?.parents?.[0];
    assert.deepEqual(parent?.parentRef, { group: '', kind: 'Service', namespace: 'default', name: 'web', port: 8080 });
    assert.equal(parent?.controllerName, 'nodemesh.io/gateway-controller');
    assert.deepEqual(
      parent?.conditions.map((c) => [c.type, c.status]),
      [
        ['Accepted', 'True'],
        ['ResolvedRefs', 'True'],
      ],
    );
  });

  it('a consumer route is reported and not applied to every client', { skip: p.skip }, async () => {
    dir.write('consumer.yaml', CONSUMER_ROUTE);
    const status = await waitFor('the consumer route status', () => cp.status().gatewayApi.find((s) => s.kind === 'HTTPRoute' && s.name === 'web-for-shop'));
    const accepted = status.parents?.[0]?.conditions.find((c) => c.type === 'Accepted');
    assert.equal(accepted?.status, 'False');
    assert.equal(accepted?.reason, 'UnsupportedValue');
    assert.equal(accepted?.message, 'consumer routes need client identity (#6)');
    for (let i = 0; i < 20; i++) assert.equal((await get(port, '/app')).service, 'web-v1');
  });

  it('deleting the route gives web its default route back', { skip: p.skip }, async () => {
    dir.remove('route.yaml');
    dir.remove('consumer.yaml');
    await waitFor('the default route', async () => (await get(port, '/elsewhere')).service === 'web');
  });
});

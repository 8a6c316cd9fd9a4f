// Gateway API session persistence (GEP-1619) on real traffic: three
// endpoints of one Service behind a Gateway; a rule with a cookie (or header)
// session keeps a client on the endpoint that first served it, a rule
// without one spreads requests, and removing the endpoint moves the session.
// The suite runs once per node proxy (node-proxies.ts): the embedded engine,
// and Envoy where an `envoy` binary is found.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ControlPlane } from '../src/control-plane.js';
import { silentLogger } from '../src/log.js';
import { ConfigDir, waitFor } from './helpers.js';
import { freePort } from '../../tools/free-port.js';
import { echo, EchoClient, type Answer } from './http-echo.js';
import { NODE_PROXIES, reportSkippedVariants, startNodeProxy, type NodeProxy } from './node-proxies.js';

reportSkippedVariants(import.meta.url);

const HOST = 'shop.example.com';

const workload = (i: number, port: number) => `apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: web-${i}, namespace: default }
spec: { address: 127.0.0.${i + 1}, ports: { http: ${port} }, labels: { app: web } }
`;

function cookieOf(a: Answer, name: string): { pair: string; attributes: string[] } | undefined {
  const line = ([] as string[]).concat(a.headers['set-cookie'] ?? []).find((l) => l.startsWith(`${name}=`));
  if (!line) return undefined;
  const [pair, ...attributes] = line.split(';').map((s) => s.trim());
  return { pair: pair!, attributes };
}

// Each test carries the variant's skip, so the runner counts them as skipped
// (a skipped suite would not appear in the totals at all).
for (const p of NODE_PROXIES) describe(`Gateway API session persistence on real traffic (${p.kind})`, () => {
  const dir = new ConfigDir();
  const backends: { port: number; close(): Promise<void> }[] = [];
  const client = new EchoClient();
  let cp: ControlPlane;
  let proxy: NodeProxy | undefined;
  let port: number;
  const get = (path: string, headers = {}) => client.get(port, path, HOST, headers);
  /** The Service and its endpoints, but the ones in `without`. */
  const meshYaml = (without: number[] = []) =>
    [
      `apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec:
  clusterIP: None
  selector: { app: web }
  ports: [{ name: http, port: 8080, appProtocol: http }]
`,
      ...backends.map((b, i) => (without.includes(i) ? '' : workload(i, b.port))).filter(Boolean),
    ].join('---\n');

  before(async () => {
    if (p.skip) return;
    port = await freePort();
    for (let i = 0; i < 3; i++) backends.push(await echo(`web-${i}`, `127.0.0.${i + 1}`));
    dir.write('mesh.yaml', meshYaml());
    dir.write(
      'gateway.yaml',
      `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: nodemesh }
spec: { controllerName: nodemesh.io/gateway-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: default }
spec:
  gatewayClassName: nodemesh
  addresses: [{ type: IPAddress, value: 127.0.0.1 }]
  listeners: [{ name: http, protocol: HTTP, port: ${port} }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: shop, namespace: default }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [${HOST}]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /cart } }]
      backendRefs: [{ name: web, port: 8080 }]
      sessionPersistence: { sessionName: cart }
    - matches: [{ path: { type: PathPrefix, value: /account } }]
      backendRefs: [{ name: web, port: 8080 }]
      sessionPersistence: { sessionName: account, absoluteTimeout: 2h, cookieConfig: { lifetimeType: Permanent } }
    - matches: [{ path: { type: PathPrefix, value: /api } }]
      backendRefs: [{ name: web, port: 8080 }]
      sessionPersistence: { sessionName: x-shop-session, type: Header }
    - backendRefs: [{ name: web, port: 8080 }]
`,
    );
    cp = new ControlPlane({ configDir: dir.path, listen: ['127.0.0.1:0'], log: silentLogger, debounceMs: 20, outboundPort: await freePort() });
    await cp.start();
    proxy = await startNodeProxy(p.kind, { xdsAddress: cp.addresses.xds[0]!, nodeId: 'session-test', dir: dir.path });
    // Round robin over three endpoints: wait until every one has answered once.
    const seen = new Set<string>();
    await waitFor('all three endpoints', async () => {
      const a = await get('/').catch(() => undefined);
      if (a?.seen) seen.add(a.seen.service);
      return seen.size === 3;
    }, 15_000).catch((err: Error) => {
      throw new Error(`${err.message}; saw ${[...seen].join(', ') || 'none'}; control plane: ${JSON.stringify({ errors: cp.status().translationErrors, rejection: cp.status().lastRejection, clients: cp.status().clients })}`);
    });
  });
  after(async () => {
    await proxy?.stop();
    await cp?.stop();
    client.destroy();
    await Promise.all(backends.map((b) => b.close()));
    dir.cleanup();
  });

  it('a cookie session keeps the client on its endpoint; without the cookie requests spread', { skip: p.skip }, async () => {
    const first = await get('/cart/items');
    const c = cookieOf(first, 'cart');
    assert.ok(c, 'the first response sets the session cookie');
    // A session cookie (lifetimeType Session is the default): no Max-Age; scoped to the rule's path.
    assert.deepEqual(c.attributes, ['Path=/cart', 'HttpOnly']);
    for (let i = 0; i < 8; i++) assert.equal((await get('/cart/items', { cookie: c.pair })).seen?.service, first.seen?.service);
    const spread = new Set<string>();
    for (let i = 0; i < 6; i++) spread.add((await get('/cart/items')).seen!.service);
    assert.ok(spread.size > 1, 'without the cookie the Service is load balanced');
  });

  it('a Permanent cookie lives absoluteTimeout (Max-Age)', { skip: p.skip }, async () => {
    const c = cookieOf(await get('/account'), 'account');
    assert.deepEqual(c?.attributes, ['Max-Age=7200', 'Path=/account', 'HttpOnly']);
  });

  it('a header session is answered in the response header and honoured in requests', { skip: p.skip }, async () => {
    const first = await get('/api/v1');
    const token = first.headers['x-shop-session'];
    assert.equal(typeof token, 'string');
    for (let i = 0; i < 6; i++) assert.equal((await get('/api/v1', { 'x-shop-session': token as string })).seen?.service, first.seen?.service);
  });

  it('a rule without session persistence sets no cookie and ignores one', { skip: p.skip }, async () => {
    const c = cookieOf(await get('/cart'), 'cart')!;
    const plain = await get('/other', { cookie: c.pair });
    assert.equal(plain.headers['set-cookie'], undefined);
    const spread = new Set<string>();
    for (let i = 0; i < 6; i++) spread.add((await get('/other', { cookie: c.pair })).seen!.service);
    assert.ok(spread.size > 1);
  });

  it('an endpoint that leaves the Service moves its sessions, and the client learns the new one', { skip: p.skip }, async () => {
    const first = await get('/cart');
    const c = cookieOf(first, 'cart')!;
    const gone = Number(first.seen!.service.split('-')[1]);
    dir.write('mesh.yaml', meshYaml([gone]));
    const moved = await waitFor('the session to move', async () => {
      const a = await get('/cart', { cookie: c.pair });
      return a.seen && a.seen.service !== first.seen!.service ? a : undefined;
    });
    assert.ok(cookieOf(moved, 'cart'), 'a new cookie names the new endpoint');
    const again = cookieOf(moved, 'cart')!;
    for (let i = 0; i < 4; i++) assert.equal((await get('/cart', { cookie: again.pair })).seen?.service, moved.seen?.service);
  });
});

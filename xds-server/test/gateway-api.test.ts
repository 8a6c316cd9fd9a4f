// Gateway API on real traffic: nodemesh's xds-server translates Gateway and
// HTTPRoute objects from a watched directory, the node proxy binds the
// Gateway's listener, and HTTP requests reach echo backends that report which
// service answered and the request they saw. Cases follow the Gateway API
// specification text. The suite runs once per node proxy (node-proxies.ts):
// the embedded engine, and Envoy where an `envoy` binary is found.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../src/log.js';
import { ControlPlane } from '../src/control-plane.js';
import { ConfigDir, waitFor } from './helpers.js';
import { freePort } from '../../tools/free-port.js';
import { echo, EchoClient } from './http-echo.js';
import { NODE_PROXIES, reportSkippedVariants, startNodeProxy, type NodeProxy } from './node-proxies.js';

reportSkippedVariants(import.meta.url);

const service = (name: string, ns = 'default') => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${ns} }
spec:
  clusterIP: None
  selector: { app: ${name} }
  ports: [{ name: http, port: 8080, appProtocol: http }]
`;
const workload = (name: string, port: number, ns = 'default') => `apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: ${name}-1, namespace: ${ns} }
spec: { address: 127.0.0.1, ports: { http: ${port} }, labels: { app: ${name} } }
`;

// Each test carries the variant's skip, so the runner counts them as skipped
// (a skipped suite would not appear in the totals at all).
for (const p of NODE_PROXIES) describe(`Gateway API on real traffic (${p.kind})`, () => {
  const dir = new ConfigDir();
  const backends: { close(): Promise<void> }[] = [];
  const client = new EchoClient();
  const get = client.get.bind(client);
  let cp: ControlPlane;
  let proxy: NodeProxy | undefined;
  let gwPort: number;

  before(async () => {
    if (p.skip) return;
    gwPort = await freePort();
    const docs: string[] = [];
    for (const [name, ns] of [['web', 'default'], ['api', 'default'], ['canary', 'default'], ['other', 'shop']] as const) {
      const b = await echo(`${ns}/${name}`);
      backends.push(b);
      docs.push(service(name, ns), workload(name, b.port, ns));
    }
    dir.write('services.yaml', docs.join('---\n'));
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
  listeners:
    - { name: http, protocol: HTTP, port: ${gwPort}, allowedRoutes: { namespaces: { from: All } } }
`,
    );
    dir.write(
      'routes.yaml',
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: default }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [www.example.com]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /api } }]
      backendRefs: [{ name: api, port: 8080 }]
    - matches: [{ path: { type: Exact, value: /api/exact } }]
      backendRefs: [{ name: web, port: 8080 }]
    - matches: [{ path: { type: PathPrefix, value: / }, headers: [{ name: x-canary, value: "yes" }] }]
      backendRefs: [{ name: canary, port: 8080 }]
    - matches: [{ path: { type: PathPrefix, value: /split } }]
      backendRefs: [{ name: web, port: 8080, weight: 80 }, { name: canary, port: 8080, weight: 20 }]
    - matches: [{ path: { type: PathPrefix, value: /old } }]
      filters:
        - type: URLRewrite
          urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /new } }
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: x-gw, value: edge }], remove: [x-drop] }
      backendRefs: [{ name: web, port: 8080 }]
    - matches: [{ path: { type: PathPrefix, value: /moved } }]
      filters: [{ type: RequestRedirect, requestRedirect: { scheme: https, statusCode: 301 } }]
    - matches: [{ path: { type: PathPrefix, value: /cross } }]
      backendRefs: [{ name: other, namespace: shop, port: 8080 }]
    - matches: [{ path: { type: PathPrefix, value: /missing } }]
      backendRefs: [{ name: nope, port: 8080 }]
    - backendRefs: [{ name: web, port: 8080 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: broken, namespace: default }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [broken.example.com]
  rules:
    - filters: [{ type: ExtensionRef, extensionRef: { group: example.com, kind: Magic, name: x } }]
      backendRefs: [{ name: web, port: 8080 }]
`,
    );
    cp = new ControlPlane({ configDir: dir.path, listen: ['127.0.0.1:0'], log: silentLogger, debounceMs: 20, outboundPort: await freePort() });
    await cp.start();
    proxy = await startNodeProxy(p.kind, { xdsAddress: cp.addresses.xds[0]!, nodeId: 'gateway-test', dir: dir.path });
    await waitFor('the gateway listener', async () => (await get(gwPort, '/', 'www.example.com').catch(() => undefined))?.seen !== undefined, 15_000);
  });
  after(async () => {
    await proxy?.stop();
    await cp?.stop();
    await Promise.all(backends.map((b) => b.close()));
    client.destroy();
    dir.cleanup();
  });

  const www = (path: string, headers: http.OutgoingHttpHeaders = {}) => get(gwPort, path, 'www.example.com', headers);

  it('an Exact path match takes precedence over a PathPrefix match of another rule', { skip: p.skip }, async () => {
    assert.equal((await www('/api/exact')).seen?.service, 'default/web');
    assert.equal((await www('/api/other')).seen?.service, 'default/api');
  });

  it('a header match selects its rule; without the header the request falls through', { skip: p.skip }, async () => {
    assert.equal((await www('/x', { 'x-canary': 'yes' })).seen?.service, 'default/canary');
    assert.equal((await www('/x')).seen?.service, 'default/web');
  });

  it('backendRef weights split traffic (80/20 within ±6 points over 500 requests)', { skip: p.skip }, async () => {
    let canary = 0;
    for (let i = 0; i < 500; i++) if ((await www('/split')).seen?.service === 'default/canary') canary++;
    assert.ok(Math.abs(canary / 5 - 20) <= 6, `canary got ${canary / 5}%`);
  });

  it('URLRewrite ReplacePrefixMatch and RequestHeaderModifier change what the backend sees', { skip: p.skip }, async () => {
    const r = await www('/old/page?q=1', { 'x-drop': 'me' });
    assert.equal(r.seen?.path, '/new/page?q=1');
    assert.equal(r.seen?.headers['x-gw'], 'edge');
    assert.equal(r.seen?.headers['x-drop'], undefined);
  });

  it('RequestRedirect answers 301 with the https URL', { skip: p.skip }, async () => {
    const r = await www('/moved/here');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, 'https://www.example.com/moved/here');
  });

  it('a cross-namespace backendRef without a ReferenceGrant answers 500, and the route says RefNotPermitted', { skip: p.skip }, async () => {
    assert.equal((await www('/cross')).status, 500);
    const route = cp.status().gatewayApi?.find((s) => s.kind === 'HTTPRoute' && s.name === 'web');
    assert.match(JSON.stringify(route), /RefNotPermitted/);
  });

  it('a ReferenceGrant allows it, and deleting the grant revokes it', { skip: p.skip }, async () => {
    dir.write(
      'grant.yaml',
      `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: allow-default, namespace: shop }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default }]
  to: [{ group: "", kind: Service }]
`,
    );
    await waitFor('the grant', async () => (await www('/cross')).seen?.service === 'shop/other');
    dir.remove('grant.yaml');
    await waitFor('the revocation', async () => (await www('/cross')).status === 500);
  });

  it('a backendRef to a missing Service answers 500 for its share, and ResolvedRefs names it', { skip: p.skip }, async () => {
    assert.equal((await www('/missing')).status, 500);
    // One ResolvedRefs condition carries every unresolved ref (its reason is the first: RefNotPermitted here).
    assert.match(JSON.stringify(cp.status().gatewayApi), /Service default\/nope not found/);
  });

  it('an invalid route gets its condition while every other route keeps working', { skip: p.skip }, async () => {
    const broken = cp.status().gatewayApi?.find((s) => s.kind === 'HTTPRoute' && s.name === 'broken');
    assert.match(JSON.stringify(broken), /UnsupportedValue|InvalidKind/);
    assert.equal((await get(gwPort, '/', 'broken.example.com')).status, 500, 'the rule with an unsupported filter answers 500');
    assert.equal((await www('/')).seen?.service, 'default/web');
  });

  it('writes the status beside the inputs, where the provider does not read it', { skip: p.skip }, async () => {
    // Written shortly after the publish, off its path.
    await waitFor('the status file', () => existsSync(join(dir.path, 'nodemesh-status.yaml')));
    const text = readFileSync(join(dir.path, 'nodemesh-status.yaml'), 'utf8');
    assert.match(text, /kind: HTTPRoute\n\s+namespace: default\n\s+name: broken/);
    assert.match(text, /reason: InvalidKind/);
  });

  it('a hostname no route claims gets 404', { skip: p.skip }, async () => {
    assert.equal((await get(gwPort, '/', 'nobody.example.com')).status, 404);
  });
});

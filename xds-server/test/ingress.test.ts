// Kubernetes Ingress on real traffic: nodemesh's xds-server translates
// Ingress objects from a watched directory, the node proxy binds the shared
// ingress gateway, and HTTP(S) requests reach echo backends that report which
// service answered and the request they saw. Cases follow the Ingress API
// reference: path types and precedence, element-wise prefixes,
// defaultBackend, plus nodemesh's rewrite-target and force-https annotations.
// The suite runs once per node proxy (node-proxies.ts): the embedded engine,
// and Envoy where an `envoy` binary is found.
//
// The control plane is the real one with the Ingress translator given test
// ports (the production wiring binds 80/443 on 0.0.0.0, which a test cannot).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ControlPlane } from '../src/control-plane.js';
import { silentLogger } from '../src/log.js';
import { ConfigDir, waitFor } from './helpers.js';
import { freePort } from '../../tools/free-port.js';
import { echo, EchoClient } from './http-echo.js';
import { NODE_PROXIES, reportSkippedVariants, startNodeProxy, type NodeProxy } from './node-proxies.js';

reportSkippedVariants(import.meta.url);

// The self-signed secure.example.com / *.example.com certificate of the golden cases.
const tlsCase = readFileSync(fileURLToPath(new URL('../testdata/translate/ingress/tls-secret.in.yaml', import.meta.url)), 'utf8');
const crt = /tls\.crt: (\S+)/.exec(tlsCase)?.[1] ?? '';
const key = /tls\.key: (\S+)/.exec(tlsCase)?.[1] ?? '';

const service = (name: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default }
spec:
  clusterIP: None
  selector: { app: ${name} }
  ports: [{ name: http, port: 8080, appProtocol: http }]
`;
const workload = (name: string, port: number) => `apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: ${name}-1, namespace: default }
spec: { address: 127.0.0.1, ports: { http: ${port} }, labels: { app: ${name} } }
`;
const path = (p: string, type: string, svc: string) => `          - { path: ${p}, pathType: ${type}, backend: { service: { name: ${svc}, port: { name: http } } } }\n`;

// Each test carries the variant's skip, so the runner counts them as skipped
// (a skipped suite would not appear in the totals at all).
for (const p of NODE_PROXIES) describe(`Ingress on real traffic (${p.kind})`, () => {
  const dir = new ConfigDir();
  const backends: { close(): Promise<void> }[] = [];
  const client = new EchoClient();
  const get = client.get.bind(client);
  const getTls = client.getTls.bind(client);
  let cp: ControlPlane;
  let proxy: NodeProxy | undefined;
  let httpPort: number;
  let httpsPort: number;

  before(async () => {
    if (p.skip) return;
    httpPort = await freePort();
    httpsPort = await freePort();
    const docs: string[] = [];
    for (const name of ['web', 'foo', 'exact', 'deep', 'api', 'fallback', 'secure']) {
      const b = await echo(`default/${name}`);
      backends.push(b);
      docs.push(service(name), workload(name, b.port));
    }
    dir.write('services.yaml', docs.join('---\n'));
    dir.write(
      'ingress.yaml',
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: site, namespace: default }
spec:
  ingressClassName: nodemesh
  rules:
    - host: www.example.com
      http:
        paths:
${path('/', 'Prefix', 'web')}${path('/foo', 'Prefix', 'foo')}${path('/foo/exact', 'Exact', 'exact')}${path('/foo/bar', 'ImplementationSpecific', 'deep')}    - host: "*.example.net"
      http:
        paths:
${path('/', 'Prefix', 'api')}    - host: api.example.com
      http:
        paths:
${path('/only', 'Exact', 'api')}          - { path: /bucket, pathType: Prefix, backend: { resource: { apiGroup: k8s.example.com, kind: Bucket, name: b } } }
          - { path: /gone, pathType: Prefix, backend: { service: { name: missing, port: { number: 80 } } } }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: rewriter
  namespace: default
  annotations: { nodemesh.io/rewrite-target: /new }
spec:
  ingressClassName: nodemesh
  rules:
    - host: www.example.com
      http:
        paths:
${path('/old', 'Prefix', 'web')}---
apiVersion: v1
kind: Secret
metadata: { name: secure-tls, namespace: default }
type: kubernetes.io/tls
data: { tls.crt: ${crt}, tls.key: ${key} }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: secure
  namespace: default
  annotations: { nodemesh.io/force-https: "true" }
spec:
  ingressClassName: nodemesh
  tls: [{ hosts: [secure.example.com], secretName: secure-tls }]
  rules:
    - host: secure.example.com
      http:
        paths:
${path('/', 'Prefix', 'secure')}`,
    );
    dir.write(
      'default.yaml',
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: catch-all, namespace: default }
spec:
  ingressClassName: nodemesh
  defaultBackend: { service: { name: fallback, port: { number: 8080 } } }
`,
    );
    cp = new ControlPlane({
      configDir: dir.path,
      listen: ['127.0.0.1:0'],
      log: silentLogger,
      debounceMs: 20,
      ingress: { ingressAddress: '127.0.0.1', httpPort, httpsPort },
      outboundPort: await freePort(),
    });
    await cp.start();
    proxy = await startNodeProxy(p.kind, { xdsAddress: cp.addresses.xds[0]!, nodeId: 'ingress-test', dir: dir.path });
    await waitFor('the ingress listener', async () => (await get(httpPort, '/', 'www.example.com').catch(() => undefined))?.seen !== undefined, 15_000);
  });
  after(async () => {
    await proxy?.stop();
    await cp?.stop();
    await Promise.all(backends.map((b) => b.close()));
    client.destroy();
    dir.cleanup();
  });

  const www = (p: string) => get(httpPort, p, 'www.example.com');

  it('an Exact path wins over the Prefix paths that cover it, and matches only itself', { skip: p.skip }, async () => {
    assert.equal((await www('/foo/exact')).seen?.service, 'default/exact');
    assert.equal((await www('/foo/exact/more')).seen?.service, 'default/foo');
    assert.equal((await www('/foo/exact/')).seen?.service, 'default/foo');
  });

  it('the longest matching prefix wins (ImplementationSpecific is a prefix)', { skip: p.skip }, async () => {
    assert.equal((await www('/foo/bar/baz')).seen?.service, 'default/deep');
    assert.equal((await www('/foo/bar')).seen?.service, 'default/deep');
    assert.equal((await www('/foo/other')).seen?.service, 'default/foo');
    assert.equal((await www('/anything')).seen?.service, 'default/web');
  });

  it('a prefix matches whole path elements: /foo covers /foo and /foo/, not /foobar', { skip: p.skip }, async () => {
    assert.equal((await www('/foo')).seen?.service, 'default/foo');
    assert.equal((await www('/foo/')).seen?.service, 'default/foo');
    assert.equal((await www('/foobar')).seen?.service, 'default/web');
    assert.equal((await www('/foo/barbaz')).seen?.service, 'default/foo');
  });

  it('nodemesh.io/rewrite-target replaces the matched prefix, keeping the rest and the query', { skip: p.skip }, async () => {
    assert.equal((await www('/old/page?q=1')).seen?.path, '/new/page?q=1');
    assert.equal((await www('/old')).seen?.path, '/new');
    assert.equal((await www('/older')).seen?.path, '/older', 'element-wise: /old does not cover /older');
  });

  it('the defaultBackend answers requests no rule matches, on a known host or any other', { skip: p.skip }, async () => {
    assert.equal((await get(httpPort, '/only', 'api.example.com')).seen?.service, 'default/api');
    assert.equal((await get(httpPort, '/only/not', 'api.example.com')).seen?.service, 'default/fallback');
    assert.equal((await get(httpPort, '/x', 'unknown.example.org')).seen?.service, 'default/fallback');
  });

  it('a wildcard host covers exactly one label; deeper names fall through to the defaultBackend', { skip: p.skip }, async () => {
    assert.equal((await get(httpPort, '/x', 'a.example.net')).seen?.service, 'default/api');
    assert.equal((await get(httpPort, '/x', `a.example.net:${httpPort}`)).seen?.service, 'default/api');
    assert.equal((await get(httpPort, '/x', 'a.b.example.net')).seen?.service, 'default/fallback');
    assert.equal((await get(httpPort, '/x', 'example.net')).seen?.service, 'default/fallback');
  });

  it('a resource backend answers 500 and a missing Service 503, both reported in the status', { skip: p.skip }, async () => {
    assert.equal((await get(httpPort, '/bucket/x', 'api.example.com')).status, 500);
    assert.equal((await get(httpPort, '/gone', 'api.example.com')).status, 503);
    const site = cp.status().ingress.find((s) => s.name === 'site');
    assert.deepEqual(site?.loadBalancer, { ingress: [{ ip: '127.0.0.1' }] });
    assert.match(site?.errors.join('\n') ?? '', /backend\.resource: resource backends \(k8s\.example\.com\/Bucket b\) are not supported/);
    assert.match(site?.errors.join('\n') ?? '', /Service default\/missing not found/);
  });

  it('nodemesh.io/force-https answers HTTP with a 301 to https, and HTTPS serves the host', { skip: p.skip }, async () => {
    const r = await get(httpPort, '/cart?item=1', 'secure.example.com');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, `https://secure.example.com:${httpsPort}/cart?item=1`);
    const s = await getTls(httpsPort, '/cart?item=1', 'secure.example.com');
    assert.equal(s.seen?.service, 'default/secure');
    assert.equal(s.seen?.path, '/cart?item=1');
    // Hosts without TLS are not redirected.
    assert.equal((await www('/')).status, 200);
  });

  it('without a defaultBackend an unmatched request gets 404', { skip: p.skip }, async () => {
    dir.remove('default.yaml');
    await waitFor('the defaultBackend to go', async () => (await get(httpPort, '/x', 'unknown.example.org')).status === 404);
    assert.equal((await get(httpPort, '/only/not', 'api.example.com')).status, 404);
    assert.equal((await www('/foobar')).seen?.service, 'default/web');
    assert.equal((await get(httpPort, '/x', 'a.b.example.net')).status, 404);
  });
});

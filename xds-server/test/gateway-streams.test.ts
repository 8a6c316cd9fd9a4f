// Gateway API TLS, TCP and UDP listeners on real traffic: nodemesh's
// xds-server translates Gateways with TLSRoutes, TCPRoutes and UDPRoutes from
// a watched directory, the node proxy binds the listeners, and connections
// reach real TCP, TLS and UDP backends that say who they are. Cases follow the
// Gateway API text (TLSRoute, TCPRoute, UDPRoute types, GEP-2643/2644 and
// their conformance tests). The suite runs once per node proxy
// (node-proxies.ts): the embedded engine, and Envoy where an `envoy` binary is
// found.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { ControlPlane } from '../src/control-plane.js';
import { silentLogger } from '../src/log.js';
import { ConfigDir, waitFor } from './helpers.js';
import { freePort } from '../../tools/free-port.js';
import { NODE_PROXIES, reportSkippedVariants, startNodeProxy, type NodeProxy } from './node-proxies.js';
import { selfSigned, type TestCert } from './test-certs.js';

reportSkippedVariants(import.meta.url);

interface Closable {
  port: number;
  close(): Promise<void>;
}

/** A TCP backend: greets every connection with its name, then echoes. */
async function tcpBackend(name: string): Promise<Closable> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.write(`${name}\n`);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))) };
}

/** A TLS backend with its own certificate: greets every connection with its name. */
async function tlsBackend(name: string, cert: TestCert): Promise<Closable> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ cert: cert.cert, key: cert.key }, (s) => {
    s.on('error', () => {});
    s.write(`${name}\n`);
  });
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))) };
}

/** A UDP backend: answers every datagram with `<name>:<datagram>`. */
async function udpBackend(name: string): Promise<Closable> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => sock.send(`${name}:${msg.toString()}`, rinfo.port, rinfo.address));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { port: sock.address().port, close: () => new Promise((r) => sock.close(() => r())) };
}

/** The first line a connection through the gateway reads, or undefined when the gateway closes it without one. */
function tcpHello(port: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`no answer and no close on port ${port}`))), 5000);
    s.on('data', (d) => {
      data += d.toString();
      if (data.includes('\n')) {
        clearTimeout(timer);
        s.destroy();
        resolve(data.split('\n')[0]);
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(data.includes('\n') ? data.split('\n')[0] : undefined);
    });
  });
}

/** A TLS connection through the gateway with `servername` as SNI: the server certificate's CN and the first line, or undefined when refused. */
function tlsHello(port: number, servername: string, ca: string[]): Promise<{ cn: string; line: string } | undefined> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', servername, ca });
    let data = '';
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`no answer and no close for ${servername} on port ${port}`))), 5000);
    const done = (v: { cn: string; line: string } | undefined) => (clearTimeout(timer), s.destroy(), resolve(v));
    s.on('data', (d) => {
      data += d.toString();
      if (data.includes('\n')) done({ cn: String(s.getPeerCertificate().subject?.CN), line: data.split('\n')[0]! });
    });
    s.on('error', () => done(undefined));
    s.on('close', () => done(undefined));
  });
}

function udpAsk(port: number, text: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => (s.close(), resolve(undefined)), 1000);
    s.on('message', (m) => (clearTimeout(timer), s.close(), resolve(m.toString())));
    s.send(text, port, '127.0.0.1');
  });
}

const service = (name: string, port: number, ns = 'default', protocol = 'TCP') => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${ns} }
spec:
  clusterIP: None
  selector: { app: ${name} }
  ports: [{ name: main, port: ${port}, protocol: ${protocol} }]
`;
const workload = (name: string, port: number, ns = 'default') => `apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: ${name}-1, namespace: ${ns} }
spec: { address: 127.0.0.1, ports: { main: ${port} }, labels: { app: ${name} } }
`;
const indent = (pem: string) => pem.trimEnd().split('\n').map((l) => `      ${l}`).join('\n');

// Each test carries the variant's skip, so the runner counts them as skipped
// (a skipped suite would not appear in the totals at all).
for (const p of NODE_PROXIES) describe(`Gateway API TLS, TCP and UDP listeners on real traffic (${p.kind})`, () => {
  const dir = new ConfigDir();
  const closables: Closable[] = [];
  let cp: ControlPlane;
  let proxy: NodeProxy | undefined;
  const port: Record<string, number> = {};
  let certA: TestCert;
  let certB: TestCert;
  let gwCert: TestCert;

  before(async () => {
    if (p.skip) return;
    for (const l of ['sni', 'term', 'mixed', 'tcp', 'weighted', 'missing', 'partial', 'cross']) port[l] = await freePort();
    port.udp = await freePort();
    [certA, certB, gwCert] = await Promise.all([selfSigned('a.example.com'), selfSigned('b.example.com'), selfSigned('db.example.com')]);
    const docs: string[] = [];
    const add = async (name: string, b: Promise<Closable>, ns = 'default', protocol = 'TCP') => {
      const c = await b;
      closables.push(c);
      docs.push(service(name, 9000, ns, protocol), workload(name, c.port, ns));
    };
    await add('tls-a', tlsBackend('tls-a', certA));
    await add('tls-b', tlsBackend('tls-b', certB));
    for (const n of ['alpha', 'beta', 'gamma', 'db']) await add(n, tcpBackend(n));
    await add('other', tcpBackend('shop/other'), 'shop');
    await add('dns', udpBackend('dns'), 'default', 'UDP');
    dir.write('services.yaml', docs.join('---\n'));
    dir.write(
      'gateway.yaml',
      `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: nodemesh }
spec: { controllerName: nodemesh.io/gateway-controller }
---
apiVersion: v1
kind: Secret
metadata: { name: db-cert, namespace: default }
type: kubernetes.io/tls
stringData:
  tls.crt: |
${indent(gwCert.cert)}
  tls.key: |
${indent(gwCert.key)}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: default }
spec:
  gatewayClassName: nodemesh
  addresses: [{ type: IPAddress, value: 127.0.0.1 }]
  listeners:
    - { name: a, protocol: TLS, port: ${port.sni}, hostname: a.example.com, tls: { mode: Passthrough } }
    - { name: b, protocol: TLS, port: ${port.sni}, hostname: b.example.com, tls: { mode: Passthrough } }
    - { name: term, protocol: TLS, port: ${port.term}, hostname: db.example.com, tls: { mode: Terminate, certificateRefs: [{ name: db-cert }] } }
    - { name: mix-pass, protocol: TLS, port: ${port.mixed}, hostname: a.example.com, tls: { mode: Passthrough } }
    - { name: mix-term, protocol: TLS, port: ${port.mixed}, hostname: db.example.com, tls: { mode: Terminate, certificateRefs: [{ name: db-cert }] } }
    - { name: tcp, protocol: TCP, port: ${port.tcp} }
    - { name: weighted, protocol: TCP, port: ${port.weighted} }
    - { name: missing, protocol: TCP, port: ${port.missing} }
    - { name: partial, protocol: TCP, port: ${port.partial} }
    - { name: cross, protocol: TCP, port: ${port.cross} }
    - { name: udp, protocol: UDP, port: ${port.udp} }
`,
    );
    const tcpRoute = (name: string, listener: string, refs: string, extra = '') => `apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: { name: ${name}, namespace: default${extra} }
spec:
  parentRefs: [{ name: edge, sectionName: ${listener} }]
  rules: [{ backendRefs: ${refs} }]
`;
    dir.write(
      'routes.yaml',
      [
        `apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: { name: a, namespace: default }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [a.example.com]
  rules: [{ backendRefs: [{ name: tls-a, port: 9000 }] }]
`,
        `apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: { name: b, namespace: default }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [b.example.com]
  rules: [{ backendRefs: [{ name: tls-b, port: 9000 }] }]
`,
        `apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: { name: db, namespace: default }
spec:
  parentRefs: [{ name: edge, sectionName: term }, { name: edge, sectionName: mix-term }]
  hostnames: [db.example.com]
  rules: [{ backendRefs: [{ name: db, port: 9000 }] }]
`,
        tcpRoute('tcp', 'tcp', '[{ name: alpha, port: 9000 }]', ', creationTimestamp: "2026-01-01T00:00:00Z"'),
        tcpRoute('tcp-newer', 'tcp', '[{ name: beta, port: 9000 }]', ', creationTimestamp: "2026-01-02T00:00:00Z"'),
        tcpRoute('weighted', 'weighted', '[{ name: alpha, port: 9000, weight: 3 }, { name: beta, port: 9000, weight: 1 }, { name: gamma, port: 9000, weight: 0 }]'),
        tcpRoute('missing', 'missing', '[{ name: nope, port: 9000 }]'),
        tcpRoute('partial', 'partial', '[{ name: alpha, port: 9000 }, { name: nope, port: 9000 }]'),
        tcpRoute('cross', 'cross', '[{ name: other, namespace: shop, port: 9000 }]'),
        `apiVersion: gateway.networking.k8s.io/v1alpha2
kind: UDPRoute
metadata: { name: dns, namespace: default }
spec:
  parentRefs: [{ name: edge, sectionName: udp }]
  rules: [{ backendRefs: [{ name: dns, port: 9000 }] }]
`,
      ].join('---\n'),
    );
    cp = new ControlPlane({ configDir: dir.path, listen: ['127.0.0.1:0'], log: silentLogger, debounceMs: 20, outboundPort: await freePort() });
    await cp.start();
    proxy = await startNodeProxy(p.kind, { xdsAddress: cp.addresses.xds[0]!, nodeId: 'gateway-streams-test', dir: dir.path });
    await waitFor('the TCP listener', async () => (await tcpHello(port.tcp!).catch(() => undefined)) === 'alpha', 15_000);
  });
  after(async () => {
    await proxy?.stop();
    await cp?.stop();
    await Promise.all(closables.map((c) => c.close()));
    dir.cleanup();
  });

  const routeStatus = (kind: string, name: string) => JSON.stringify(cp.status().gatewayApi?.find((s) => s.kind === kind && s.name === name));

  it('TLS passthrough: two hostnames on one port reach two TLS backends chosen by SNI', { skip: p.skip }, async () => {
    const ca = [certA.cert, certB.cert];
    // The backend's own certificate (not the gateway's) proves TLS went through untouched.
    assert.deepEqual(await tlsHello(port.sni!, 'a.example.com', ca), { cn: 'a.example.com', line: 'tls-a' });
    assert.deepEqual(await tlsHello(port.sni!, 'b.example.com', ca), { cn: 'b.example.com', line: 'tls-b' });
    // An SNI no listener serves matches no chain: refused.
    assert.equal(await tlsHello(port.sni!, 'c.example.com', ca), undefined);
  });

  it('TLS terminate: the gateway presents the listener certificate and proxies the plaintext to a TCP backend', { skip: p.skip }, async () => {
    assert.deepEqual(await tlsHello(port.term!, 'db.example.com', [gwCert.cert]), { cn: 'db.example.com', line: 'db' });
  });

  it('TLS Passthrough and Terminate listeners share a port, told apart by SNI', { skip: p.skip }, async () => {
    assert.deepEqual(await tlsHello(port.mixed!, 'a.example.com', [certA.cert]), { cn: 'a.example.com', line: 'tls-a' });
    assert.deepEqual(await tlsHello(port.mixed!, 'db.example.com', [gwCert.cert]), { cn: 'db.example.com', line: 'db' });
  });

  it('TCP: bytes go both ways, and of two TCPRoutes on one listener only the older receives traffic', { skip: p.skip }, async () => {
    const s = net.connect(port.tcp!, '127.0.0.1');
    const got = await new Promise<string>((resolve) => {
      let data = '';
      s.on('data', (d) => {
        data += d.toString();
        if (data.includes('ping')) resolve(data);
      });
      s.write('ping');
    });
    s.destroy();
    assert.equal(got, 'alpha\nping');
    for (let i = 0; i < 20; i++) assert.equal(await tcpHello(port.tcp!), 'alpha');
    assert.match(routeStatus('TCPRoute', 'tcp-newer'), /"status":"True","reason":"Accepted","message":"Route is accepted; receives no traffic for listener tcp/);
  });

  it('weighted TCP backends split connections by weight (3:1 within ±10 points over 200), a weight-0 backend gets none', { skip: p.skip }, async () => {
    const counts = new Map<string | undefined, number>();
    for (let i = 0; i < 200; i++) {
      const who = await tcpHello(port.weighted!);
      counts.set(who, (counts.get(who) ?? 0) + 1);
    }
    assert.equal(counts.get('gamma'), undefined);
    assert.equal((counts.get('alpha') ?? 0) + (counts.get('beta') ?? 0), 200, JSON.stringify([...counts]));
    const alpha = ((counts.get('alpha') ?? 0) / 200) * 100;
    assert.ok(Math.abs(alpha - 75) <= 10, `alpha got ${alpha}%`);
  });

  it('a backendRef to a missing Service: the connection is closed, and ResolvedRefs says BackendNotFound', { skip: p.skip }, async () => {
    for (let i = 0; i < 5; i++) assert.equal(await tcpHello(port.missing!), undefined);
    assert.match(routeStatus('TCPRoute', 'missing'), /"reason":"BackendNotFound"/);
  });

  it('the invalid backendRef share of connections is refused by weight (1:1 within ±12 points over 200)', { skip: p.skip }, async () => {
    let refused = 0;
    for (let i = 0; i < 200; i++) {
      const who = await tcpHello(port.partial!);
      if (who === undefined) refused++;
      else assert.equal(who, 'alpha');
    }
    assert.ok(Math.abs(refused / 2 - 50) <= 12, `refused ${refused / 2}%`);
  });

  it('a cross-namespace backendRef is refused without a ReferenceGrant, served with one, refused again when it goes', { skip: p.skip }, async () => {
    assert.equal(await tcpHello(port.cross!), undefined);
    assert.match(routeStatus('TCPRoute', 'cross'), /"reason":"RefNotPermitted"/);
    dir.write(
      'grant.yaml',
      `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: tcp-from-default, namespace: shop }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: TCPRoute, namespace: default }]
  to: [{ group: "", kind: Service }]
`,
    );
    await waitFor('the grant', async () => (await tcpHello(port.cross!)) === 'shop/other');
    dir.remove('grant.yaml');
    await waitFor('the revocation', async () => (await tcpHello(port.cross!)) === undefined);
  });

  it('UDP: a UDPRoute forwards datagrams and the answers come back', { skip: p.skip }, async () => {
    const answer = await waitFor('a UDP answer', async () => udpAsk(port.udp!, 'hello'), 15_000);
    assert.equal(answer, 'dns:hello');
    assert.match(routeStatus('UDPRoute', 'dns'), /"reason":"Accepted"/);
  });
});

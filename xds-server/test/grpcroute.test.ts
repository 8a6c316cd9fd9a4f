// GRPCRoute on real traffic: nodemesh's control plane translates Gateway,
// GRPCRoute, Service and Workload objects from a watched directory; the node
// proxy binds the Gateway's HTTP (h2c) and HTTPS (h2 by ALPN) listeners and a
// Service's mesh listener; real @grpc/grpc-js clients call real
// @grpc/grpc-js servers through them. Each backend answers with its name, the
// method it served and the metadata it received, so a test sees where a call
// landed and what the gateway did to it. Cases follow the GRPCRoute
// specification text. The suite runs once per node proxy (node-proxies.ts):
// the embedded engine, and Envoy where an `envoy` binary is found.
//
// echo-v2's Service port says appProtocol http: gRPC reaches it only because
// GRPCRoute backends are sent HTTP/2 (the port's h2c variant cluster) — an
// HTTP/1.1 upstream would fail every call to it.
//
// The mesh part relays the control plane's snapshot plus one bound copy of
// echo's VIP listener, as test/gamma.test.ts does (a per-VIP listener is
// reached only through the capture listener, which needs root).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ControlPlane } from '../src/control-plane.js';
import { silentLogger } from '../src/log.js';
import { TypeUrl } from '../../api/src/type-urls.js';
import { ConfigDir, waitFor } from './helpers.js';
import { selfSigned, type TestCert } from './test-certs.js';
import { VipRelay } from './vip-relay.js';
import { freePort } from '../../tools/free-port.js';
import { NODE_PROXIES, reportSkippedVariants, startNodeProxy, type NodeProxy } from './node-proxies.js';

reportSkippedVariants(import.meta.url);

// ── gRPC backends ───────────────────────────────────────────────────────────

const identity = (b: Buffer) => b;

/** Every service/method a test calls; a backend serves all of them (so a wrong route is visible, not UNIMPLEMENTED). */
const METHODS: Record<string, string[]> = {
  'nodemesh.test.Echo': ['Who', 'WhoAmI', 'Ping'],
  'nodemesh.test.Alpha': ['Who'],
  'nodemesh.test.Beta': ['Who'],
  'nodemesh.test.Gamma': ['Who', 'Ping'],
  'nodemesh.test.Split': ['Who'],
  'nodemesh.test.Half': ['Who'],
  'nodemesh.test.Missing': ['Who'],
};

interface Reply {
  backend: string;
  path: string;
  metadata: Record<string, string>;
}

function definition(service: string): grpc.ServiceDefinition {
  return Object.fromEntries(
    METHODS[service]!.map((m) => [
      m,
      { path: `/${service}/${m}`, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
    ]),
  );
}

async function grpcBackend(name: string): Promise<{ port: number; stop(): Promise<void> }> {
  const server = new grpc.Server();
  for (const service of Object.keys(METHODS)) {
    const impl: grpc.UntypedServiceImplementation = {};
    for (const m of METHODS[service]!) {
      impl[m] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        const metadata: Record<string, string> = {};
        for (const [k, v] of Object.entries(call.metadata.getMap())) metadata[k] = String(v);
        const out = new grpc.Metadata();
        out.set('x-backend', name);
        call.sendMetadata(out);
        const reply: Reply = { backend: name, path: `/${service}/${m}`, metadata };
        cb(null, Buffer.from(JSON.stringify(reply)));
      };
    }
    server.addService(definition(service), impl);
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { port, stop: () => new Promise((r) => server.tryShutdown(() => r())) };
}

type Result = { ok: true; reply: Reply; headers: Record<string, string> } | { ok: false; code: grpc.status; details: string };

/** One unary call of `path` with `metadata`; the answer, or the gRPC status it failed with. */
function call(client: grpc.Client, path: string, metadata: Record<string, string> = {}): Promise<Result> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolve) => {
    let headers: Record<string, string> = {};
    const c = client.makeUnaryRequest(path, identity, identity, Buffer.alloc(0), md, { deadline: Date.now() + 5000 }, (err: grpc.ServiceError | null, res?: Buffer) => {
      if (err) resolve({ ok: false, code: err.code, details: err.details });
      else resolve({ ok: true, reply: JSON.parse(res!.toString()) as Reply, headers });
    });
    c.on('metadata', (m: grpc.Metadata) => {
      headers = Object.fromEntries(Object.entries(m.getMap()).map(([k, v]) => [k, String(v)]));
    });
  });
}

async function backendOf(client: grpc.Client, path: string, metadata: Record<string, string> = {}): Promise<string> {
  const r = await call(client, path, metadata);
  return r.ok ? r.reply.backend : `status ${grpc.status[r.code]}`;
}

// ── configuration ───────────────────────────────────────────────────────────

const service = (name: string, port: { name: string; appProtocol: string }, clusterIP = 'None') => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default }
spec:
  clusterIP: ${clusterIP}
  selector: { app: ${name} }
  ports: [{ name: ${port.name}, port: 50051, appProtocol: ${port.appProtocol} }]
`;
const workload = (name: string, portName: string, port: number) => `apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: ${name}-1, namespace: default }
spec: { address: 127.0.0.1, ports: { ${portName}: ${port} }, labels: { app: ${name} } }
`;

const gateway = (httpPort: number, httpsPort: number) => `apiVersion: gateway.networking.k8s.io/v1
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
    - { name: grpc, protocol: HTTP, port: ${httpPort} }
    - { name: grpcs, protocol: HTTPS, port: ${httpsPort}, hostname: grpc.example.com, tls: { certificateRefs: [{ name: grpc-tls }] } }
`;

const ROUTES = `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: echo, namespace: default }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [grpc.example.com]
  rules:
    - matches: [{ method: { service: nodemesh.test.Echo, method: Who } }]
      backendRefs: [{ name: echo-v1, port: 50051 }]
    - matches: [{ method: { service: nodemesh.test.Echo, method: Who }, headers: [{ name: x-version, value: v2 }] }]
      backendRefs: [{ name: echo-v2, port: 50051 }]
    - matches: [{ method: { service: nodemesh.test.Echo } }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: x-gw, value: edge }], add: [{ name: x-added, value: "1" }], remove: [x-drop] }
        - type: ResponseHeaderModifier
          responseHeaderModifier: { set: [{ name: x-served-by, value: nodemesh }] }
      backendRefs: [{ name: echo-v2, port: 50051 }]
    - matches: [{ method: { type: RegularExpression, service: "nodemesh\\\\.test\\\\.(Alpha|Beta)" } }]
      backendRefs: [{ name: echo-v1, port: 50051 }]
    - matches: [{ method: { method: Ping } }]
      backendRefs: [{ name: echo-v1, port: 50051 }]
    - matches: [{ method: { service: nodemesh.test.Split } }]
      backendRefs: [{ name: echo-v1, port: 50051, weight: 80 }, { name: echo-v2, port: 50051, weight: 20 }]
    - matches: [{ method: { service: nodemesh.test.Half } }]
      backendRefs: [{ name: echo-v1, port: 50051 }, { name: nope, port: 50051 }]
    - matches: [{ method: { service: nodemesh.test.Missing } }]
      backendRefs: [{ name: nope, port: 50051 }]
`;

// Producer route on the echo Service's port (GAMMA).
const MESH_ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: echo-mesh, namespace: default }
spec:
  parentRefs: [{ group: "", kind: Service, name: echo, port: 50051 }]
  rules:
    - matches: [{ method: { service: nodemesh.test.Echo }, headers: [{ name: x-version, value: v2 }] }]
      backendRefs: [{ name: echo-v2, port: 50051 }]
    - matches: [{ method: { service: nodemesh.test.Echo } }]
      backendRefs: [{ name: echo-v1, port: 50051 }]
`;
// An HTTPRoute on the same Service port: GEP-1294 applies the GRPCRoute only.
const MESH_HTTP_ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: echo-http, namespace: default }
spec:
  parentRefs: [{ group: "", kind: Service, name: echo, port: 50051 }]
  rules: [{ backendRefs: [{ name: echo-v2, port: 50051 }] }]
`;



// ── tests ───────────────────────────────────────────────────────────────────

// Each test carries the variant's skip, so the runner counts them as skipped
// (a skipped suite would not appear in the totals at all).
for (const p of NODE_PROXIES) describe(`GRPCRoute on real traffic (${p.kind}, grpc-js client and servers)`, () => {
  const dir = new ConfigDir();
  const backends: { stop(): Promise<void> }[] = [];
  const clients: grpc.Client[] = [];
  let cert: TestCert;
  let cp: ControlPlane;
  let relay: VipRelay;
  let proxy: NodeProxy | undefined;
  let gw: grpc.Client;
  let gwPort: number;
  let httpsPort: number;
  let meshPort: number;

  const client = (target: string, creds = grpc.credentials.createInsecure(), options: grpc.ClientOptions = {}) => {
    const c = new grpc.Client(target, creds, { 'grpc.default_authority': 'grpc.example.com', ...options });
    clients.push(c);
    return c;
  };

  before(async () => {
    if (p.skip) return;
    gwPort = await freePort();
    meshPort = await freePort();
    const docs: string[] = [];
    const ports = { 'echo-v1': { name: 'grpc', appProtocol: 'grpc' }, 'echo-v2': { name: 'web', appProtocol: 'http' }, echo: { name: 'grpc', appProtocol: 'grpc' } };
    for (const [name, port] of Object.entries(ports)) {
      const b = await grpcBackend(name);
      backends.push(b);
      docs.push(service(name, port, name === 'echo' ? '10.96.0.40' : 'None'), workload(name, port.name, b.port));
    }
    // The HTTPS listener's certificate, made in-process (no openssl needed).
    cert = await selfSigned('grpc.example.com');
    httpsPort = await freePort();
    const b64 = (x: string) => Buffer.from(x).toString('base64');
    docs.push(`apiVersion: v1
kind: Secret
metadata: { name: grpc-tls, namespace: default }
type: kubernetes.io/tls
data: { tls.crt: ${b64(cert.cert)}, tls.key: ${b64(cert.key)} }
`);
    dir.write('services.yaml', docs.join('---\n'));
    dir.write('gateway.yaml', gateway(gwPort, httpsPort));
    dir.write('routes.yaml', ROUTES);
    cp = new ControlPlane({ configDir: dir.path, listen: ['127.0.0.1:0'], log: silentLogger, debounceMs: 20, outboundPort: await freePort() });
    await cp.start();
    relay = new VipRelay(cp, { hostname: 'echo.default.svc.cluster.local', port: { name: 'grpc', port: 50051, protocol: 'TCP', appProtocol: 'grpc' }, name: 'grpcroute-test-echo', listenerPort: meshPort });
    const xdsAddress = await relay.start();
    proxy = await startNodeProxy(p.kind, { xdsAddress, nodeId: 'grpcroute-test', dir: dir.path });
    gw = client(`127.0.0.1:${gwPort}`);
    await waitFor('the gateway listener', async () => (await backendOf(gw, '/nodemesh.test.Echo/Who')) === 'echo-v1', 15_000);
  });
  after(async () => {
    for (const c of clients) c.close();
    await proxy?.stop();
    await relay?.stop();
    await cp?.stop();
    await Promise.all(backends.map((b) => b.stop()));
    dir.cleanup();
  });

  it('an Exact service and method match selects its rule; a longer method of the service falls to the service-only match', { skip: p.skip }, async () => {
    const who = await call(gw, '/nodemesh.test.Echo/Who');
    assert.ok(who.ok);
    assert.equal(who.reply.backend, 'echo-v1');
    assert.equal(who.reply.path, '/nodemesh.test.Echo/Who');
    assert.equal(await backendOf(gw, '/nodemesh.test.Echo/WhoAmI'), 'echo-v2');
  });

  it('a header match outranks the same method match without one (more header matches)', { skip: p.skip }, async () => {
    assert.equal(await backendOf(gw, '/nodemesh.test.Echo/Who', { 'x-version': 'v2' }), 'echo-v2');
    assert.equal(await backendOf(gw, '/nodemesh.test.Echo/Who', { 'x-version': 'v3' }), 'echo-v1');
  });

  it('a RegularExpression service match matches the whole service name', { skip: p.skip }, async () => {
    assert.equal(await backendOf(gw, '/nodemesh.test.Alpha/Who'), 'echo-v1');
    assert.equal(await backendOf(gw, '/nodemesh.test.Beta/Who'), 'echo-v1');
    // Gamma matches no rule: the gateway's 404, which gRPC reads as UNIMPLEMENTED (the conformance tests' expectation).
    // The same for both proxies: grpc-js maps an HTTP 404 to UNIMPLEMENTED, and Envoy sends a gRPC request's local
    // reply as grpc-status itself, mapping 404 to UNIMPLEMENTED (and 503 to UNAVAILABLE, as below).
    assert.equal(await backendOf(gw, '/nodemesh.test.Gamma/Who'), 'status UNIMPLEMENTED');
  });

  it('a method-only match matches that method of any service, below every service match', { skip: p.skip }, async () => {
    assert.equal(await backendOf(gw, '/nodemesh.test.Gamma/Ping'), 'echo-v1');
    // nodemesh.test.Echo/Ping: the service-only rule has more service characters.
    assert.equal(await backendOf(gw, '/nodemesh.test.Echo/Ping'), 'echo-v2');
  });

  it('request and response header modifiers: the backend sees them, the client gets them', { skip: p.skip }, async () => {
    const r = await call(gw, '/nodemesh.test.Echo/WhoAmI', { 'x-drop': 'secret', 'x-added': '0' });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.reply.metadata['x-gw'], 'edge');
    assert.equal(r.reply.metadata['x-drop'], undefined);
    assert.match(r.reply.metadata['x-added'] ?? '', /^0, ?1$/);
    assert.equal(r.headers['x-served-by'], 'nodemesh');
    assert.equal(r.headers['x-backend'], 'echo-v2');
    // Another rule has no modifiers.
    const plain = await call(gw, '/nodemesh.test.Echo/Who', { 'x-drop': 'kept' });
    assert.ok(plain.ok);
    assert.equal(plain.reply.metadata['x-drop'], 'kept');
    assert.equal(plain.headers['x-served-by'], undefined);
  });

  it('backendRef weights split calls (80/20 within ±7 points over 300 calls)', { skip: p.skip }, async () => {
    let v2 = 0;
    for (let i = 0; i < 300; i++) if ((await backendOf(gw, '/nodemesh.test.Split/Who')) === 'echo-v2') v2++;
    assert.ok(Math.abs((v2 / 300) * 100 - 20) <= 7, `echo-v2 got ${((v2 / 300) * 100).toFixed(1)}%`);
  });

  it('a backendRef to a missing Service: every call UNAVAILABLE, and its share of a split (±12 points over 200 calls)', { skip: p.skip }, async () => {
    const missing = await call(gw, '/nodemesh.test.Missing/Who');
    assert.ok(!missing.ok);
    assert.equal(missing.code, grpc.status.UNAVAILABLE);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const b = await backendOf(gw, '/nodemesh.test.Half/Who');
      outcomes.set(b, (outcomes.get(b) ?? 0) + 1);
    }
    assert.deepEqual([...outcomes.keys()].sort(), ['echo-v1', 'status UNAVAILABLE']);
    assert.ok(Math.abs((outcomes.get('status UNAVAILABLE')! / 200) * 100 - 50) <= 12, JSON.stringify([...outcomes]));
  });

  it('echo-v2 (appProtocol http) is reached through its HTTP/2 variant cluster, echo-v1 (grpc) through its own', { skip: p.skip }, () => {
    const clusters = [...cp.cache.getSnapshot('envoy')!.resources(TypeUrl.Cluster).keys()].filter((n) => n.includes('echo-'));
    assert.deepEqual(new Set(clusters), new Set(['outbound|50051||echo-v1.default.svc.cluster.local', 'outbound|50051||echo-v2.default.svc.cluster.local', 'outbound|50051|h2c|echo-v2.default.svc.cluster.local']));
  });

  it('status: the route is Accepted on its Gateway, ResolvedRefs False BackendNotFound; listeners admit GRPCRoutes', { skip: p.skip }, () => {
    const s = cp.status().gatewayApi.find((x) => x.kind === 'GRPCRoute' && x.name === 'echo');
    const parent = s?.parents?.[0];
    assert.deepEqual(parent?.parentRef, { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'default', name: 'edge' });
    assert.deepEqual(
      parent?.conditions.map((c) => [c.type, c.status, c.reason]),
      [
        ['Accepted', 'True', 'Accepted'],
        ['ResolvedRefs', 'False', 'BackendNotFound'],
      ],
    );
    const g = cp.status().gatewayApi.find((x) => x.kind === 'Gateway' && x.name === 'edge');
    for (const l of g?.listeners ?? []) assert.ok(l.supportedKinds.some((k) => k.kind === 'GRPCRoute'), l.name);
    assert.equal(g?.listeners?.find((l) => l.name === 'grpc')?.attachedRoutes, 1);
  });

  it('an HTTPS listener terminates TLS and serves gRPC over h2 (ALPN), the listener chosen by SNI', { skip: p.skip }, async () => {
    const tls = client(`127.0.0.1:${httpsPort}`, grpc.credentials.createSsl(Buffer.from(cert.cert)), { 'grpc.ssl_target_name_override': 'grpc.example.com' });
    assert.equal(await backendOf(tls, '/nodemesh.test.Echo/Who'), 'echo-v1');
    assert.equal(await backendOf(tls, '/nodemesh.test.Echo/Who', { 'x-version': 'v2' }), 'echo-v2');
    assert.equal(await backendOf(tls, '/nodemesh.test.Missing/Who'), 'status UNAVAILABLE');
  });

  it('GAMMA: without a route, calls to the echo Service reach its own endpoints', { skip: p.skip }, async () => {
    const mesh = client(`127.0.0.1:${meshPort}`, undefined, { 'grpc.default_authority': 'echo.default.svc.cluster.local:50051' });
    await waitFor('the mesh listener', async () => (await backendOf(mesh, '/nodemesh.test.Echo/Who')) === 'echo', 15_000);
  });

  it('GAMMA: a producer GRPCRoute takes over the echo Service; unmatched methods are UNIMPLEMENTED', { skip: p.skip }, async () => {
    const mesh = client(`127.0.0.1:${meshPort}`, undefined, { 'grpc.default_authority': 'echo.default.svc.cluster.local:50051' });
    dir.write('mesh-route.yaml', MESH_ROUTE);
    await waitFor('the mesh route', async () => (await backendOf(mesh, '/nodemesh.test.Echo/Who')) === 'echo-v1');
    assert.equal(await backendOf(mesh, '/nodemesh.test.Echo/WhoAmI', { 'x-version': 'v2' }), 'echo-v2');
    assert.equal(await backendOf(mesh, '/nodemesh.test.Alpha/Who'), 'status UNIMPLEMENTED');
    const s = cp.status().gatewayApi.find((x) => x.kind === 'GRPCRoute' && x.name === 'echo-mesh');
    assert.deepEqual(s?.parents?.[0]?.parentRef, { group: '', kind: 'Service', namespace: 'default', name: 'echo', port: 50051 });
    assert.equal(s?.parents?.[0]?.conditions[0]?.status, 'True');
  });

  it('GAMMA: an HTTPRoute on the same Service port is Conflicted and not applied (GEP-1294: GRPCRoute first)', { skip: p.skip }, async () => {
    const mesh = client(`127.0.0.1:${meshPort}`, undefined, { 'grpc.default_authority': 'echo.default.svc.cluster.local:50051' });
    dir.write('mesh-http-route.yaml', MESH_HTTP_ROUTE);
    const s = await waitFor('the HTTPRoute status', () => cp.status().gatewayApi.find((x) => x.kind === 'HTTPRoute' && x.name === 'echo-http'));
    const accepted = s.parents?.[0]?.conditions.find((c) => c.type === 'Accepted');
    assert.equal(accepted?.status, 'False');
    assert.equal(accepted?.reason, 'Conflicted');
    for (let i = 0; i < 10; i++) assert.equal(await backendOf(mesh, '/nodemesh.test.Echo/Who'), 'echo-v1');
    dir.remove('mesh-http-route.yaml');
    dir.remove('mesh-route.yaml');
    await waitFor('the default route', async () => (await backendOf(mesh, '/nodemesh.test.Echo/Who')) === 'echo');
  });
});

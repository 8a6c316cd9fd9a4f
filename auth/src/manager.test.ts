// The auth manager over two real nodes on loopback (each: embedded provider,
// auth server, in-memory auth map, manager), sharing one CA and — standing in
// for the control plane that distributes it — one trust store.
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import client from 'prom-client';
import { createLogger, type Logger } from '../../xds-server/src/log.js';
import { InMemoryAuthMap } from './authmap/memory.js';
import { X509Authority, type Svid } from './certs/authority.js';
import { EmbeddedCertificateProvider } from './certs/embedded.js';
import { TrustStore } from './certs/trust.js';
import { AuthServer } from './handshake/server.js';
import { AuthManager, type AuthManagerOptions } from './manager.js';
import { AuthMetrics } from './metrics.js';
import { workloadSpiffeId } from './spiffe/id.js';
import { captureLogger, HOUR, metricValue } from './testing/fixtures.js';

const TD = 'cluster.local';
const silent = createLogger({ write: () => {} });

interface Node {
  name: string;
  provider: EmbeddedCertificateProvider;
  server: AuthServer;
  map: InMemoryAuthMap;
  manager: AuthManager;
  registry: client.Registry;
  port: number;
}

async function makeNodes(logger: Logger = silent, managerOptions: Partial<AuthManagerOptions> = {}): Promise<{ a: Node; b: Node; trust: TrustStore; close: () => Promise<void> }> {
  const authority = await X509Authority.createEmbedded({ trustDomain: TD });
  const trust = new TrustStore(TD);
  trust.setBundle(TD, authority.bundlePem);
  const ports = new Map<string, number>();
  const make = async (name: string): Promise<Node> => {
    const registry = new client.Registry();
    const metrics = new AuthMetrics(registry);
    const log = logger.child({ node: name });
    const provider = new EmbeddedCertificateProvider({ authority, trust, logger: log, onRotation: (r) => metrics.rotations.inc({ result: r }) });
    const map = new InMemoryAuthMap();
    const server = new AuthServer({ nodeName: name, provider, trust, authMap: map, logger: log, metrics });
    const { port } = await server.listen(0, '127.0.0.1');
    ports.set(name, port);
    const manager = new AuthManager({
      nodeName: name, provider, trust, authMap: map, logger: log, metrics,
      resolveNode: (n) => (ports.has(n) ? { host: '127.0.0.1', port: ports.get(n)! } : undefined),
      ...managerOptions,
    });
    manager.start();
    return { name, provider, server, map, manager, registry, port };
  };
  const a = await make('node-a');
  const b = await make('node-b');
  return {
    a, b, trust,
    close: async () => {
      for (const n of [a, b]) {
        await n.manager.stop();
        await n.provider.close();
        await n.server.close();
      }
    },
  };
}

const Ls = Array.from({ length: 10 }, (_, i) => workloadSpiffeId(TD, 'shop', `client-${i}`));
const Rs = Array.from({ length: 10 }, (_, i) => workloadSpiffeId(TD, 'shop', `server-${i}`));
const flow = (i: number) => ({ localIdentity: Ls[i]!, remoteIdentity: Rs[i]!, remoteNode: 'node-b' });

describe('auth manager', () => {
  let nodes: Awaited<ReturnType<typeof makeNodes>>;
  before(async () => {
    nodes = await makeNodes();
    await Promise.all(Ls.map((id) => nodes.a.provider.addIdentity(id)));
    await Promise.all(Rs.map((id) => nodes.b.provider.addIdentity(id)));
  });
  after(() => nodes.close());

  test('1,000 concurrent authenticate() calls across 10 identity pairs start exactly 10 handshakes', async () => {
    const { a, b } = nodes;
    const calls = Array.from({ length: 1000 }, (_, i) => a.manager.authenticate(flow(i % 10)));
    const decisions = await Promise.all(calls);
    assert.ok(decisions.every((d) => d.allowed), 'all allowed');
    assert.equal(b.server.stats.ok, 10, 'handshakes completed, counted on the responder');
    assert.equal(b.server.stats.failed, 0);
    assert.equal(await metricValue(b.registry, 'nodemesh_auth_handshakes_total', { role: 'responder', result: 'ok', reason: '' }), 10);
    assert.equal(await metricValue(a.registry, 'nodemesh_auth_handshakes_total', { role: 'initiator', result: 'ok', reason: '' }), 10);
    assert.equal(await metricValue(a.registry, 'nodemesh_auth_requests_total', { outcome: 'started' }), 10);
    assert.equal(await metricValue(a.registry, 'nodemesh_auth_requests_total', { outcome: 'joined' }), 990);
    assert.equal(a.map.size, 10);
    assert.equal(b.map.size, 10);
    // Later flows are answered from the map.
    const again = await Promise.all(Array.from({ length: 100 }, (_, i) => a.manager.authenticate(flow(i % 10))));
    assert.ok(again.every((d) => d.allowed && d.source === 'cache'));
    assert.equal(b.server.stats.ok, 10);
    const st = await a.manager.status();
    assert.equal(st.entries.length, 10);
    assert.deepEqual(st.pending, []);
  });

  test('authenticateConnection: every connection its own handshake (no single-flight, no cache), the entry bound to its tuple', async () => {
    const { a, b } = nodes;
    const okBefore = b.server.stats.ok;
    const pairsA = a.map.size;
    const pairsB = b.map.size;
    const tuple = (sourcePort: number) => ({ sourceAddress: '10.0.2.10', sourcePort, destinationAddress: '10.0.1.10', destinationPort: 8080 });
    // Concurrent connections of one identity pair, one of them named twice: five handshakes, none joined.
    const ports = [40001, 40002, 40003, 40004, 40004];
    const decisions = await Promise.all(ports.map((p) => a.manager.authenticateConnection(flow(3), tuple(p))));
    assert.ok(decisions.every((d) => d.allowed && d.source === 'handshake'));
    assert.equal(b.server.stats.ok - okBefore, 5);
    assert.deepEqual((await b.map.listConnections()).map((c) => c.tuple.sourcePort).sort(), [40001, 40002, 40003, 40004]);
    for (const c of await b.map.listConnections()) assert.deepEqual([c.localIdentity, c.remoteIdentity, c.remoteNode], [Rs[3], Ls[3], 'node-a']);
    assert.deepEqual([a.map.size, b.map.size], [pairsA, pairsB], 'no pair entry on either side');
    assert.deepEqual(await a.map.listConnections(), []);
    // A pair entry does not answer a connection request either.
    await a.manager.authenticate(flow(3));
    const before = b.server.stats.ok;
    assert.ok((await a.manager.authenticateConnection(flow(3), tuple(40005))).allowed);
    assert.equal(b.server.stats.ok, before + 1);
    const refused = await a.manager.authenticateConnection({ ...flow(3), remoteNode: 'node-z' }, tuple(40006));
    assert.ok(!refused.allowed && refused.reason === 'unknown_node');
  });

  test('rotation re-authenticates, from whichever side rotated', async () => {
    const { a, b } = nodes;
    await a.manager.authenticate(flow(0));
    const before = b.server.stats.ok;
    const rotatedL = await a.provider.rotate(Ls[0]!);
    await a.manager.idle();
    assert.equal(b.server.stats.ok, before + 1, 'A re-authenticated L0 → R0 with its new SVID');
    const key = { ...flow(0), authType: 'spiffe-mtls' as const };
    assert.equal((await a.map.get(key, Date.now()))?.localSerial, rotatedL.serial);
    const bEntry = await b.map.get({ localIdentity: Rs[0]!, remoteIdentity: Ls[0]!, remoteNode: 'node-a', authType: 'spiffe-mtls' }, Date.now());
    assert.equal(bEntry?.remoteSerial, rotatedL.serial, "the responder's entry names the new SVID");

    const aBefore = a.server.stats.ok;
    const rotatedR = await b.provider.rotate(Rs[0]!);
    await b.manager.idle();
    assert.equal(a.server.stats.ok, aBefore + 1, 'B re-authenticated its entry for R0, initiating towards node-a');
    const bAfter = await b.map.get({ localIdentity: Rs[0]!, remoteIdentity: Ls[0]!, remoteNode: 'node-a', authType: 'spiffe-mtls' }, Date.now());
    assert.equal(bAfter?.localSerial, rotatedR.serial);
    assert.equal((await a.map.get(key, Date.now()))?.remoteSerial, rotatedR.serial);
    assert.equal(await metricValue(a.registry, 'nodemesh_auth_svid_rotations_total', { result: 'ok' }), 1);
  });

  test('removing an identity removes its entries on both nodes; new flows are refused', async () => {
    const { a, b } = nodes;
    await Promise.all([a.manager.authenticate(flow(1)), a.manager.authenticate(flow(2))]);
    // Initiator side removal.
    a.provider.removeIdentity(Ls[1]!);
    await Promise.all([a.manager.idle(), b.manager.idle()]);
    assert.equal((await a.map.list()).filter((e) => e.localIdentity === Ls[1]).length, 0);
    assert.equal((await b.map.list()).filter((e) => e.remoteIdentity === Ls[1]).length, 0, 'revocation reached the other node');
    const d = await a.manager.authenticate(flow(1));
    assert.ok(!d.allowed);
    assert.equal(d.reason, 'no_local_svid');
    // Responder side removal.
    b.provider.removeIdentity(Rs[2]!);
    await Promise.all([a.manager.idle(), b.manager.idle()]);
    assert.equal((await a.map.list()).filter((e) => e.remoteIdentity === Rs[2]).length, 0);
    const d2 = await a.manager.authenticate(flow(2));
    assert.ok(!d2.allowed);
    assert.equal(d2.reason, 'no_svid');
    assert.equal(d2.by, 'peer');
    assert.equal((await a.manager.status()).failures.no_svid, 1);
  });

  test('an expired entry is not used: the next flow authenticates again; gc removes it', async () => {
    const { a, b } = nodes;
    const f = flow(3);
    await a.manager.authenticate(f);
    const key = { ...f, authType: 'spiffe-mtls' as const };
    const entry = (await a.map.get(key, Date.now()))!;
    await a.map.set({ ...entry, expiresAt: Date.now() - 1 });
    assert.equal(await a.map.get(key, Date.now()), undefined);
    const before = b.server.stats.ok;
    const d = await a.manager.authenticate(f);
    assert.ok(d.allowed && d.source === 'handshake');
    assert.equal(b.server.stats.ok, before + 1);
    await a.map.set({ ...entry, remoteNode: 'node-gone', expiresAt: Date.now() - 1 });
    const n = a.map.size;
    assert.equal(await a.manager.gc(), 1);
    assert.equal(a.map.size, n - 1);
  });

  test('removing a federated bundle removes the entries of that trust domain', async () => {
    const { b, trust } = nodes;
    const partner = await X509Authority.createEmbedded({ trustDomain: 'partner.example' });
    trust.setBundle('partner.example', partner.bundlePem);
    const foreign = workloadSpiffeId('partner.example', 'x', 'y');
    await b.map.set({ localIdentity: Rs[4]!, remoteIdentity: foreign, remoteNode: 'node-p', authType: 'spiffe-mtls', expiresAt: Date.now() + HOUR, authenticatedAt: Date.now(), role: 'responder', localSerial: '', remoteSerial: '' });
    trust.removeBundle('partner.example');
    await b.manager.idle();
    assert.equal((await b.map.list()).filter((e) => e.remoteIdentity === foreign).length, 0);
  });

  test('an unknown node is refused without a handshake', async () => {
    const d = await nodes.a.manager.authenticate({ ...flow(5), remoteNode: 'node-z' });
    assert.ok(!d.allowed);
    assert.equal(d.reason, 'unknown_node');
  });
});

describe('auth manager: a refused pair backs off', () => {
  const clock = { t: Date.now() };
  let nodes: Awaited<ReturnType<typeof makeNodes>>;
  const L = workloadSpiffeId(TD, 'shop', 'loop');
  const R = workloadSpiffeId(TD, 'shop', 'absent');
  const f = { localIdentity: L, remoteIdentity: R, remoteNode: 'node-b' };
  before(async () => {
    nodes = await makeNodes(silent, { now: () => clock.t, refusalBackoffMaxMs: 4000 });
    await nodes.a.provider.addIdentity(L);
  });
  after(() => nodes.close());
  const handshakes = () => nodes.b.server.stats.ok + nodes.b.server.stats.failed;

  test('refusals are answered from memory until the back-off ends, 1 s doubling to the maximum; a success ends it', async () => {
    const { a, b } = nodes;
    const h0 = handshakes();
    const first = await a.manager.authenticate(f);
    assert.ok(!first.allowed && first.reason === 'no_svid' && first.retryAt === undefined, 'the first refusal comes from a handshake');
    assert.equal(handshakes(), h0 + 1);
    for (let i = 0; i < 5; i++) {
      const d = await a.manager.authenticate(f);
      assert.ok(!d.allowed);
      assert.deepEqual([d.reason, d.by, d.retryAt], ['no_svid', 'peer', clock.t + 1000]);
      assert.match(d.detail, /refused earlier; no new handshake before /);
    }
    assert.equal(handshakes(), h0 + 1, 'no handshake while backing off');
    assert.equal(await metricValue(a.registry, 'nodemesh_auth_requests_total', { outcome: 'backoff' }), 5);
    assert.deepEqual(a.manager.backoffs().map((x) => [x.reason, x.until - clock.t]), [['no_svid', 1000]]);

    for (const expected of [2000, 4000, 4000]) {
      clock.t += 1000 + 4000;
      const d = await a.manager.authenticate(f);
      assert.ok(!d.allowed && d.retryAt === undefined, 'after the back-off: a handshake again');
      assert.deepEqual(a.manager.backoffs().map((x) => x.until - clock.t), [expected], 'doubled, up to the maximum');
    }
    assert.equal(handshakes(), h0 + 4);

    // The peer gains the identity: this node cannot know, and keeps backing off until the time is up.
    await b.provider.addIdentity(R);
    assert.ok((await a.manager.authenticate(f)).allowed === false);
    clock.t += 4001;
    const ok = await a.manager.authenticate(f);
    assert.ok(ok.allowed && ok.source === 'handshake');
    assert.deepEqual(a.manager.backoffs(), [], 'a success ends the back-off');
  });

  test('a configuration change (resetBackoff) or a change of this node\'s identities ends every back-off at once', async () => {
    const { a, b } = nodes;
    const R2 = workloadSpiffeId(TD, 'shop', 'later');
    const g = { ...f, remoteIdentity: R2 };
    assert.ok(!(await a.manager.authenticate(g)).allowed);
    assert.equal(a.manager.backoffs().length, 1);
    a.manager.resetBackoff();
    assert.deepEqual(a.manager.backoffs(), []);
    const h = handshakes();
    assert.ok(!(await a.manager.authenticate(g)).allowed);
    assert.equal(handshakes(), h + 1, 'tried again at once');
    await a.provider.addIdentity(workloadSpiffeId(TD, 'shop', 'newcomer'));
    assert.deepEqual(a.manager.backoffs(), [], 'a new local identity ended it');
    await b.provider.addIdentity(R2);
    assert.ok((await a.manager.authenticate(g)).allowed);
  });

  test('per-connection authentication backs off the pair too; a renewal does not wait', async () => {
    const { a } = nodes;
    const R3 = workloadSpiffeId(TD, 'shop', 'per-conn-absent');
    const g = { ...f, remoteIdentity: R3 };
    const tuple = (sourcePort: number) => ({ sourceAddress: '10.0.2.10', sourcePort, destinationAddress: '10.0.1.10', destinationPort: 8443 });
    const h = handshakes();
    const first = await a.manager.authenticateConnection(g, tuple(41000));
    assert.ok(!first.allowed && first.retryAt === undefined);
    const second = await a.manager.authenticateConnection(g, tuple(41001));
    assert.ok(!second.allowed && second.retryAt === clock.t + 1000, 'refused from memory');
    assert.ok(!(await a.manager.authenticate(g)).allowed, 'and the pair path with it');
    assert.equal(handshakes(), h + 1);
    const renewal = await a.manager.authenticateConnection(g, tuple(41000), { renewal: true });
    assert.ok(!renewal.allowed && renewal.retryAt === undefined, 'a renewal tries its handshake');
    assert.equal(handshakes(), h + 2);
  });

  test('refusalBackoffMaxMs 0: every flow tries a handshake', async () => {
    const off = await makeNodes(silent, { refusalBackoffMaxMs: 0 });
    try {
      await off.a.provider.addIdentity(L);
      for (let i = 0; i < 3; i++) assert.ok(!(await off.a.manager.authenticate(f)).allowed);
      assert.equal(off.b.server.stats.failed, 3);
      assert.deepEqual(off.a.manager.backoffs(), []);
    } finally {
      await off.close();
    }
  });
});

test('logs: one JSON flow line per decision with identities and reason; never private key material', async () => {
  const cap = captureLogger();
  const nodes = await makeNodes(cap.logger);
  const L = workloadSpiffeId(TD, 'shop', 'frontend');
  const R = workloadSpiffeId(TD, 'shop', 'checkout');
  const svids: Svid[] = [];
  try {
    svids.push(await nodes.a.provider.addIdentity(L), await nodes.b.provider.addIdentity(R));
    const ok = await nodes.a.manager.authenticate({ localIdentity: L, remoteIdentity: R, remoteNode: 'node-b' });
    assert.ok(ok.allowed);
    svids.push(await nodes.a.provider.rotate(L));
    await nodes.a.manager.idle();
    const refused = await nodes.a.manager.authenticate({ localIdentity: L, remoteIdentity: workloadSpiffeId(TD, 'shop', 'nobody'), remoteNode: 'node-b' });
    assert.ok(!refused.allowed);
    // Careless code paths: an SVID or its key handed to a logger as a field or in a message.
    const svid = nodes.a.provider.getSvid(L)!;
    cap.logger.info(`svid ${svid.key}`, { svid, key: svid.key });
    nodes.a.provider.removeIdentity(L);
    await nodes.b.manager.idle();
  } finally {
    await nodes.close();
  }
  const text = cap.lines.join('\n');
  assert.doesNotMatch(text, /PRIVATE KEY/);
  // The private scalar, in every encoding it could leak in. (The rest of a PKCS#8 body
  // includes the public key, which legitimately appears in certificates.)
  for (const s of svids) {
    const d = Buffer.from(createPrivateKey(s.key.reveal()).export({ format: 'jwk' }).d!, 'base64url');
    // Self-check: the scalar is byte-aligned in a P-256 PKCS#8 body, so a leaked PEM body would match too.
    assert.ok(s.key.reveal().replace(/\n/g, '').includes(d.toString('base64').slice(0, 24)));
    for (const enc of [d.toString('base64'), d.toString('base64url'), d.toString('hex')]) {
      assert.ok(!text.includes(enc.slice(0, 24)), 'no fragment of a private key in the logs');
    }
  }
  assert.match(text, /\[private key redacted\]/);

  const flows = cap.records().filter((r) => r.msg === 'flow auth');
  const initiatorOk = flows.find((r) => r.role === 'initiator' && r.decision === 'authenticated' && r.source === 'handshake');
  assert.ok(initiatorOk);
  assert.equal(initiatorOk.localIdentity, L);
  assert.equal(initiatorOk.remoteIdentity, R);
  assert.equal(initiatorOk.remoteNode, 'node-b');
  assert.equal(initiatorOk.node, 'node-a');
  assert.ok(typeof initiatorOk.expiresAt === 'string');
  const responderOk = flows.find((r) => r.role === 'responder' && r.decision === 'authenticated');
  assert.equal(responderOk?.remoteIdentity, L);
  assert.equal(responderOk?.remoteNode, 'node-a');
  assert.ok(flows.some((r) => r.role === 'initiator' && r.decision === 'refused' && r.reason === 'no_svid' && r.by === 'peer'));
  assert.ok(flows.some((r) => r.role === 'responder' && r.decision === 'refused' && r.reason === 'no_svid' && r.by === 'local'));
  assert.ok(cap.records().some((r) => r.msg === 'SVID rotated' && r.identity === L));
  assert.ok(cap.records().some((r) => r.msg === 'auth entries removed' && r.cause === 'revoked'));
});

test('in-memory auth map: expiry hides entries, gc removes them, deleteWhere filters', async () => {
  const m = new InMemoryAuthMap();
  const k = { localIdentity: 'spiffe://t/a', remoteIdentity: 'spiffe://t/b', remoteNode: 'n', authType: 'spiffe-mtls' as const };
  await m.set({ ...k, expiresAt: 1000, authenticatedAt: 0, role: 'initiator', localSerial: '', remoteSerial: '' });
  assert.ok(await m.get(k, 999));
  assert.equal(await m.get(k, 1000), undefined);
  assert.equal(await m.gc(999), 0);
  assert.equal(await m.gc(1000), 1);
  await m.set({ ...k, expiresAt: 5000, authenticatedAt: 0, role: 'initiator', localSerial: '', remoteSerial: '' });
  await m.set({ ...k, remoteNode: 'm', expiresAt: 5000, authenticatedAt: 0, role: 'initiator', localSerial: '', remoteSerial: '' });
  assert.equal(await m.deleteWhere((e) => e.remoteNode === 'm'), 1);
  assert.equal(m.size, 1);
  assert.equal(await m.delete(k), true);
});

// Handshake tests over real TLS 1.3 sockets on loopback with real
// certificates: the allowed handshake both ways, and the refusals, each with
// its reason asserted on both sides (the side that refused reports by
// 'local', the other by 'peer').
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import type { Svid } from '../certs/authority.js';
import { StaticCertificateProvider } from '../certs/provider.js';
import type { TrustStore } from '../certs/trust.js';
import { InMemoryAuthMap } from '../authmap/memory.js';
import type { AuthEntry } from '../authmap/types.js';
import { workloadSpiffeId } from '../spiffe/id.js';
import { sniForSpiffeId } from '../spiffe/sni.js';
import { HOUR, makeCa, makeIntermediate, makeSvid, metricValue, startNode, trustFor, type TestCa, type TestNode } from '../testing/fixtures.js';
import { initiateHandshake, type HandshakeResult } from './client.js';
import type { ResponderOutcome } from './server.js';
import { contextFor } from './tls-context.js';

const TD = 'cluster.local';
const L = workloadSpiffeId(TD, 'shop', 'frontend');
const R = workloadSpiffeId(TD, 'shop', 'checkout');
const FOREIGN_TD = 'partner.example';

let ca: TestCa;
let otherCaSameTd: TestCa;
let foreignCa: TestCa;
let goodL: Svid;
let goodR: Svid;

before(async () => {
  ca = await makeCa(TD);
  otherCaSameTd = await makeCa(TD);
  foreignCa = await makeCa(FOREIGN_TD);
  goodL = await ca.authority.issueSvid(L, { ttlMs: HOUR, now: new Date() });
  goodR = await ca.authority.issueSvid(R, { ttlMs: HOUR, now: new Date() });
});

interface Run {
  client: HandshakeResult;
  server: ResponderOutcome;
  a: { map: InMemoryAuthMap };
  b: TestNode;
}

/** Node A (holding `aSvids`) authenticates local → remote with node B (holding `bSvids`). */
async function run(o: {
  aSvids?: Svid[];
  bSvids?: Svid[];
  /** Installs an SVID on B under R whatever its URI SAN says (peer presenting the wrong certificate). */
  bAsR?: Svid;
  aAsL?: Svid;
  aTrust?: TrustStore;
  bTrust?: TrustStore;
  local?: string;
  remote?: string;
  authorizePeer?: (p: { localIdentity: string; remoteIdentity: string; remoteNode: string; remoteAddress: string }) => string | undefined;
  beforeHandshake?: (b: { provider: StaticCertificateProvider }) => void;
}): Promise<Run> {
  const aProvider = new StaticCertificateProvider(o.aSvids ?? [goodL]);
  if (o.aAsL) aProvider.setAs(L, o.aAsL);
  const bProvider = new StaticCertificateProvider(o.bSvids ?? [goodR]);
  if (o.bAsR) bProvider.setAs(R, o.bAsR);
  const b = await startNode({ name: 'node-b', provider: bProvider, trust: o.bTrust ?? trustFor(ca), authorizePeer: o.authorizePeer });
  try {
    o.beforeHandshake?.({ provider: bProvider });
    const aMap = new InMemoryAuthMap();
    const outcome = b.nextOutcome();
    const client = await initiateHandshake({
      localIdentity: o.local ?? L,
      remoteIdentity: o.remote ?? R,
      remoteNode: 'node-b',
      address: { host: '127.0.0.1', port: b.port },
      nodeName: 'node-a',
      provider: aProvider,
      trust: o.aTrust ?? trustFor(ca),
      authMap: aMap,
    });
    const server = await outcome;
    return { client, server, a: { map: aMap }, b };
  } finally {
    await b.close();
  }
}

/** The responder's certificate is bad: A refuses (local), B hears the abort (peer). */
function assertInitiatorRefused(r: Run, reason: string, detail?: RegExp): void {
  assert.equal(r.client.ok, false, 'initiator must refuse');
  assert.ok(!r.client.ok);
  assert.equal(r.client.reason, reason, r.client.detail);
  assert.equal(r.client.by, 'local');
  if (detail) assert.match(r.client.detail, detail);
  assert.equal(r.server.ok, false);
  assert.equal(r.server.reason, reason, 'the responder learns the reason from the abort');
  assert.equal(r.server.by, 'peer');
  assert.equal(r.a.map.size, 0);
}

/** The initiator's certificate is bad: B refuses (local), A gets the reason (peer). */
async function assertResponderRefused(r: Run, reason: string, detail?: RegExp): Promise<void> {
  assert.equal(r.server.ok, false, 'responder must refuse');
  assert.equal(r.server.reason, reason, r.server.detail);
  assert.equal(r.server.by, 'local');
  if (detail) assert.match(r.server.detail ?? '', detail);
  assert.ok(!r.client.ok);
  assert.equal(r.client.reason, reason, r.client.detail);
  assert.equal(r.client.by, 'peer');
  assert.equal(r.a.map.size, 0);
  assert.equal((await r.b.authMap.list()).length, 0, 'a refusing responder records nothing');
  assert.equal(await metricValue(r.b.registry, 'nodemesh_auth_handshakes_total', { role: 'responder', result: 'fail', reason }), 1);
}

describe('allowed handshakes', () => {
  test('L → R: both sides record the entry, expiry = the earlier certificate expiry', async () => {
    const r = await run({});
    assert.ok(r.client.ok, !r.client.ok ? `${r.client.reason}: ${r.client.detail}` : '');
    assert.equal(r.server.ok, true);
    const a = r.client.entry;
    assert.deepEqual(
      { l: a.localIdentity, r: a.remoteIdentity, n: a.remoteNode, t: a.authType, role: a.role },
      { l: L, r: R, n: 'node-b', t: 'spiffe-mtls', role: 'initiator' },
    );
    const earlier = Math.min(goodL.notAfter.getTime(), goodR.notAfter.getTime());
    assert.equal(a.expiresAt, earlier);
    assert.equal(a.localSerial, goodL.serial);
    assert.equal(a.remoteSerial, goodR.serial);
    const [bEntry] = await r.b.authMap.list();
    assert.ok(bEntry);
    assert.deepEqual(
      { l: bEntry.localIdentity, r: bEntry.remoteIdentity, n: bEntry.remoteNode, role: bEntry.role, exp: bEntry.expiresAt },
      { l: R, r: L, n: 'node-a', role: 'responder', exp: earlier },
    );
    assert.equal(await metricValue(r.b.registry, 'nodemesh_auth_handshakes_total', { role: 'responder', result: 'ok' }), 1);
  });

  test('R → L, the other way round', async () => {
    const r = await run({ aSvids: [goodR], bSvids: [goodL], local: R, remote: L });
    assert.ok(r.client.ok);
    assert.equal(r.client.entry.remoteIdentity, L);
    assert.equal((await r.b.authMap.list())[0]?.remoteIdentity, R);
  });

  test('the responder has recorded its entry before the initiator is told (slow auth map)', async () => {
    const slow = new (class extends InMemoryAuthMap {
      override async set(e: AuthEntry): Promise<void> {
        await new Promise((res) => setTimeout(res, 100));
        return super.set(e);
      }
    })();
    const b = await startNode({ name: 'node-b', provider: new StaticCertificateProvider([goodR]), trust: trustFor(ca), authMap: slow });
    try {
      const r = await initiateHandshake({
        localIdentity: L, remoteIdentity: R, remoteNode: 'node-b', address: { host: '127.0.0.1', port: b.port },
        nodeName: 'node-a', provider: new StaticCertificateProvider([goodL]), trust: trustFor(ca), authMap: new InMemoryAuthMap(),
      });
      assert.ok(r.ok);
      // At the moment the initiator may release the flow, the receiver's entry is already there.
      assert.ok(await slow.get({ localIdentity: R, remoteIdentity: L, remoteNode: 'node-a', authType: 'spiffe-mtls' }, Date.now()));
      assert.ok(r.durationMs >= 90, `initiator waited for the responder's write (${r.durationMs} ms)`);
    } finally {
      await b.close();
    }
  });

  test('bring-your-own intermediate: the chain is served and verified up to the root', async () => {
    const inter = await makeIntermediate(ca, { notAfter: new Date(Date.now() + 2 * HOUR) });
    const rViaInter = await makeSvid(R, inter.signer, { chainPem: [inter.pem], notAfter: new Date(Date.now() + 3 * HOUR) });
    const r = await run({ bSvids: [rViaInter] });
    assert.ok(r.client.ok, !r.client.ok ? r.client.detail : '');
    // The earliest notAfter on the path is the intermediate's (2 h), before the leaf's (3 h) or L's (1 h)? L's is earliest.
    assert.equal(r.client.entry.expiresAt, Math.min(goodL.notAfter.getTime(), inter.signer.cert.notAfter.getTime()));
    // Without the intermediate the leaf does not chain to the bundle.
    const bare = { ...rViaInter, chainPem: [] };
    assertInitiatorRefused(await run({ bSvids: [bare] }), 'untrusted_ca');
  });

  test('federated trust domain: accepted with its bundle, refused once it is removed', async () => {
    const foreignL = workloadSpiffeId(FOREIGN_TD, 'shop', 'frontend');
    const fsvid = await makeSvid(foreignL, foreignCa.signer);
    const bTrust = trustFor(ca, foreignCa);
    const ok = await run({ aSvids: [fsvid], local: foreignL, aTrust: trustFor(foreignCa, ca), bTrust });
    assert.ok(ok.client.ok, !ok.client.ok ? ok.client.detail : '');
    assert.equal((await ok.b.authMap.list())[0]?.remoteIdentity, foreignL);
    bTrust.removeBundle(FOREIGN_TD);
    await assertResponderRefused(await run({ aSvids: [fsvid], local: foreignL, aTrust: trustFor(foreignCa, ca), bTrust }), 'unknown_trust_domain');
  });
});

describe('refused: the responder presents a bad SVID (initiator decides, responder learns why)', () => {
  test('unknown trust domain', async () => {
    const s = await makeSvid(workloadSpiffeId('stranger.example', 'shop', 'checkout'), (await makeCa('stranger.example')).signer);
    assertInitiatorRefused(await run({ bAsR: s }), 'unknown_trust_domain', /stranger\.example/);
  });
  test('expired', async () => {
    const s = await makeSvid(R, ca.signer, { notBefore: new Date(Date.now() - 2 * HOUR), notAfter: new Date(Date.now() - 60_000) });
    assertInitiatorRefused(await run({ bAsR: s }), 'expired');
  });
  test('not yet valid', async () => {
    const s = await makeSvid(R, ca.signer, { notBefore: new Date(Date.now() + 10 * 60_000), notAfter: new Date(Date.now() + HOUR) });
    assertInitiatorRefused(await run({ bAsR: s }), 'not_yet_valid');
  });
  test('wrong SPIFFE ID (a valid SVID of another workload)', async () => {
    const s = await ca.authority.issueSvid(workloadSpiffeId(TD, 'shop', 'payments'), { ttlMs: HOUR, now: new Date() });
    assertInitiatorRefused(await run({ bAsR: s }), 'wrong_spiffe_id', /expected spiffe:\/\/cluster\.local\/ns\/shop\/sa\/checkout/);
  });
  test('untrusted CA (another CA claiming the same trust domain)', async () => {
    assertInitiatorRefused(await run({ bAsR: await makeSvid(R, otherCaSameTd.signer) }), 'untrusted_ca');
  });
  test('signed by an impostor CA with the trusted root\'s exact name (only the signature differs)', async () => {
    const { issueCertificate } = await import('../certs/x509.js');
    const impostor = await issueCertificate({ subject: ca.signer.cert.subject, notBefore: new Date(Date.now() - HOUR), notAfter: new Date(Date.now() + HOUR), isCa: true });
    const s = await makeSvid(R, { cert: impostor.cert, privateKey: impostor.privateKey });
    assertInitiatorRefused(await run({ bAsR: s }), 'untrusted_ca');
  });
  test('revoked serial', async () => {
    const aTrust = trustFor(ca);
    aTrust.revoke({ id: R, serial: goodR.serial, notAfter: goodR.notAfter });
    assertInitiatorRefused(await run({ aTrust }), 'revoked');
  });
  test('CA certificate used as the leaf', async () => {
    assertInitiatorRefused(await run({ bAsR: await makeSvid(R, ca.signer, { isCa: true }) }), 'leaf_is_ca');
  });
  test('missing serverAuth EKU', async () => {
    assertInitiatorRefused(await run({ bAsR: await makeSvid(R, ca.signer, { extKeyUsage: ['clientAuth'] }) }), 'wrong_extended_key_usage', /serverAuth/);
  });
  test('keyUsage without digitalSignature', async () => {
    assertInitiatorRefused(await run({ bAsR: await makeSvid(R, ca.signer, { keyUsage: ['keyEncipherment'] }) }), 'wrong_key_usage');
  });
  test('leaf allowed to sign certificates (keyCertSign)', async () => {
    assertInitiatorRefused(await run({ bAsR: await makeSvid(R, ca.signer, { keyUsage: ['digitalSignature', 'keyCertSign'] }) }), 'wrong_key_usage');
  });
  test('wrong key type (P-384)', async () => {
    assertInitiatorRefused(await run({ bAsR: await makeSvid(R, ca.signer, { keyAlgorithm: 'P-384' }) }), 'wrong_key_type', /secp384r1/);
  });
  test('no URI SAN', async () => {
    assertInitiatorRefused(await run({ bAsR: await makeSvid(R, ca.signer, { uris: [] }) }), 'malformed_svid');
  });
  test('two URI SANs', async () => {
    assertInitiatorRefused(await run({ bAsR: await makeSvid(R, ca.signer, { uris: [R, L] }) }), 'malformed_svid', /exactly one URI SAN/);
  });
  test('expired intermediate in the served chain', async () => {
    const inter = await makeIntermediate(ca, { notBefore: new Date(Date.now() - 3 * HOUR), notAfter: new Date(Date.now() - HOUR) });
    assertInitiatorRefused(await run({ bAsR: await makeSvid(R, inter.signer, { chainPem: [inter.pem] }) }), 'expired', /CA /);
  });
  test('chain through a non-CA certificate', async () => {
    const notCa = await makeSvid(workloadSpiffeId(TD, 'x', 'y'), ca.signer);
    const { X509Certificate } = await import('node:crypto');
    const { importSigningKey } = await import('../certs/x509.js');
    const { x509 } = await import('../certs/peculiar.js');
    const { verifySvidChain } = await import('../certs/verify.js');
    const signer = { cert: new x509.X509Certificate(notCa.certPem), privateKey: await importSigningKey(notCa.key) };
    const leaf = await makeSvid(R, signer, { chainPem: [notCa.certPem] });
    // The verifier names the defect, given the chain directly and over TLS.
    const v = verifySvidChain({
      chain: [new X509Certificate(leaf.certPem), new X509Certificate(notCa.certPem)],
      expectedId: R, peerRole: 'server', trust: trustFor(ca), now: new Date(),
    });
    assert.deepEqual(v.ok ? 'ok' : v.reason, 'invalid_chain');
    assertInitiatorRefused(await run({ bAsR: leaf }), 'invalid_chain', /not a CA certificate/);
  });
  test('a foreign trust domain ID signed by the local CA', async () => {
    const foreignR = workloadSpiffeId(FOREIGN_TD, 'shop', 'checkout');
    const s = await makeSvid(foreignR, ca.signer);
    assertInitiatorRefused(await run({ bSvids: [s], remote: foreignR, aTrust: trustFor(ca, foreignCa) }), 'untrusted_ca', /partner\.example/);
  });
});

describe('refused: the initiator presents a bad SVID (responder decides, initiator learns why)', () => {
  test('unknown trust domain', async () => {
    const s = await makeSvid(workloadSpiffeId('stranger.example', 'shop', 'frontend'), (await makeCa('stranger.example')).signer);
    await assertResponderRefused(await run({ aAsL: s }), 'unknown_trust_domain');
  });
  test('expired', async () => {
    const s = await makeSvid(L, ca.signer, { notBefore: new Date(Date.now() - 2 * HOUR), notAfter: new Date(Date.now() - 1000) });
    await assertResponderRefused(await run({ aAsL: s }), 'expired');
  });
  test('not yet valid', async () => {
    const s = await makeSvid(L, ca.signer, { notBefore: new Date(Date.now() + HOUR), notAfter: new Date(Date.now() + 2 * HOUR) });
    await assertResponderRefused(await run({ aAsL: s }), 'not_yet_valid');
  });
  test('wrong SPIFFE ID (claims L, presents another workload\'s SVID)', async () => {
    const other = await ca.authority.issueSvid(workloadSpiffeId(TD, 'shop', 'payments'), { ttlMs: HOUR, now: new Date() });
    await assertResponderRefused(await run({ aAsL: other }), 'wrong_spiffe_id');
  });
  test('untrusted CA', async () => {
    await assertResponderRefused(await run({ aAsL: await makeSvid(L, otherCaSameTd.signer) }), 'untrusted_ca');
  });
  test('revoked serial', async () => {
    const bTrust = trustFor(ca);
    bTrust.revoke({ id: L, serial: goodL.serial, notAfter: goodL.notAfter });
    await assertResponderRefused(await run({ bTrust }), 'revoked');
  });
  test('CA certificate used as the leaf', async () => {
    await assertResponderRefused(await run({ aAsL: await makeSvid(L, ca.signer, { isCa: true }) }), 'leaf_is_ca');
  });
  test('missing clientAuth EKU', async () => {
    await assertResponderRefused(await run({ aAsL: await makeSvid(L, ca.signer, { extKeyUsage: ['serverAuth'] }) }), 'wrong_extended_key_usage', /clientAuth/);
  });
  test('no keyUsage extension', async () => {
    await assertResponderRefused(await run({ aAsL: await makeSvid(L, ca.signer, { keyUsage: [] }) }), 'wrong_key_usage');
  });
  test('wrong key type (RSA)', async () => {
    await assertResponderRefused(await run({ aAsL: await makeSvid(L, ca.signer, { keyAlgorithm: 'RSA-2048' }) }), 'wrong_key_type', /rsa/);
  });
  test('responder policy refuses the initiator', async () => {
    const seen: string[] = [];
    const r = await run({
      authorizePeer: (p) => {
        seen.push(p.remoteAddress);
        return p.remoteNode === 'node-a' ? `${p.remoteIdentity} does not run on ${p.remoteNode}` : undefined;
      },
    });
    assert.deepEqual(seen, ['127.0.0.1'], 'the hook sees the TCP peer address, to check the claimed node');
    await assertResponderRefused(r, 'peer_not_authorized', /does not run on node-a/);
  });
});

describe('refused: identities missing, and transport failures', () => {
  test('R is not a workload on the responder node', async () => {
    const r = await run({ bSvids: [] });
    assert.ok(!r.client.ok);
    assert.equal(r.client.reason, 'no_svid');
    assert.equal(r.client.by, 'peer');
    assert.match(r.client.detail, /unauthenticated responder/);
    assert.equal(r.server.reason, 'no_svid');
    assert.equal(r.server.by, 'local');
  });
  test('R removed from the responder node (revoked identity)', async () => {
    const r = await run({ beforeHandshake: ({ provider }) => provider.remove(R) });
    assert.ok(!r.client.ok);
    assert.equal(r.client.reason, 'no_svid');
    assert.equal(r.server.reason, 'no_svid');
  });
  test('initiator holds no SVID for L', async () => {
    const provider = new StaticCertificateProvider([]);
    const r = await initiateHandshake({
      localIdentity: L, remoteIdentity: R, remoteNode: 'node-b', address: { host: '127.0.0.1', port: 1 },
      nodeName: 'node-a', provider, trust: trustFor(ca), authMap: new InMemoryAuthMap(),
    });
    assert.ok(!r.ok);
    assert.equal(r.reason, 'no_local_svid');
  });
  test('nothing listening: connect_failed', async () => {
    const srv = net.createServer();
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((res) => srv.close(res));
    const r = await initiateHandshake({
      localIdentity: L, remoteIdentity: R, remoteNode: 'node-b', address: { host: '127.0.0.1', port },
      nodeName: 'node-a', provider: new StaticCertificateProvider([goodL]), trust: trustFor(ca), authMap: new InMemoryAuthMap(),
    });
    assert.ok(!r.ok);
    assert.equal(r.reason, 'connect_failed');
  });
  test('a peer that only speaks TLS 1.2: tls_error', async () => {
    const srv = tls.createServer({ key: goodR.key.reveal(), cert: goodR.certPem, maxVersion: 'TLSv1.2' });
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
    try {
      const r = await initiateHandshake({
        localIdentity: L, remoteIdentity: R, remoteNode: 'node-b', address: { host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port },
        nodeName: 'node-a', provider: new StaticCertificateProvider([goodL]), trust: trustFor(ca), authMap: new InMemoryAuthMap(),
      });
      assert.ok(!r.ok);
      assert.equal(r.reason, 'tls_error');
    } finally {
      srv.close();
    }
  });
  test('a peer that accepts and never answers: timeout', async () => {
    const socks: net.Socket[] = [];
    const srv = net.createServer((s) => socks.push(s));
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
    try {
      const r = await initiateHandshake({
        localIdentity: L, remoteIdentity: R, remoteNode: 'node-b', address: { host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port },
        nodeName: 'node-a', provider: new StaticCertificateProvider([goodL]), trust: trustFor(ca), authMap: new InMemoryAuthMap(), timeoutMs: 300,
      });
      assert.ok(!r.ok);
      assert.equal(r.reason, 'timeout');
    } finally {
      for (const s of socks) s.destroy();
      srv.close();
    }
  });
});

describe('the responder against raw clients', () => {
  let b: TestNode;
  before(async () => {
    b = await startNode({ name: 'node-b', provider: new StaticCertificateProvider([goodR]), trust: trustFor(ca) });
  });
  after(() => b.close());

  function rawClient(withCert: boolean): Promise<tls.TLSSocket> {
    return new Promise((res, rej) => {
      const s = tls.connect({
        host: '127.0.0.1', port: b.port, servername: sniForSpiffeId(R), minVersion: 'TLSv1.3', rejectUnauthorized: false,
        ...(withCert ? { secureContext: contextFor(goodL) } : {}),
      });
      s.once('secureConnect', () => res(s));
      s.once('error', rej);
    });
  }
  function readLine(s: tls.TLSSocket): Promise<Record<string, unknown>> {
    return new Promise((res) => {
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('\n')) res(JSON.parse(buf.slice(0, buf.indexOf('\n'))) as Record<string, unknown>);
      });
    });
  }

  test('no client certificate', async () => {
    const outcome = b.nextOutcome();
    const s = await rawClient(false);
    s.write(JSON.stringify({ t: 'request', v: 1, initiator: L, responder: R, initiatorNode: 'node-a' }) + '\n');
    const m = await readLine(s);
    s.destroy();
    assert.deepEqual([m.t, m.reason], ['fail', 'no_peer_certificate']);
    assert.equal((await outcome).reason, 'no_peer_certificate');
  });
  test('unsupported protocol version', async () => {
    const outcome = b.nextOutcome();
    const s = await rawClient(true);
    s.write(JSON.stringify({ t: 'request', v: 2, initiator: L, responder: R, initiatorNode: 'node-a' }) + '\n');
    const m = await readLine(s);
    s.destroy();
    assert.deepEqual([m.t, m.reason], ['fail', 'protocol_error']);
    assert.match(String(m.detail), /version 2/);
    assert.equal((await outcome).reason, 'protocol_error');
  });
  test('request naming a different responder than the SNI', async () => {
    const outcome = b.nextOutcome();
    const s = await rawClient(true);
    s.write(JSON.stringify({ t: 'request', v: 1, initiator: L, responder: L, initiatorNode: 'node-a' }) + '\n');
    const m = await readLine(s);
    s.destroy();
    assert.equal(m.reason, 'protocol_error');
    assert.equal((await outcome).reason, 'protocol_error');
    assert.equal((await b.authMap.list()).length, 0);
  });
});

describe('per-connection handshakes (request with the connection 4-tuple)', () => {
  const tupleA = { sourceAddress: '10.0.2.10', sourcePort: 40001, destinationAddress: '10.0.1.10', destinationPort: 8080 };
  const tupleB = { ...tupleA, sourcePort: 40002 };

  async function connect(b: TestNode, aMap: InMemoryAuthMap, connection: typeof tupleA | undefined) {
    return initiateHandshake({
      localIdentity: L, remoteIdentity: R, remoteNode: 'node-b', address: { host: '127.0.0.1', port: b.port },
      nodeName: 'node-a', provider: new StaticCertificateProvider([goodL]), trust: trustFor(ca), authMap: aMap,
      ...(connection ? { connection } : {}),
    });
  }

  test("the responder's entry for exactly that tuple exists before ok; no pair entry on either side; another tuple is not covered", async () => {
    const slow = new (class extends InMemoryAuthMap {
      override async setConnection(e: Parameters<InMemoryAuthMap['setConnection']>[0]): Promise<void> {
        await new Promise((res) => setTimeout(res, 100));
        return super.setConnection(e);
      }
    })();
    const b = await startNode({ name: 'node-b', provider: new StaticCertificateProvider([goodR]), trust: trustFor(ca), authMap: slow });
    try {
      const aMap = new InMemoryAuthMap();
      const outcome = b.nextOutcome();
      const r = await connect(b, aMap, tupleA);
      assert.ok(r.ok, !r.ok ? `${r.reason}: ${r.detail}` : '');
      assert.ok(r.durationMs >= 90, `initiator waited for the responder's write (${r.durationMs} ms)`);
      const e = await slow.getConnection(tupleA, Date.now());
      assert.ok(e, 'the connection entry is there when the initiator may connect');
      assert.deepEqual(
        { l: e.localIdentity, r: e.remoteIdentity, n: e.remoteNode, t: e.authType, tuple: e.tuple, exp: e.expiresAt },
        { l: R, r: L, n: 'node-a', t: 'spiffe-mtls', tuple: tupleA, exp: Math.min(goodL.notAfter.getTime(), goodR.notAfter.getTime()) },
      );
      assert.equal(await slow.getConnection(tupleB, Date.now()), undefined, 'another source port is another connection');
      assert.equal(await slow.getConnection({ ...tupleA, destinationPort: 8081 }, Date.now()), undefined);
      assert.deepEqual(await slow.list(), [], 'no pair entry on the responder');
      assert.deepEqual(await aMap.list(), [], 'nothing cached on the initiator');
      assert.deepEqual((await outcome).connection, tupleA);

      // The second connection pays its own handshake and gets its own entry.
      const r2 = await connect(b, aMap, tupleB);
      assert.ok(r2.ok);
      assert.deepEqual((await slow.listConnections()).map((c) => c.tuple.sourcePort).sort(), [40001, 40002]);
      assert.equal(await metricValue(b.registry, 'nodemesh_auth_handshakes_total', { role: 'responder', result: 'ok' }), 2);
      // Expired entries are invisible and collected.
      assert.equal(await slow.getConnection(tupleA, e.expiresAt), undefined);
      assert.equal(await slow.gc(e.expiresAt), 2);
    } finally {
      await b.close();
    }
  });

  test('a renewal reaches the auth map marked as such', async () => {
    const got: boolean[] = [];
    const map = new (class extends InMemoryAuthMap {
      override async setConnection(e: Parameters<InMemoryAuthMap['setConnection']>[0]): Promise<void> {
        got.push(!!e.renewal);
        return super.setConnection(e);
      }
    })();
    const b = await startNode({ name: 'node-b', provider: new StaticCertificateProvider([goodR]), trust: trustFor(ca), authMap: map });
    try {
      assert.ok((await connect(b, new InMemoryAuthMap(), tupleA)).ok);
      const r = await initiateHandshake({
        localIdentity: L, remoteIdentity: R, remoteNode: 'node-b', address: { host: '127.0.0.1', port: b.port },
        nodeName: 'node-a', provider: new StaticCertificateProvider([goodL]), trust: trustFor(ca), authMap: new InMemoryAuthMap(),
        connection: tupleA, renewal: true,
      });
      assert.ok(r.ok);
      assert.deepEqual(got, [false, true]);
      assert.equal((await map.listConnections()).length, 1);
      assert.equal((await map.listConnections())[0]!.renewal, undefined, 'the flag is not stored');
    } finally {
      await b.close();
    }
  });

  test('a request without the tuple is the pair handshake, unchanged', async () => {
    const b = await startNode({ name: 'node-b', provider: new StaticCertificateProvider([goodR]), trust: trustFor(ca) });
    try {
      const aMap = new InMemoryAuthMap();
      const r = await connect(b, aMap, undefined);
      assert.ok(r.ok);
      assert.equal((await b.authMap.list()).length, 1);
      assert.equal(aMap.size, 1);
      assert.deepEqual(await (b.authMap as InMemoryAuthMap).listConnections(), []);
    } finally {
      await b.close();
    }
  });

  test('authorizeConnection refuses a tuple: peer_not_authorized, nothing recorded', async () => {
    const seen: unknown[] = [];
    const b = await startNode({
      name: 'node-b', provider: new StaticCertificateProvider([goodR]), trust: trustFor(ca),
      authorizeConnection: (p) => (seen.push(p), p.tuple.sourceAddress === tupleA.sourceAddress ? 'not a workload of the initiator' : undefined),
    });
    try {
      const r = await connect(b, new InMemoryAuthMap(), tupleA);
      assert.ok(!r.ok);
      assert.deepEqual([r.reason, r.by], ['peer_not_authorized', 'peer']);
      assert.deepEqual(seen, [{ localIdentity: R, remoteIdentity: L, remoteNode: 'node-a', tuple: tupleA }]);
      assert.deepEqual(await (b.authMap as InMemoryAuthMap).listConnections(), []);
      assert.ok((await connect(b, new InMemoryAuthMap(), { ...tupleA, sourceAddress: '10.0.2.11' })).ok);
    } finally {
      await b.close();
    }
  });

  test('an auth map without per-connection entries refuses with auth_map_error', async () => {
    const inner = new InMemoryAuthMap();
    const pairOnly = { get: inner.get.bind(inner), set: inner.set.bind(inner), delete: inner.delete.bind(inner), deleteWhere: inner.deleteWhere.bind(inner), list: inner.list.bind(inner), gc: inner.gc.bind(inner) };
    const b = await startNode({ name: 'node-b', provider: new StaticCertificateProvider([goodR]), trust: trustFor(ca), authMap: pairOnly });
    try {
      const r = await connect(b, new InMemoryAuthMap(), tupleA);
      assert.ok(!r.ok);
      assert.equal(r.reason, 'auth_map_error');
      assert.equal(inner.size, 0);
    } finally {
      await b.close();
    }
  });

  test('a malformed tuple is a protocol error', async () => {
    const b = await startNode({ name: 'node-b', provider: new StaticCertificateProvider([goodR]), trust: trustFor(ca) });
    try {
      for (const conn of [{ saddr: '10.0.0.1', sport: 0, daddr: '10.0.0.2', dport: 80 }, { saddr: '::1', sport: 1, daddr: '10.0.0.2', dport: 80 }, 'x']) {
        const outcome = b.nextOutcome();
        const s = await new Promise<tls.TLSSocket>((res, rej) => {
          const c = tls.connect({ host: '127.0.0.1', port: b.port, servername: sniForSpiffeId(R), minVersion: 'TLSv1.3', rejectUnauthorized: false, secureContext: contextFor(goodL) });
          c.once('secureConnect', () => res(c));
          c.once('error', rej);
        });
        s.write(JSON.stringify({ t: 'request', v: 1, initiator: L, responder: R, initiatorNode: 'node-a', conn }) + '\n');
        const o = await outcome;
        s.destroy();
        assert.equal(o.reason, 'protocol_error');
        assert.match(o.detail ?? '', /connection tuple/);
      }
      assert.deepEqual(await (b.authMap as InMemoryAuthMap).listConnections(), []);
    } finally {
      await b.close();
    }
  });
});

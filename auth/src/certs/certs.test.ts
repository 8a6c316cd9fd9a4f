// The embedded CA and provider, bring-your-own CAs, and key files — with real
// certificates, inspected with node:crypto and @peculiar/x509.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLogger } from '../../../xds-server/src/log.js';
import { workloadSpiffeId } from '../spiffe/id.js';
import { captureLogger, HOUR, makeCa, makeIntermediate, ManualClock } from '../testing/fixtures.js';
import { X509Authority } from './authority.js';
import { EmbeddedCertificateProvider } from './embedded.js';
import { svidFilePaths } from './files.js';
import { x509 } from './peculiar.js';
import type { ProviderEvent } from './provider.js';
import { PrivateKeyPem } from './secret.js';
import { TrustStore } from './trust.js';
import { verifySvidChain } from './verify.js';
import { issueCertificate } from './x509.js';

const TD = 'cluster.local';
const ID = workloadSpiffeId(TD, 'shop', 'checkout');
const silent = createLogger({ write: () => {} });
const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'nodemesh-auth-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('embedded CA: the root and the X.509-SVIDs it issues have the SPIFFE shape', async () => {
  const now = new Date();
  const ca = await X509Authority.createEmbedded({ trustDomain: TD, now });
  const root = new x509.X509Certificate(ca.bundlePem[0]!);
  assert.equal(root.getExtension(x509.BasicConstraintsExtension)?.ca, true);
  assert.deepEqual(root.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.map((n) => n.value), [`spiffe://${TD}`]);

  const svid = await ca.issueSvid(ID, { ttlMs: HOUR, now });
  assert.deepEqual(svid.chainPem, [], 'signed by the root itself: nothing to serve but the leaf');
  const c = new x509.X509Certificate(svid.certPem);
  assert.deepEqual(c.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.map((n) => [n.type, n.value]), [['url', ID]]);
  const bc = c.getExtension(x509.BasicConstraintsExtension);
  assert.equal(bc?.ca, false);
  assert.equal(bc?.critical, true);
  const ku = c.getExtension(x509.KeyUsagesExtension);
  assert.equal(ku?.usages, x509.KeyUsageFlags.digitalSignature, 'digitalSignature only');
  assert.equal(ku?.critical, true);
  assert.deepEqual([...(c.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])].map(String), [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);
  const nc = new X509Certificate(svid.certPem);
  assert.equal(nc.publicKey.asymmetricKeyType, 'ec');
  assert.equal(nc.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(Math.abs(svid.notAfter.getTime() - (now.getTime() + HOUR)) < 1000, 'TTL 1 h');
  assert.ok(Math.abs(svid.notBefore.getTime() - (now.getTime() - 30_000)) < 1000, 'notBefore backdated 30 s for clock skew');
  assert.match(svid.serial, /^[0-9a-f]{32}$/);

  const trust = new TrustStore(TD);
  trust.setBundle(TD, ca.bundlePem);
  for (const peerRole of ['client', 'server'] as const) {
    const v = verifySvidChain({ chain: [nc], expectedId: ID, peerRole, trust, now });
    assert.ok(v.ok, v.ok ? '' : v.detail);
  }
  await assert.rejects(ca.issueSvid('spiffe://other.td/ns/a/sa/b', { ttlMs: HOUR, now }), /not in trust domain cluster.local/);
  await assert.rejects(ca.issueSvid(`spiffe://${TD}`, { ttlMs: HOUR, now }), /not a workload/);
});

test('embedded provider: rotation at 50 % of the lifetime ± jitter, re-scheduled after each rotation', async () => {
  const ca = await X509Authority.createEmbedded({ trustDomain: TD });
  const clock = new ManualClock();
  const dues: number[] = [];
  for (const r of [0, 0.5, 0.999999]) {
    const p = new EmbeddedCertificateProvider({ authority: ca, trust: new TrustStore(TD), logger: silent, clock, random: () => r });
    const start = clock.now();
    await p.addIdentity(ID);
    dues.push((p.rotationDue(ID)! - start) / HOUR);
    await p.close();
  }
  // lifetime × (0.5 + 0.1 × (2r − 1)); X.509 times have 1 s resolution, so allow a little.
  assert.ok(Math.abs(dues[0]! - 0.4) < 0.001, `r=0 → 40 % (${dues[0]})`);
  assert.ok(Math.abs(dues[1]! - 0.5) < 0.001, `r=0.5 → 50 % (${dues[1]})`);
  assert.ok(Math.abs(dues[2]! - 0.6) < 0.001, `r→1 → 60 % (${dues[2]})`);

  const rotations: ProviderEvent[] = [];
  const p = new EmbeddedCertificateProvider({ authority: ca, trust: new TrustStore(TD), logger: silent, clock, random: () => 0.5, rotateAt: 0.5 });
  p.subscribe((e) => rotations.push(e));
  const first = await p.addIdentity(ID);
  clock.advance(0.5 * HOUR - 2000);
  assert.equal(rotations.filter((e) => e.type === 'rotated').length, 0, 'not before it is due');
  clock.advance(2000);
  await waitFor(() => rotations.some((e) => e.type === 'rotated'));
  const rotated = rotations.find((e) => e.type === 'rotated');
  assert.ok(rotated && rotated.type === 'rotated');
  assert.equal(rotated.previousSerial, first.serial);
  assert.notEqual(rotated.svid.serial, first.serial);
  assert.equal(p.getSvid(ID)?.serial, rotated.svid.serial);
  assert.ok(rotated.svid.notAfter.getTime() > first.notAfter.getTime(), 'the new SVID lives past the old one');
  assert.ok(p.rotationDue(ID)! > clock.now(), 'next rotation scheduled');
  await p.close();
  assert.throws(() => new EmbeddedCertificateProvider({ authority: ca, trust: new TrustStore(TD), logger: silent, rotateAt: 1 }), /rotateAt/);
  assert.throws(() => new EmbeddedCertificateProvider({ authority: ca, trust: new TrustStore(TD), logger: silent, rotateAt: 0.5, jitter: 0.6 }), /jitter/);
});

test('embedded provider: rotates on its own with real timers (4 s SVIDs)', async () => {
  const ca = await X509Authority.createEmbedded({ trustDomain: TD });
  const p = new EmbeddedCertificateProvider({ authority: ca, trust: new TrustStore(TD), logger: silent, ttlMs: 4000, jitter: 0 });
  const first = await p.addIdentity(ID);
  const rotated = new Promise<ProviderEvent>((res) => p.subscribe((e) => e.type === 'rotated' && res(e)));
  // The provider's timers are unref'd (they must not keep an agent alive); this test must stay up.
  const keepAlive = setInterval(() => {}, 1000);
  const e = await rotated.finally(() => clearInterval(keepAlive));
  assert.ok(e.type === 'rotated' && e.previousSerial === first.serial);
  assert.ok(Date.now() < first.notAfter.getTime(), 'replaced before the old SVID expired');
  assert.ok(e.svid.notAfter.getTime() > first.notAfter.getTime());
  await p.close();
});

test('key files: 0600 from the start (even with umask 0), 0700 directory, replaced on rotation, deleted on removal', async () => {
  const ca = await X509Authority.createEmbedded({ trustDomain: TD });
  const dir = join(tmp(), 'svids');
  const trust = new TrustStore(TD);
  const p = new EmbeddedCertificateProvider({ authority: ca, trust, logger: silent, keyDir: dir });
  const old = process.umask(0);
  try {
    const svid = await p.addIdentity(ID);
    const files = svidFilePaths(dir, ID);
    assert.equal(statSync(files.keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(files.certFile).mode & 0o777, 0o644);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(readFileSync(files.keyFile, 'utf8'), svid.key.reveal());
    const next = await p.rotate(ID);
    assert.equal(statSync(files.keyFile).mode & 0o777, 0o600);
    assert.equal(readFileSync(files.keyFile, 'utf8'), next.key.reveal());
    assert.equal(new X509Certificate(readFileSync(files.certFile)).serialNumber.toLowerCase(), next.serial);
    p.removeIdentity(ID);
    assert.equal(existsSync(files.keyFile), false);
    assert.equal(existsSync(files.certFile), false);
    assert.ok(trust.isRevoked(next.serial), 'removal revokes the outstanding SVID');
    assert.equal(p.getSvid(ID), undefined);
  } finally {
    process.umask(old);
    await p.close();
  }
});

test('bring-your-own CA: an intermediate from files (tls.crt, tls.key, ca.crt) — chain served, root in the bundle', async () => {
  const root = await makeCa(TD);
  const inter = await makeIntermediate(root);
  const dir = tmp();
  writeFileSync(join(dir, 'tls.crt'), inter.pem);
  writeFileSync(join(dir, 'tls.key'), inter.key.reveal(), { mode: 0o600 });
  writeFileSync(join(dir, 'ca.crt'), root.rootPem);
  const cap = captureLogger();
  const ca = await X509Authority.fromFiles({ trustDomain: TD, certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), caFile: join(dir, 'ca.crt'), logger: cap.logger });
  assert.equal(cap.lines.length, 0, 'a 0600 key file raises no warning');
  assert.deepEqual(ca.bundlePem, [root.rootPem]);
  assert.deepEqual(ca.chainPem, [inter.pem]);
  const svid = await ca.issueSvid(ID, { ttlMs: HOUR, now: new Date() });
  assert.deepEqual(svid.chainPem, [inter.pem]);
  const trust = new TrustStore(TD);
  trust.setBundle(TD, ca.bundlePem);
  const chain = [svid.certPem, ...svid.chainPem].map((p) => new X509Certificate(p));
  const v = verifySvidChain({ chain, expectedId: ID, peerRole: 'client', trust, now: new Date() });
  assert.ok(v.ok, v.ok ? '' : v.detail);
  // SVID lifetime is capped at the signing CA's.
  const short = await makeIntermediate(root, { notAfter: new Date(Date.now() + 10 * 60_000) });
  const shortCa = await X509Authority.fromPem({ trustDomain: TD, certPem: short.pem, keyPem: short.key, caPem: root.rootPem });
  const capped = await shortCa.issueSvid(ID, { ttlMs: HOUR, now: new Date() });
  assert.equal(capped.notAfter.getTime(), short.signer.cert.notAfter.getTime());

  // A key file others can read is used, with a warning.
  writeFileSync(join(dir, 'loose.key'), inter.key.reveal(), { mode: 0o644 });
  await X509Authority.fromFiles({ trustDomain: TD, certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'loose.key'), caFile: join(dir, 'ca.crt'), logger: cap.logger });
  assert.match(cap.lines.join('\n'), /CA key file is readable by group or others/);
  assert.doesNotMatch(cap.lines.join('\n'), /PRIVATE KEY/);
});

test('bring-your-own CA: a self-signed root alone works; mistakes are refused at load time', async () => {
  const root = await makeCa(TD);
  const rootKey = (await issueCertificate({ subject: 'CN=x', notBefore: new Date(), notAfter: new Date(Date.now() + HOUR), isCa: true })).key;
  assert.deepEqual(root.authority.chainPem, []);
  assert.deepEqual(root.authority.bundlePem, [root.rootPem]);
  await assert.rejects(X509Authority.fromPem({ trustDomain: TD, certPem: root.rootPem, keyPem: rootKey }), /key does not match/);
  const inter = await makeIntermediate(root);
  await assert.rejects(X509Authority.fromPem({ trustDomain: TD, certPem: inter.pem, keyPem: inter.key }), /root \(ca\.crt\) is needed/);
  const otherRoot = await makeCa(TD);
  await assert.rejects(X509Authority.fromPem({ trustDomain: TD, certPem: inter.pem, keyPem: inter.key, caPem: otherRoot.rootPem }), /does not chain/);
  const leaf = await root.authority.issueSvid(ID, { ttlMs: HOUR, now: new Date() });
  await assert.rejects(X509Authority.fromPem({ trustDomain: TD, certPem: leaf.certPem, keyPem: leaf.key }), /not a CA/);
  await assert.rejects(X509Authority.fromPem({ trustDomain: 'Bad_TD', certPem: root.rootPem, keyPem: new PrivateKeyPem('') }), /lowercase/);
});

test('trust store: bundles per trust domain, only CA certificates, revocations pruned after expiry', async () => {
  const root = await makeCa(TD);
  const t = new TrustStore(TD);
  t.setBundle(TD, root.rootPem);
  t.setBundle('partner.example', (await makeCa('partner.example')).rootPem);
  assert.deepEqual(t.trustDomains(), ['cluster.local', 'partner.example']);
  const leaf = await root.authority.issueSvid(ID, { ttlMs: HOUR, now: new Date() });
  assert.throws(() => t.setBundle('x.example', leaf.certPem), /not a CA certificate/);
  assert.throws(() => t.setBundle('x.example', ''), /no certificate/);
  t.removeBundle('partner.example');
  assert.equal(t.bundle('partner.example'), undefined);
  t.revoke({ id: ID, serial: leaf.serial.toUpperCase(), notAfter: leaf.notAfter });
  assert.ok(t.isRevoked(leaf.serial));
  t.pruneRevoked(new Date(leaf.notAfter.getTime() - 1000));
  assert.ok(t.isRevoked(leaf.serial));
  t.pruneRevoked(new Date(leaf.notAfter.getTime() + 1000));
  assert.equal(t.isRevoked(leaf.serial), false);
});

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

// Two auth agents on loopback (node-a 127.0.0.1, node-b 127.0.0.2) sharing
// one CA directory that starts EMPTY: the embedded CA reaches both nodes
// through it (one of them creates the root, both trust it). Then the CA is
// rotated in the directory, as cert-manager renews a CA Secret: both agents
// trust the new root first, then re-issue every SVID from it, and the
// existing entry is re-authenticated with the new certificates instead of
// being dropped. Real files, real TLS 1.3.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuthAgent } from './agent.js';
import { CA_FILES } from './certs/ca-dir.js';
import { issueCertificate } from './certs/x509.js';
import { captureLogger, HOUR, nodeDoc, waitFor } from './testing/fixtures.js';

const TD = 'rotate.example';
const FRONTEND = `spiffe://${TD}/ns/shop/sa/frontend`;
const REVIEWS = `spiffe://${TD}/ns/shop/sa/reviews`;
const WORKLOADS = `
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: frontend-1, namespace: shop }
spec: { address: 10.0.0.10, labels: { app: frontend }, serviceAccount: frontend, node: node-a }
---
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: reviews-1, namespace: shop }
spec: { address: 10.0.0.20, labels: { app: reviews }, serviceAccount: reviews, node: node-b }
`;
/** Which of `roots` signed the SVID with `serial` that the agent wrote to <stateDir>/svids. */
function svidRoot(stateDir: string, serial: string, roots: string[]): string | undefined {
  const norm = (x: string) => x.toLowerCase().replace(/^0+/, '');
  for (const f of readdirSync(join(stateDir, 'svids')).filter((n) => n.endsWith('.crt'))) {
    const leaf = new X509Certificate(readFileSync(join(stateDir, 'svids', f)));
    if (norm(leaf.serialNumber) !== norm(serial)) continue;
    return roots.find((r) => leaf.verify(new X509Certificate(r).publicKey));
  }
  return undefined;
}

describe('auth CA directory: embedded CA shared by two agents, then rotated', () => {
  const root = mkdtempSync(join(tmpdir(), 'nm-ca-rotation-'));
  const config = join(root, 'config');
  const caDir = join(root, 'ca');
  const logA = captureLogger();
  const logB = captureLogger();
  let a: AuthAgent;
  let b: AuthAgent;

  before(async () => {
    mkdirSync(config);
    writeFileSync(join(config, 'workloads.yaml'), WORKLOADS);
    const common = { configDir: config, trustDomain: TD, caDir, adminAddress: '127.0.0.1:0', providerMode: 'poll' as const, pollIntervalMs: 50, caPollIntervalMs: 50, caSwitchDelayMs: 300 };
    a = new AuthAgent({ ...common, nodeName: 'node-a', stateDir: join(root, 'state-a'), listenHost: '127.0.0.1', listenPort: 0, logger: logA.logger });
    b = new AuthAgent({ ...common, nodeName: 'node-b', stateDir: join(root, 'state-b'), listenHost: '127.0.0.2', listenPort: 0, logger: logB.logger });
    // Both at once on the empty directory.
    await Promise.all([a.start(), b.start()]);
    const port = (x: AuthAgent) => Number(x.listenAddress.split(':').pop());
    writeFileSync(join(config, 'nodes.yaml'), `${nodeDoc('node-a', '127.0.0.1', port(a))}---\n${nodeDoc('node-b', '127.0.0.2', port(b))}`);
    for (const x of [a, b]) await waitFor('both Node objects', async () => Object.keys((await x.status()).nodes).length === 2);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('one root is created in the empty directory and both agents trust each other through it', async () => {
    const created = [...logA.records(), ...logB.records()].filter((r) => r.msg === 'auth CA created in the shared CA directory');
    assert.equal(created.length, 1, 'exactly one agent created the root');
    const d = await a.authenticate({ localIdentity: FRONTEND, remoteIdentity: REVIEWS, remoteNode: 'node-b' });
    assert.ok(d.allowed, JSON.stringify(d));
    assert.equal(d.source, 'handshake');
  });

  it('a new CA in the directory: trusted first, then every SVID re-issued from it and the entry re-authenticated, not dropped', async () => {
    const oldRoot = readFileSync(join(caDir, CA_FILES.cert), 'utf8');
    const before = (await a.status()).entries.find((e) => e.remoteIdentity === REVIEWS)!;
    assert.ok(before);
    const next = await issueCertificate({ subject: 'O=nodemesh, CN=rotated root', uris: [`spiffe://${TD}`], notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 24 * HOUR), isCa: true, pathLength: 0 });
    // As a Secret update lands: key and certificate replaced (the watcher skips a half-written pair).
    writeFileSync(join(caDir, CA_FILES.key), next.key.reveal(), { mode: 0o600 });
    writeFileSync(join(caDir, CA_FILES.cert), next.certPem);

    await waitFor(
      'both agents re-issued their SVIDs',
      () => [logA, logB].every((l) => l.records().some((r) => r.msg === 'auth CA rotated: SVIDs re-issued, their entries re-authenticated' && r.failed === 0)),
      15_000,
    );
    await waitFor('the entry re-authenticated with the new SVIDs', async () => {
      const e = (await a.status()).entries.find((x) => x.remoteIdentity === REVIEWS);
      return !!e && e.localSerial !== before.localSerial && e.authenticatedAt > before.authenticatedAt;
    }, 15_000);
    const after = (await a.status()).entries.find((e) => e.remoteIdentity === REVIEWS)!;
    assert.equal(svidRoot(join(root, 'state-a'), after.localSerial, [oldRoot, next.certPem]), next.certPem, "node-a's new SVID chains to the new root");
    const removed = [...logA.records(), ...logB.records()].filter((r) => r.msg === 'auth entries removed');
    assert.deepEqual(removed, [], 'no entry was dropped on the way');
    const failures = (await a.status()).failures.initiator;
    assert.equal(failures.untrusted_ca ?? 0, 0, 'no peer met an SVID from a root it did not trust yet');
    // A new flow after the rotation authenticates with the new certificates.
    const fresh = await b.authenticate({ localIdentity: REVIEWS, remoteIdentity: FRONTEND, remoteNode: 'node-a' });
    assert.ok(fresh.allowed, JSON.stringify(fresh));
  });
});

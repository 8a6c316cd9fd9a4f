// The shared CA directory (ca-dir.ts): one root however many agents start at
// once on an empty directory; a bring-your-own CA is left alone; a change is
// seen by the watcher, a half-written one is not taken.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { captureLogger, HOUR } from '../testing/fixtures.js';
import type { X509Authority } from './authority.js';
import { CA_FILES, caDirectoryVersion, ensureCaDirectory, loadCaDirectory, watchCaDirectory } from './ca-dir.js';
import { issueCertificate } from './x509.js';

const TD = 'cluster.local';

describe('shared CA directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'nm-cadir-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('eight agents starting at once on an empty directory: exactly one root is created, all load it', async () => {
    const dir = join(root, 'race');
    const results = await Promise.all(Array.from({ length: 8 }, () => ensureCaDirectory(dir, TD)));
    assert.equal(results.filter((r) => r === 'created').length, 1, JSON.stringify(results));
    const authorities = await Promise.all(Array.from({ length: 8 }, () => loadCaDirectory(dir, TD)));
    assert.equal(new Set(authorities.map((a) => a.bundlePem[0])).size, 1);
    assert.deepEqual(readdirSync(dir).sort(), [CA_FILES.cert, CA_FILES.key], 'no temporary file left');
    assert.equal(statSync(join(dir, CA_FILES.key)).mode & 0o777, 0o600);
    const cert = new X509Certificate(readFileSync(join(dir, CA_FILES.cert)));
    assert.equal(cert.ca, true);
    assert.match(cert.subjectAltName ?? '', /URI:spiffe:\/\/cluster\.local/);
    // An SVID from one agent's authority verifies against another's bundle.
    const svid = await authorities[3]!.issueSvid(`spiffe://${TD}/ns/a/sa/b`, { ttlMs: HOUR, now: new Date() });
    assert.ok(new X509Certificate(svid.certPem).verify(new X509Certificate(authorities[5]!.bundlePem[0]!).publicKey));
  });

  it('a bring-your-own CA is used as it is', async () => {
    const dir = join(root, 'byo');
    await ensureCaDirectory(dir, TD);
    const before = readFileSync(join(dir, CA_FILES.cert), 'utf8');
    assert.equal(await ensureCaDirectory(dir, TD), 'existing');
    assert.equal(readFileSync(join(dir, CA_FILES.cert), 'utf8'), before);
  });

  it('the watcher hands over a new CA once, and skips a directory caught half-written', async () => {
    const dir = join(root, 'watch');
    await ensureCaDirectory(dir, TD);
    const log = captureLogger();
    const seen: X509Authority[] = [];
    const stop = watchCaDirectory({ dir, trustDomain: TD, intervalMs: 20, logger: log.logger, onChange: async (a) => void seen.push(a) });
    try {
      const v0 = caDirectoryVersion(dir);
      // A new certificate whose key has not been written yet: not loadable.
      const next = await issueCertificate({ subject: 'CN=next root', uris: [`spiffe://${TD}`], notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 24 * HOUR), isCa: true });
      writeFileSync(join(dir, CA_FILES.cert), next.certPem);
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(seen.length, 0, 'cert and key do not match: the current CA is kept');
      assert.ok(log.records().some((r) => String(r.msg).includes('cannot be loaded yet')));
      writeFileSync(join(dir, CA_FILES.key), next.key.reveal(), { mode: 0o600 });
      for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.bundlePem[0], next.certPem);
      assert.notEqual(caDirectoryVersion(dir), v0);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(seen.length, 1, 'handed over once');
    } finally {
      stop();
    }
  });
});

// Feature-matrix proof for DataSource.filename: certificates and keys read
// from files, as secrets mounted into a pod are.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readDataSource } from './data-source.js';

describe('DataSource', () => {
  it('filename reads certificates and keys from a file; a missing file throws', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodemesh-ds-'));
    try {
      const path = join(dir, 'ca.pem');
      writeFileSync(path, '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n');
      assert.equal(readDataSource({ filename: path })?.toString(), '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n');
      assert.throws(() => readDataSource({ filename: join(dir, 'missing.pem') }), /ENOENT/);
      assert.equal(readDataSource({ inline_string: 'inline' })?.toString(), 'inline');
      assert.deepEqual(readDataSource({ inline_bytes: Buffer.from([1, 2]) }), Buffer.from([1, 2]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

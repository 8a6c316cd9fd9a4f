// detach removes a pin directory recursively, so it must never accept a path
// outside the bpffs mount (a typo in --pin-root would otherwise delete files).
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { detach } from './loader.js';

describe('detach', () => {
  it('refuses a pin root outside /sys/fs/bpf and leaves it alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodemesh-not-bpffs-'));
    try {
      for (const p of [dir, '/', '/sys/fs/bpf', '/sys/fs/bpf/../../../tmp', 'relative/dir']) assert.throws(() => detach(p), /refusing to detach/, p);
      assert.ok(existsSync(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

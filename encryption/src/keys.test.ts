import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { wireGuardKeyErrors } from '../../crds/src/node.js';
import { generatePrivateKey, KeyStore, publicKeyOf } from './keys.js';

const hasWg = spawnSync('wg', ['--version']).status === 0;

describe('WireGuard keys', () => {
  it('match what wg itself derives (RFC 7748 test vector)', () => {
    // RFC 7748 §6.1 Alice's key pair.
    const priv = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex').toString('base64');
    const pub = Buffer.from('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a', 'hex').toString('base64');
    assert.equal(publicKeyOf(priv), pub);
  });

  it('generates clamped keys in wg format', { skip: hasWg ? false : 'wg (wireguard-tools) not installed' }, () => {
    const priv = generatePrivateKey();
    assert.deepEqual(wireGuardKeyErrors(priv), []);
    const wg = spawnSync('wg', ['pubkey'], { input: `${priv}\n`, encoding: 'utf8' });
    assert.equal(publicKeyOf(priv), wg.stdout.trim());
  });

  it('stores the private key 0600 in a 0700 dir, reuses it, rotates through next', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nm-keys-')), 'state');
    try {
      const store = new KeyStore(dir);
      const first = store.ensureCurrent();
      assert.equal(first.created, true);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(statSync(store.currentPath).mode & 0o777, 0o600);
      assert.deepEqual(readdirSync(dir), ['wireguard.key']);
      // The file holds the private key, not the public one.
      assert.notEqual(readFileSync(store.currentPath, 'utf8').trim(), first.publicKey);
      assert.equal(publicKeyOf(readFileSync(store.currentPath, 'utf8').trim()), first.publicKey);

      const again = new KeyStore(dir).ensureCurrent();
      assert.deepEqual(again, { publicKey: first.publicKey, created: false });

      const next = store.prepareNext();
      assert.equal(store.prepareNext(), next, 'a pending next key is kept, not replaced');
      assert.equal(statSync(store.nextPath).mode & 0o777, 0o600);
      assert.equal(store.nextPublicKey(), next);
      assert.equal(store.commitNext(), next);
      assert.equal(store.currentPublicKey(), next);
      assert.equal(store.nextPublicKey(), undefined);

      chmodSync(store.currentPath, 0o644);
      store.currentPublicKey();
      assert.equal(statSync(store.currentPath).mode & 0o777, 0o600, 'a loosened key file is tightened on use');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

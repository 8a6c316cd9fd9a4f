// The node's WireGuard key pair. The private key exists in exactly one place:
// a 0600 file in the agent's state directory (0700). It is handed to `wg` as
// that file's path (`wg set <if> private-key <file>`), so it never appears on
// a command line, in an environment variable, in a log line or in the Node
// object; only the public key is published.
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** A WireGuard key as `wg` prints it: standard base64 of 32 bytes. */
export type WireGuardKey = string;

// PKCS#8 wrapping of a raw X25519 private key (RFC 8410), so node:crypto can
// derive the public key without the private key ever leaving this process.
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** A fresh private key, clamped the way `wg genkey` clamps it (RFC 7748). */
export function generatePrivateKey(): WireGuardKey {
  const k = randomBytes(32);
  k[0]! &= 248;
  k[31]! &= 127;
  k[31]! |= 64;
  return k.toString('base64');
}

/** The public key of a private key (what `wg pubkey` prints). */
export function publicKeyOf(privateKey: WireGuardKey): WireGuardKey {
  const raw = Buffer.from(privateKey, 'base64');
  if (raw.length !== 32) throw new Error('a WireGuard private key is 32 bytes of base64');
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('X25519 public key export failed');
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

const CURRENT = 'wireguard.key';
const NEXT = 'wireguard.key.next';

/**
 * The key files of one agent. `current` is the key the interface uses;
 * `next` exists only while a rotation is under way (generated, published as
 * nextPublicKey, not yet switched to), so an agent restarted mid-rotation
 * resumes it instead of generating yet another key.
 */
export class KeyStore {
  constructor(readonly stateDir: string) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    chmodSync(stateDir, 0o700);
  }

  /** Path of the current private key file; what `wg set … private-key` reads. */
  get currentPath(): string {
    return join(this.stateDir, CURRENT);
  }

  get nextPath(): string {
    return join(this.stateDir, NEXT);
  }

  /** The current key's public half, generating and storing a key pair on first use. */
  ensureCurrent(): { publicKey: WireGuardKey; created: boolean } {
    if (existsSync(this.currentPath)) return { publicKey: publicKeyOf(this.readKey(this.currentPath)), created: false };
    writeSecret(this.currentPath, generatePrivateKey());
    return { publicKey: publicKeyOf(this.readKey(this.currentPath)), created: true };
  }

  currentPublicKey(): WireGuardKey {
    return publicKeyOf(this.readKey(this.currentPath));
  }

  /** When the current key was made (its file's mtime): what scheduled rotation counts from. */
  currentCreatedAt(): Date {
    return statSync(this.currentPath).mtime;
  }

  /** The pending next key's public half, if a rotation is under way. */
  nextPublicKey(): WireGuardKey | undefined {
    return existsSync(this.nextPath) ? publicKeyOf(this.readKey(this.nextPath)) : undefined;
  }

  /** When the pending rotation started. */
  nextCreatedAt(): Date {
    return statSync(this.nextPath).mtime;
  }

  /** Starts a rotation: stores a new key as `next` (kept if one is already pending). */
  prepareNext(): WireGuardKey {
    if (!existsSync(this.nextPath)) writeSecret(this.nextPath, generatePrivateKey());
    return publicKeyOf(this.readKey(this.nextPath));
  }

  /** Ends a rotation: `next` becomes `current` (atomic rename; the old key is gone). */
  commitNext(): WireGuardKey {
    renameSync(this.nextPath, this.currentPath);
    return this.currentPublicKey();
  }

  /** Abandons a pending rotation. */
  dropNext(): void {
    if (existsSync(this.nextPath)) unlinkSync(this.nextPath);
  }

  private readKey(path: string): WireGuardKey {
    // A key file others can read is no longer secret; tighten it rather than
    // use it as is (and never print it).
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return readFileSync(path, 'utf8').trim();
  }
}

/** Writes `value` to `path` with mode 0600 from the first byte (temp file + rename). */
function writeSecret(path: string, value: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${value}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

// The embedded certificate provider: issues X.509-SVIDs for the workloads of
// this node from an X509Authority (nodemesh's own root or a BYO CA) and
// rotates each well before it expires.
//
// Rotation happens at `rotateAt` of the lifetime (default 50 %), moved by up
// to ±`jitter` of the lifetime (default 10 %) so that identities issued
// together do not all rotate — and re-authenticate — in the same instant.
// At 50 % of a 1 h SVID there are 30 min to retry a failed rotation before
// anything expires.
import type { Logger } from '../../../xds-server/src/log.js';
import { parseSpiffeId } from '../spiffe/id.js';
import type { Svid, X509Authority } from './authority.js';
import { removeSvidFiles, writeSvidFiles } from './files.js';
import type { CertificateProvider, ProviderEvent } from './provider.js';
import type { TrustStore } from './trust.js';

/** Time and timers, injectable so tests can move time without waiting. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface EmbeddedProviderOptions {
  authority: X509Authority;
  /** Where removals are published as revocations. */
  trust: TrustStore;
  logger: Logger;
  /** SVID lifetime; default 1 h. */
  ttlMs?: number;
  /** Fraction of the lifetime after which an SVID is replaced; default 0.5. */
  rotateAt?: number;
  /** Random shift of the rotation time, as a fraction of the lifetime, either way; default 0.1. */
  jitter?: number;
  /** When set, each SVID is also written here: <hash>.key (0600) and <hash>.crt. */
  keyDir?: string;
  clock?: Clock;
  /** [0,1) source for the jitter; Math.random by default. */
  random?: () => number;
  /** Called after each rotation with its outcome (metrics). */
  onRotation?: (result: 'ok' | 'error') => void;
}

interface Held {
  svid: Svid;
  timer: unknown;
  /** When the rotation timer fires (ms since epoch). */
  due: number;
}

export class EmbeddedCertificateProvider implements CertificateProvider {
  readonly kind = 'embedded';
  readonly #o: Required<Pick<EmbeddedProviderOptions, 'ttlMs' | 'rotateAt' | 'jitter' | 'clock' | 'random'>> & EmbeddedProviderOptions;
  readonly #held = new Map<string, Held>();
  readonly #issuing = new Map<string, Promise<Svid>>();
  readonly #listeners = new Set<(e: ProviderEvent) => void>();
  #closed = false;

  constructor(o: EmbeddedProviderOptions) {
    this.#o = { ttlMs: 3600_000, rotateAt: 0.5, jitter: 0.1, clock: systemClock, random: Math.random, ...o };
    if (!(this.#o.rotateAt > 0 && this.#o.rotateAt < 1)) throw new Error('rotateAt must be in (0, 1)');
    if (!(this.#o.jitter >= 0 && this.#o.jitter < Math.min(this.#o.rotateAt, 1 - this.#o.rotateAt))) {
      throw new Error('jitter must be ≥ 0 and keep the rotation time inside the lifetime');
    }
  }

  get trustDomain(): string {
    return this.#o.authority.trustDomain;
  }

  /** Issues an SVID for a workload identity that runs on this node (idempotent). */
  async addIdentity(id: string): Promise<Svid> {
    const parsed = parseSpiffeId(id);
    if (!parsed.ok) throw new Error(`invalid SPIFFE ID ${JSON.stringify(id)}: ${parsed.error}`);
    const held = this.#held.get(id);
    if (held) return held.svid;
    const pending = this.#issuing.get(id);
    if (pending) return pending;
    const p = this.#issue(id).then((svid) => {
      this.#issuing.delete(id);
      this.#install(id, svid);
      this.#emit({ type: 'issued', id, svid });
      return svid;
    }, (err: unknown) => {
      this.#issuing.delete(id);
      throw err;
    });
    this.#issuing.set(id, p);
    return p;
  }

  /** The workload left this node: forget its SVID, delete its files, revoke its serial. */
  removeIdentity(id: string): void {
    const held = this.#held.get(id);
    if (!held) return;
    this.#o.clock.clearTimeout(held.timer);
    this.#held.delete(id);
    if (this.#o.keyDir) removeSvidFiles(this.#o.keyDir, id);
    this.#o.trust.revoke({ id, serial: held.svid.serial, notAfter: held.svid.notAfter });
    this.#o.logger.info('identity removed', { identity: id, serial: held.svid.serial });
    this.#emit({ type: 'removed', id });
  }

  /**
   * Issues from `authority` from now on (a CA rotation). Held SVIDs stay
   * until rotated: the caller rotates them once every peer trusts the new root.
   */
  setAuthority(authority: X509Authority): void {
    if (authority.trustDomain !== this.#o.authority.trustDomain) throw new Error(`new CA is for ${authority.trustDomain}, not ${this.#o.authority.trustDomain}`);
    this.#o.authority = authority;
  }

  /** Replaces the SVID of `id` now (what the timer does; also for operators and tests). */
  async rotate(id: string): Promise<Svid> {
    const held = this.#held.get(id);
    if (!held) throw new Error(`no SVID for ${id} on this node`);
    this.#o.clock.clearTimeout(held.timer);
    try {
      const svid = await this.#issue(id);
      // The identity may have been removed while the new SVID was being signed.
      if (this.#held.get(id) !== held || this.#closed) return svid;
      this.#install(id, svid);
      this.#o.logger.info('SVID rotated', { identity: id, serial: svid.serial, previousSerial: held.svid.serial, notAfter: svid.notAfter.toISOString() });
      this.#o.onRotation?.('ok');
      this.#emit({ type: 'rotated', id, svid, previousSerial: held.svid.serial });
      return svid;
    } catch (err) {
      this.#o.onRotation?.('error');
      // Keep the old SVID and retry soon; it has (rotateAt − jitter) of its life left.
      const left = held.svid.notAfter.getTime() - this.#o.clock.now();
      const retry = Math.max(1000, Math.min(30_000, left / 10));
      this.#o.logger.error('SVID rotation failed; retrying', { identity: id, retryMs: retry, error: err instanceof Error ? err.message : String(err) });
      held.timer = this.#o.clock.setTimeout(() => void this.rotate(id).catch(() => {}), retry);
      throw err;
    }
  }

  getSvid(id: string): Svid | undefined {
    return this.#held.get(id)?.svid;
  }

  identities(): string[] {
    return [...this.#held.keys()].sort();
  }

  subscribe(listener: (e: ProviderEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const h of this.#held.values()) this.#o.clock.clearTimeout(h.timer);
  }

  /** When the current SVID of `id` is due for rotation (ms since epoch). */
  rotationDue(id: string): number | undefined {
    return this.#held.get(id)?.due;
  }

  async #issue(id: string): Promise<Svid> {
    return this.#o.authority.issueSvid(id, { ttlMs: this.#o.ttlMs, now: new Date(this.#o.clock.now()) });
  }

  #install(id: string, svid: Svid): void {
    if (this.#o.keyDir) writeSvidFiles(this.#o.keyDir, svid);
    const now = this.#o.clock.now();
    // The lifetime counts from issuance (now), not from the skew-backdated notBefore.
    const lifetime = Math.max(0, svid.notAfter.getTime() - now);
    const fraction = this.#o.rotateAt + this.#o.jitter * (2 * this.#o.random() - 1);
    const delay = Math.floor(lifetime * fraction);
    const held: Held = { svid, timer: undefined, due: now + delay };
    if (!this.#closed) held.timer = this.#o.clock.setTimeout(() => void this.rotate(id).catch(() => {}), delay);
    this.#held.set(id, held);
  }

  #emit(e: ProviderEvent): void {
    for (const l of this.#listeners) l(e);
  }
}

// Where a node's auth service gets the SVIDs of the workloads on its node.
// Implementations: EmbeddedCertificateProvider (nodemesh's own or a BYO CA),
// StaticCertificateProvider (SVIDs handed in, e.g. mounted files), and SPIRE's
// Delegated Identity API, documented in spire.ts but not implemented.
//
// Contract: getSvid() is synchronous and returns the current SVID (the
// handshake server calls it inside the TLS SNI callback). Events are
// delivered synchronously after the state changed, in order.
import type { Svid } from './authority.js';

export type ProviderEvent =
  | { type: 'issued'; id: string; svid: Svid }
  /** A new SVID replaced the previous one; entries for `id` must be re-authenticated. */
  | { type: 'rotated'; id: string; svid: Svid; previousSerial: string }
  /** The identity is gone from this node; entries for `id` must be removed. */
  | { type: 'removed'; id: string };

export interface CertificateProvider {
  /** For status and logs: 'embedded', 'static', 'spire'. */
  readonly kind: string;
  getSvid(id: string): Svid | undefined;
  /** Identities this node currently holds an SVID for. */
  identities(): string[];
  subscribe(listener: (e: ProviderEvent) => void): () => void;
  /** Stops timers and watches; SVIDs stay readable. */
  close(): Promise<void>;
}

/** A provider that serves exactly the SVIDs it is given. */
export class StaticCertificateProvider implements CertificateProvider {
  readonly kind = 'static';
  readonly #svids = new Map<string, Svid>();
  readonly #listeners = new Set<(e: ProviderEvent) => void>();

  constructor(svids: Iterable<Svid> = []) {
    for (const s of svids) this.#svids.set(s.id, s);
  }
  /** Adds or replaces the SVID for svid.id (a replacement is a rotation). */
  set(svid: Svid): void {
    const prev = this.#svids.get(svid.id);
    this.#svids.set(svid.id, svid);
    this.#emit(prev ? { type: 'rotated', id: svid.id, svid, previousSerial: prev.serial } : { type: 'issued', id: svid.id, svid });
  }
  /** Installs `svid` under `id` even if its URI SAN says otherwise: for tests of peers that present the wrong certificate. */
  setAs(id: string, svid: Svid): void {
    this.set({ ...svid, id });
  }
  remove(id: string): void {
    if (this.#svids.delete(id)) this.#emit({ type: 'removed', id });
  }
  getSvid(id: string): Svid | undefined {
    return this.#svids.get(id);
  }
  identities(): string[] {
    return [...this.#svids.keys()].sort();
  }
  subscribe(listener: (e: ProviderEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  async close(): Promise<void> {}
  #emit(e: ProviderEvent): void {
    for (const l of this.#listeners) l(e);
  }
}

// Trust bundles per trust domain (the local one and federated ones) and the
// revocation list. A peer's chain is only ever checked against the bundle of
// the trust domain its own SPIFFE ID names, so a federated CA cannot vouch for
// local identities and the local CA cannot vouch for foreign ones.
//
// Revocation: X.509-SVIDs live ~1 h, so nodemesh does not publish CRLs;
// removing an identity puts its outstanding SVID serials here until they
// expire. Distribution to other nodes goes with the bundle (in-process in this
// repository; over the control plane is not built yet).
import { X509Certificate } from 'node:crypto';
import { checkTrustDomain } from '../spiffe/id.js';
import { splitPemCertificates } from './x509.js';

export type TrustEvent =
  | { type: 'bundle-updated'; trustDomain: string }
  | { type: 'bundle-removed'; trustDomain: string }
  | { type: 'revoked'; id: string; serial: string };

interface Revoked {
  id: string;
  notAfter: number;
}

export class TrustStore {
  readonly #bundles = new Map<string, X509Certificate[]>();
  readonly #revoked = new Map<string, Revoked>();
  readonly #listeners = new Set<(e: TrustEvent) => void>();

  /** `localTrustDomain` is informational (status, logs); every domain, local included, is a bundle here. */
  constructor(readonly localTrustDomain: string) {}

  /** Sets (replaces) the roots trusted for `trustDomain`. */
  setBundle(trustDomain: string, pems: readonly string[] | string): void {
    const err = checkTrustDomain(trustDomain);
    if (err) throw new Error(`trust domain ${JSON.stringify(trustDomain)}: ${err}`);
    const certs = (typeof pems === 'string' ? splitPemCertificates(pems) : pems.flatMap(splitPemCertificates)).map((p) => new X509Certificate(p));
    if (certs.length === 0) throw new Error(`bundle for ${trustDomain} has no certificate`);
    for (const c of certs) if (!c.ca) throw new Error(`bundle for ${trustDomain}: ${c.subject} is not a CA certificate`);
    this.#bundles.set(trustDomain, certs);
    this.#emit({ type: 'bundle-updated', trustDomain });
  }

  removeBundle(trustDomain: string): void {
    if (this.#bundles.delete(trustDomain)) this.#emit({ type: 'bundle-removed', trustDomain });
  }

  bundle(trustDomain: string): readonly X509Certificate[] | undefined {
    return this.#bundles.get(trustDomain);
  }

  trustDomains(): string[] {
    return [...this.#bundles.keys()].sort();
  }

  revoke(r: { id: string; serial: string; notAfter: Date }): void {
    this.#revoked.set(r.serial.toLowerCase(), { id: r.id, notAfter: r.notAfter.getTime() });
    this.#emit({ type: 'revoked', id: r.id, serial: r.serial.toLowerCase() });
  }

  isRevoked(serial: string): boolean {
    return this.#revoked.has(serial.toLowerCase());
  }

  /** Drops revocations of certificates that have expired anyway. */
  pruneRevoked(now: Date): void {
    for (const [s, r] of this.#revoked) if (r.notAfter < now.getTime()) this.#revoked.delete(s);
  }

  subscribe(listener: (e: TrustEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(e: TrustEvent): void {
    for (const l of this.#listeners) l(e);
  }
}

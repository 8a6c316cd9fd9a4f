// TLS contexts for SVIDs, built once per SVID object (SVIDs are immutable and
// replaced on rotation, so a WeakMap drops the old context with the old SVID).
// TLS 1.3 only: the protocol relies on 1.3's encrypted certificates and on the
// client certificate arriving within the handshake.
import tls from 'node:tls';
import type { Svid } from '../certs/authority.js';
import { chainNotAfter } from '../certs/verify.js';

const contexts = new WeakMap<Svid, tls.SecureContext>();

export const TLS_VERSION = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' } as const;

export function contextFor(svid: Svid): tls.SecureContext {
  let c = contexts.get(svid);
  if (!c) {
    c = tls.createSecureContext({ ...TLS_VERSION, key: svid.key.reveal(), cert: svid.certPem + svid.chainPem.join('') });
    contexts.set(svid, c);
  }
  return c;
}

const notAfters = new WeakMap<Svid, number>();

/** The earliest notAfter of what this side presents (leaf and served chain), in ms; computed once per SVID. */
export function presentedNotAfter(svid: Svid): number {
  let t = notAfters.get(svid);
  if (t === undefined) {
    t = chainNotAfter([svid.certPem, ...svid.chainPem]).getTime();
    notAfters.set(svid, t);
  }
  return t;
}

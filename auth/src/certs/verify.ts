// Verification of a peer's X.509-SVID chain, by hand: SPIFFE identities are
// URI SANs, not DNS names, and each trust domain has its own bundle, which
// OpenSSL's built-in verification (one CA store, host-name checks) cannot
// express. node:tls is therefore run with rejectUnauthorized:false and every
// handshake calls this before a byte of protocol is exchanged.
//
// Order of checks: what the certificate claims (SPIFFE ID → trust domain),
// whether that domain's CA signed it, what it may be used for, when, whether
// it was revoked, and last whether it is the identity this flow expects. All
// must pass; the order only decides which reason a certificate with several
// defects reports.
import { X509Certificate } from 'node:crypto';
import { parseSpiffeId } from '../spiffe/id.js';
import type { AuthFailureReason } from '../reasons.js';
import type { TrustStore } from './trust.js';
import { EKU, readExtensions } from './x509.js';

/** Which role the peer's certificate must be fit for. */
export type PeerRole = 'client' | 'server';

export type VerifyResult =
  | {
      ok: true;
      id: string;
      serial: string;
      /** The earliest notAfter on the verified path (leaf, intermediates, root). */
      notAfter: Date;
    }
  | { ok: false; reason: AuthFailureReason; detail: string };

export interface VerifyInput {
  /** Leaf first, then whatever intermediates the peer sent. */
  chain: readonly X509Certificate[];
  expectedId: string;
  /** 'client': the peer is the initiator and needs clientAuth; 'server': the responder, needs serverAuth. */
  peerRole: PeerRole;
  trust: TrustStore;
  now: Date;
}

const MAX_DEPTH = 6;

function fail(reason: AuthFailureReason, detail: string): VerifyResult {
  return { ok: false, reason, detail };
}

export function verifySvidChain(v: VerifyInput): VerifyResult {
  const leaf = v.chain[0];
  if (!leaf) return fail('no_peer_certificate', 'the peer presented no certificate');
  const ext = readExtensions(leaf.raw);

  if (ext.uris.length !== 1) return fail('malformed_svid', `an X.509-SVID has exactly one URI SAN; this certificate has ${ext.uris.length}`);
  const parsed = parseSpiffeId(ext.uris[0]!);
  if (!parsed.ok) return fail('malformed_svid', `URI SAN ${JSON.stringify(ext.uris[0])} is not a SPIFFE ID: ${parsed.error}`);
  const id = parsed.value;
  if (id.path === '') return fail('malformed_svid', `${id.id} names a trust domain, not a workload`);

  const roots = v.trust.bundle(id.trustDomain);
  if (!roots) return fail('unknown_trust_domain', `no trust bundle for trust domain ${id.trustDomain} (of ${id.id})`);

  // Path building: leaf → sent intermediates → a root of that trust domain's bundle.
  const path: X509Certificate[] = [leaf];
  const intermediates = v.chain.slice(1);
  let cur = leaf;
  for (;;) {
    const issuerRoot = roots.find((r) => issuedBy(cur, r));
    if (issuerRoot) {
      if (issuerRoot.fingerprint256 !== cur.fingerprint256) path.push(issuerRoot);
      break;
    }
    const from = cur;
    const next = intermediates.find((c) => !path.includes(c) && issuedBy(from, c));
    if (!next) {
      return fail('untrusted_ca', `${cur === leaf ? 'the leaf' : `intermediate ${dn(cur.subject)}`} (issuer ${dn(cur.issuer)}) is not signed by the trust bundle of ${id.trustDomain} or by a certificate the peer sent`);
    }
    const nextExt = readExtensions(next.raw);
    if (nextExt.isCa !== true) return fail('invalid_chain', `${dn(next.subject)} signed ${dn(cur.subject)} but is not a CA certificate`);
    if (nextExt.keyUsage && !nextExt.keyUsage.has('keyCertSign')) return fail('invalid_chain', `${dn(next.subject)} may not sign certificates (no keyCertSign)`);
    path.push(next);
    cur = next;
    if (path.length > MAX_DEPTH) return fail('invalid_chain', `chain longer than ${MAX_DEPTH}`);
  }

  // SPIFFE X.509-SVID §4: leaves are not CAs, sign (digitalSignature), never sign certificates or CRLs.
  if (ext.isCa === true) return fail('leaf_is_ca', `${id.id}: the leaf is a CA certificate (basicConstraints CA:true)`);
  if (!ext.keyUsage) return fail('wrong_key_usage', `${id.id}: no keyUsage extension (digitalSignature required)`);
  if (!ext.keyUsage.has('digitalSignature')) return fail('wrong_key_usage', `${id.id}: keyUsage lacks digitalSignature`);
  if (ext.keyUsage.has('keyCertSign') || ext.keyUsage.has('cRLSign')) return fail('wrong_key_usage', `${id.id}: a leaf may not have keyCertSign or cRLSign`);
  const wantEku = v.peerRole === 'client' ? 'clientAuth' : 'serverAuth';
  if (!ext.extKeyUsage || !ext.extKeyUsage.has(EKU[wantEku])) {
    return fail('wrong_extended_key_usage', `${id.id}: extKeyUsage lacks ${wantEku}, needed by the ${v.peerRole === 'client' ? 'initiator' : 'responder'}`);
  }
  const pk = leaf.publicKey;
  if (pk.asymmetricKeyType !== 'ec' || pk.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    const what = pk.asymmetricKeyType === 'ec' ? `EC ${pk.asymmetricKeyDetails?.namedCurve ?? '?'}` : (pk.asymmetricKeyType ?? '?');
    return fail('wrong_key_type', `${id.id}: key is ${what}; nodemesh SVIDs are ECDSA P-256`);
  }

  const now = v.now.getTime();
  let notAfter = Infinity;
  for (const c of path) {
    const from = Date.parse(c.validFrom);
    const to = Date.parse(c.validTo);
    const which = c === leaf ? `SVID ${id.id}` : `CA ${dn(c.subject)}`;
    if (now < from) return fail('not_yet_valid', `${which} is not valid before ${new Date(from).toISOString()}`);
    if (now > to) return fail('expired', `${which} expired at ${new Date(to).toISOString()}`);
    notAfter = Math.min(notAfter, to);
  }

  const serial = leaf.serialNumber.toLowerCase();
  if (v.trust.isRevoked(serial)) return fail('revoked', `${id.id}: SVID serial ${serial} was revoked`);

  if (id.id !== v.expectedId) return fail('wrong_spiffe_id', `expected ${v.expectedId}, the peer is ${id.id}`);
  return { ok: true, id: id.id, serial, notAfter: new Date(notAfter) };
}

/**
 * `parent` signed `child`: names match and the signature verifies. Not
 * X509Certificate.checkIssued, which also refuses parents that are not CAs —
 * that is checked separately so it can be reported as what it is.
 */
function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  if (child.issuer !== parent.subject) return false;
  // A signature check is a pure function of both certificates' bytes (named by
  // their SHA-256 fingerprints), so its result can be remembered.
  const k = `${child.fingerprint256}>${parent.fingerprint256}`;
  const hit = signatureCache.get(k);
  if (hit !== undefined) return hit;
  let ok: boolean;
  try {
    ok = child.verify(parent.publicKey);
  } catch {
    ok = false;
  }
  if (signatureCache.size >= 4096) signatureCache.delete(signatureCache.keys().next().value!);
  signatureCache.set(k, ok);
  return ok;
}
const signatureCache = new Map<string, boolean>();

/** The earliest notAfter of an SVID's own chain (leaf and the intermediates it serves). */
export function chainNotAfter(pems: readonly string[]): Date {
  return new Date(Math.min(...pems.map((p) => Date.parse(new X509Certificate(p).validTo))));
}

/** Node prints a DN one attribute per line; a reason's detail is one line of a flow log. */
const dn = (name: string) => name.split('\n').join(', ');

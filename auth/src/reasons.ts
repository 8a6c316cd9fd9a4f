// Why an authentication failed. One closed set, used in results, metrics
// labels, flow logs and the wire protocol, so that both sides of a handshake
// report the same word for the same cause.

export const AUTH_FAILURE_REASONS = [
  /** The peer sent no certificate. */
  'no_peer_certificate',
  /** The leaf has no URI SAN, several, or one that is not a valid SPIFFE ID. */
  'malformed_svid',
  /** No trust bundle for the trust domain of the peer's SPIFFE ID (never configured, or federation removed). */
  'unknown_trust_domain',
  /** The chain does not lead to a root in the bundle of the peer's trust domain, or a signature is wrong. */
  'untrusted_ca',
  /** An intermediate in the chain is not a CA or may not sign certificates. */
  'invalid_chain',
  /** The leaf is a CA certificate (basicConstraints CA:true). */
  'leaf_is_ca',
  /** keyUsage lacks digitalSignature, is absent, or allows certificate/CRL signing. */
  'wrong_key_usage',
  /** extKeyUsage lacks clientAuth (initiator's SVID) or serverAuth (responder's SVID). */
  'wrong_extended_key_usage',
  /** The leaf's key is not ECDSA P-256. */
  'wrong_key_type',
  /** A certificate of the chain is past notAfter. */
  'expired',
  /** A certificate of the chain is before notBefore. */
  'not_yet_valid',
  /** The leaf's serial was revoked (its identity was removed). */
  'revoked',
  /** Valid SVID, but not of the identity this flow expects. */
  'wrong_spiffe_id',
  /** The responder holds no SVID for the requested identity: not a workload on that node, or removed. */
  'no_svid',
  /** The initiator holds no SVID for the local identity. */
  'no_local_svid',
  /** The responder's policy refused the initiator (e.g. identity not known to run on the claimed node). */
  'peer_not_authorized',
  /** The remote node has no known address. */
  'unknown_node',
  /** TCP connection to the remote auth service failed. */
  'connect_failed',
  /** TLS failed (not 1.3, alert, reset). */
  'tls_error',
  /** A message was malformed, unexpected, or the connection closed early. */
  'protocol_error',
  'timeout',
  /** Recording the auth entry failed. */
  'auth_map_error',
] as const;

export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

export function isAuthFailureReason(s: unknown): s is AuthFailureReason {
  return typeof s === 'string' && (AUTH_FAILURE_REASONS as readonly string[]).includes(s);
}

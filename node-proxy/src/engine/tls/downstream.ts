// DownstreamTlsContext as node:tls server options. Listeners build one per
// connection (so an SDS rotation applies to the next handshake); the result
// is cached per context and secret objects, so that costs a lookup, not a
// PEM parse.
import type tls from 'node:tls';
import type { Decoded } from '../types.js';
import { isMissing, obj, referencedSecrets, resolveMaterial, secureContext, type Missing } from './material.js';
import { checkPeerSan, compileSanVerifier } from './san.js';
import { toSecretStore, type SecretsArg } from './secrets.js';

export interface DownstreamTls {
  secureContext: tls.SecureContext;
  /** Envoy asks for a client certificate whenever it can verify one (a trusted_ca) or requires one. */
  requestCert: boolean;
  /**
   * True only with require_client_certificate. With a trusted_ca but no
   * requirement Envoy accepts clients without a certificate and rejects an
   * invalid one: keep node's check off and call verifyPeer() on 'secure'.
   */
  rejectUnauthorized: boolean;
  alpn?: string[];
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
  /**
   * A reason to close the connection (invalid chain, SAN mismatch, missing
   * required certificate), or undefined. Needed on every connection: a
   * TLSSocket made outside tls.Server never rejects an untrusted client
   * certificate by itself, whatever rejectUnauthorized says (node checks
   * the chain result only in tls.Server's connection listener).
   */
  verifyPeer(socket: tls.TLSSocket): string | undefined;
}

const cache = new WeakMap<Decoded, { used: unknown[]; result: DownstreamTls }>();

/** Throws when no certificate is configured or inline material is unreadable. */
export function downstreamTlsContext(ctx: Decoded, secrets: SecretsArg): DownstreamTls | Missing {
  const store = toSecretStore(secrets);
  const common = obj(ctx.common_tls_context);
  const used = referencedSecrets(common, store);
  const hit = cache.get(ctx);
  if (hit && hit.used.length === used.length && hit.used.every((u, i) => u === used[i])) return hit.result;

  const m = resolveMaterial(common, store, 'TLSv1.2', 'TLSv1.3');
  if (isMissing(m)) return m;
  if (!m.certs.length) throw new Error('DownstreamTlsContext has no certificate');
  const san = compileSanVerifier(m.validation);
  const required = (ctx.require_client_certificate as { value?: boolean } | undefined)?.value === true;
  const result: DownstreamTls = {
    secureContext: secureContext(m),
    requestCert: m.ca !== undefined || required,
    rejectUnauthorized: required,
    minVersion: m.minVersion,
    maxVersion: m.maxVersion,
    verifyPeer: (socket) => {
      const cert = socket.getPeerCertificate();
      if (!cert || !Object.keys(cert).length) return required ? 'client certificate required' : undefined;
      const chainError = m.ca !== undefined ? verifyError(socket) : undefined;
      if (chainError) return `client certificate rejected: ${chainError}`;
      return checkPeerSan(socket, san);
    },
  };
  if (m.alpn.length) result.alpn = m.alpn;
  cache.set(ctx, { used, result });
  return result;
}

/**
 * The chain verification result of a server-side socket. tls.Server sets
 * `authorized`/`authorizationError`; a TLSSocket wrapped by hand has only
 * the handle's verifyError(), which is what tls.Server itself consults.
 */
export function verifyError(socket: tls.TLSSocket): string | undefined {
  if (socket.authorized) return undefined;
  if (socket.authorizationError) return String(socket.authorizationError);
  const handle = (socket as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
  const err = handle?.verifyError?.();
  if (err) return (err as Error & { code?: string }).code ?? err.message;
  return handle?.verifyError ? undefined : 'peer certificate could not be verified';
}

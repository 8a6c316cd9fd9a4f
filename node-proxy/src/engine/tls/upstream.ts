// UpstreamTlsContext as node:tls client options.
import type tls from 'node:tls';
import type { Decoded } from '../types.js';
import { isMissing, obj, resolveMaterial, secureContext, type Missing } from './material.js';
import { checkPeerSan, compileSanVerifier } from './san.js';
import { toSecretStore, type SecretsArg } from './secrets.js';

export interface UpstreamTls {
  /** For tls.connect; the caller adds host/port. */
  options: tls.ConnectionOptions;
  /** The SAN check after the handshake: a reason when the peer must be rejected. */
  verify(socket: tls.TLSSocket): string | undefined;
}

/**
 * `alpnFallback` is offered when alpn_protocols is empty, as Envoy's HTTP
 * connection pools do (["h2"] for an HTTP/2 cluster). As Envoy's client: TLS
 * 1.2 only unless tls_params say otherwise, SNI only when `sni` is set, no
 * hostname check, and no chain check without a trusted_ca. Returns
 * `{ missing }` while SDS secrets are outstanding; throws when inline
 * material is unreadable.
 */
export function upstreamTlsOptions(ctx: Decoded, secrets: SecretsArg, alpnFallback: string[] = []): UpstreamTls | Missing {
  const m = resolveMaterial(obj(ctx.common_tls_context), toSecretStore(secrets), 'TLSv1.2', 'TLSv1.2');
  if (isMissing(m)) return m;
  const san = compileSanVerifier(m.validation);
  const alpn = m.alpn.length ? m.alpn : alpnFallback;
  const options: tls.ConnectionOptions = {
    secureContext: secureContext(m),
    rejectUnauthorized: m.ca !== undefined,
    // Envoy does not match the peer's name against SNI; only SAN matchers apply.
    checkServerIdentity: () => undefined,
  };
  if (typeof ctx.sni === 'string' && ctx.sni) options.servername = ctx.sni;
  if (alpn.length) options.ALPNProtocols = alpn;
  return { options, verify: (socket) => checkPeerSan(socket, san) };
}

// Envoy TLS contexts (UpstreamTlsContext / DownstreamTlsContext) as node:tls
// options. Certificates and validation contexts come inline or from SDS
// secrets; a context whose secrets have not arrived is reported as
// `{ missing }` so the caller can fail connections the way Envoy does while
// a cluster or listener waits for SDS.
import tls from 'node:tls';
import type { Decoded } from '../types.js';
import { readDataSource } from './data-source.js';
import { compileSanVerifier, type SanVerifier } from './san.js';
import type { SecretStore } from './secrets.js';

export interface Missing {
  /** Names of SDS secrets not (yet) known. */
  missing: string[];
}

export interface UpstreamTls {
  /** For tls.connect; the caller adds socket/host/port. */
  options: tls.ConnectionOptions;
  /** The SAN check after the handshake: a reason when the peer must be rejected. */
  verify(socket: tls.TLSSocket): string | undefined;
}

export interface DownstreamTls {
  secureContext: tls.SecureContext;
  requestCert: boolean;
  /** True only with require_client_certificate; otherwise verifyPeer rejects a presented but invalid certificate. */
  rejectUnauthorized: boolean;
  alpn?: string[];
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
  /** Call on 'secure': a reason when the client must be rejected (bad chain, SAN mismatch, missing required certificate). */
  verifyPeer(socket: tls.TLSSocket): string | undefined;
}

const VERSIONS: Record<string, tls.SecureVersion> = { TLSv1_0: 'TLSv1', TLSv1_1: 'TLSv1.1', TLSv1_2: 'TLSv1.2', TLSv1_3: 'TLSv1.3' };

interface Material {
  certs: { cert: Buffer; key: Buffer; passphrase?: string }[];
  /** The effective CertificateValidationContext, SDS parts merged in. */
  validation?: Decoded;
  ca?: Buffer;
  crl?: Buffer;
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
  alpn: string[];
}

function isMissing(x: Material | Missing): x is Missing {
  return 'missing' in x;
}

/**
 * `alpnFallback` is used when alpn_protocols is empty, as Envoy's connection
 * pools do (["h2"] for an HTTP/2 cluster). Client defaults: TLS 1.2 only, no
 * SNI unless `sni` is set, no hostname check, and no chain check without a
 * trusted_ca, all as Envoy. Throws when inline material is unreadable.
 */
export function upstreamTlsOptions(ctx: Decoded, secrets: SecretStore, alpnFallback: string[] = []): UpstreamTls | Missing {
  const m = material(obj(ctx.common_tls_context), secrets, 'TLSv1.2', 'TLSv1.2');
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
  return { options, verify: (socket) => checkSan(socket, san) };
}

/** Throws when no certificate is configured or inline material is unreadable. */
export function downstreamTlsContext(ctx: Decoded, secrets: SecretStore): DownstreamTls | Missing {
  const m = material(obj(ctx.common_tls_context), secrets, 'TLSv1.2', 'TLSv1.3');
  if (isMissing(m)) return m;
  if (!m.certs.length) throw new Error('DownstreamTlsContext has no certificate');
  const san = compileSanVerifier(m.validation);
  const required = (ctx.require_client_certificate as { value?: boolean } | undefined)?.value === true;
  // Envoy asks for a client certificate whenever it can verify one.
  const requestCert = m.ca !== undefined || required;
  const out: DownstreamTls = {
    secureContext: secureContext(m),
    requestCert,
    rejectUnauthorized: required,
    minVersion: m.minVersion,
    maxVersion: m.maxVersion,
    verifyPeer: (socket) => {
      const cert = socket.getPeerCertificate();
      const presented = !!cert && Object.keys(cert).length > 0;
      if (!presented) return required ? 'client certificate required' : undefined;
      if (m.ca !== undefined && !socket.authorized) return `client certificate rejected: ${String(socket.authorizationError)}`;
      return checkSan(socket, san);
    },
  };
  if (m.alpn.length) out.alpn = m.alpn;
  return out;
}

function checkSan(socket: tls.TLSSocket, san: SanVerifier | undefined): string | undefined {
  if (!san) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || !Object.keys(cert).length) return 'peer presented no certificate';
  return san(cert) ? undefined : 'peer certificate SAN does not match';
}

function secureContext(m: Material): tls.SecureContext {
  const opts: tls.SecureContextOptions = { minVersion: m.minVersion, maxVersion: m.maxVersion };
  if (m.certs.length) {
    opts.cert = m.certs.map((c) => c.cert);
    opts.key = m.certs.map((c) => (c.passphrase === undefined ? { pem: c.key } : { pem: c.key, passphrase: c.passphrase }));
  }
  if (m.ca) opts.ca = m.ca;
  if (m.crl) opts.crl = m.crl;
  return tls.createSecureContext(opts);
}

function material(common: Decoded, secrets: SecretStore, defMin: tls.SecureVersion, defMax: tls.SecureVersion): Material | Missing {
  const missing: string[] = [];
  const certs: Material['certs'] = [];
  const addCert = (tc: Decoded) => {
    const cert = readDataSource(tc.certificate_chain);
    const key = readDataSource(tc.private_key);
    if (!cert || !key) throw new Error('TlsCertificate needs certificate_chain and private_key');
    const pass = readDataSource(tc.password);
    certs.push(pass ? { cert, key, passphrase: pass.toString() } : { cert, key });
  };
  for (const tc of (common.tls_certificates as Decoded[] | undefined) ?? []) addCert(tc);
  for (const sds of (common.tls_certificate_sds_secret_configs as Decoded[] | undefined) ?? []) {
    const name = String(sds.name ?? '');
    const tc = secrets.tlsCertificate(name);
    if (tc) addCert(tc);
    else missing.push(name);
  }

  let validation: Decoded | undefined;
  if (common.validation_context) validation = obj(common.validation_context);
  const sdsValidation = (cfg: unknown) => {
    const name = String(obj(cfg).name ?? '');
    const v = secrets.validationContext(name);
    if (!v) missing.push(name);
    return v;
  };
  if (common.validation_context_sds_secret_config) validation = sdsValidation(common.validation_context_sds_secret_config);
  const combined = common.combined_validation_context ? obj(common.combined_validation_context) : undefined;
  if (combined) {
    const dynamic = sdsValidation(combined.validation_context_sds_secret_config);
    // Envoy merges the SDS context into the default one (protobuf MergeFrom).
    validation = mergeMessage(obj(combined.default_validation_context), dynamic ?? {});
  }
  if (missing.length) return { missing };

  const params = obj(common.tls_params);
  const version = (v: unknown, def: tls.SecureVersion) => (typeof v === 'string' && VERSIONS[v]) || def;
  const m: Material = {
    certs,
    minVersion: version(params.tls_minimum_protocol_version, defMin),
    maxVersion: version(params.tls_maximum_protocol_version, defMax),
    alpn: ((common.alpn_protocols as string[] | undefined) ?? []).slice(),
  };
  if (validation) {
    m.validation = validation;
    const ca = readDataSource(validation.trusted_ca);
    if (ca) m.ca = ca;
    const crl = readDataSource(validation.crl);
    if (crl) m.crl = crl;
  }
  return m;
}

/** protobuf MergeFrom on decoded messages: repeated fields concatenate, messages merge, scalars overwrite. */
function mergeMessage(a: Decoded, b: Decoded): Decoded {
  const out: Decoded = { ...a };
  // Setting one member of a oneof clears the others: drop a's member when b picks another.
  for (const [k, v] of Object.entries(b)) {
    const was = a[k];
    if (typeof v === 'string' && typeof was === 'string' && was !== v && b[v] !== undefined && a[was] !== undefined) delete out[was];
  }
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    if (Array.isArray(v) && Array.isArray(prev)) out[k] = [...prev, ...v];
    else if (isPlainObject(v) && isPlainObject(prev)) out[k] = mergeMessage(prev, v);
    else out[k] = v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Decoded {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function obj(v: unknown): Decoded {
  return isPlainObject(v) ? v : {};
}

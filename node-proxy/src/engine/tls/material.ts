// What a CommonTlsContext resolves to: certificates, the effective
// validation context (inline, SDS, or SDS merged into a default as Envoy's
// combined_validation_context), protocol versions and ALPN.
import tls from 'node:tls';
import type { Decoded } from '../types.js';
import { readDataSource } from './data-source.js';
import type { SecretStore } from './secrets.js';

export interface Missing {
  /** Names of SDS secrets not (yet) known. */
  missing: string[];
}

export interface Material {
  certs: { cert: Buffer; key: Buffer; passphrase?: string }[];
  /** The effective CertificateValidationContext. */
  validation?: Decoded;
  ca?: Buffer;
  crl?: Buffer;
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
  alpn: string[];
}

const VERSIONS: Record<string, tls.SecureVersion> = { TLSv1_0: 'TLSv1', TLSv1_1: 'TLSv1.1', TLSv1_2: 'TLSv1.2', TLSv1_3: 'TLSv1.3' };

export function isMissing<T extends object>(x: T | Missing): x is Missing {
  return 'missing' in x;
}

/** The SDS secret parts a context uses, in a fixed order: if they are the same objects, so is the material. */
export function referencedSecrets(common: Decoded, secrets: SecretStore): unknown[] {
  const out: unknown[] = [];
  for (const sds of list(common.tls_certificate_sds_secret_configs)) out.push(secrets.tlsCertificate(String(sds.name ?? '')));
  if (common.validation_context_sds_secret_config) out.push(secrets.validationContext(String(obj(common.validation_context_sds_secret_config).name ?? '')));
  const combined = obj(common.combined_validation_context);
  if (combined.validation_context_sds_secret_config) out.push(secrets.validationContext(String(obj(combined.validation_context_sds_secret_config).name ?? '')));
  return out;
}

/** Throws when inline material is unreadable. */
export function resolveMaterial(common: Decoded, secrets: SecretStore, defMin: tls.SecureVersion, defMax: tls.SecureVersion): Material | Missing {
  const missing: string[] = [];
  const certs: Material['certs'] = [];
  const addCert = (tc: Decoded) => {
    const cert = readDataSource(tc.certificate_chain);
    const key = readDataSource(tc.private_key);
    if (!cert || !key) throw new Error('TlsCertificate needs certificate_chain and private_key');
    const pass = readDataSource(tc.password);
    certs.push(pass ? { cert, key, passphrase: pass.toString() } : { cert, key });
  };
  for (const tc of list(common.tls_certificates)) addCert(tc);
  for (const sds of list(common.tls_certificate_sds_secret_configs)) {
    const name = String(sds.name ?? '');
    const tc = secrets.tlsCertificate(name);
    if (tc) addCert(tc);
    else missing.push(name);
  }

  let validation: Decoded | undefined;
  const fromSds = (cfg: unknown) => {
    const name = String(obj(cfg).name ?? '');
    const v = secrets.validationContext(name);
    if (!v) missing.push(name);
    return v;
  };
  if (common.validation_context) validation = obj(common.validation_context);
  if (common.validation_context_sds_secret_config) validation = fromSds(common.validation_context_sds_secret_config);
  if (common.combined_validation_context) {
    const combined = obj(common.combined_validation_context);
    const dynamic = fromSds(combined.validation_context_sds_secret_config);
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

export function secureContext(m: Material): tls.SecureContext {
  const opts: tls.SecureContextOptions = { minVersion: m.minVersion, maxVersion: m.maxVersion };
  if (m.certs.length) {
    opts.cert = m.certs.map((c) => c.cert);
    opts.key = m.certs.map((c) => (c.passphrase === undefined ? { pem: c.key } : { pem: c.key, passphrase: c.passphrase }));
  }
  if (m.ca) opts.ca = m.ca;
  if (m.crl) opts.crl = m.crl;
  return tls.createSecureContext(opts);
}

/** protobuf MergeFrom on decoded messages: repeated fields concatenate, messages merge, scalars overwrite. */
export function mergeMessage(a: Decoded, b: Decoded): Decoded {
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

export function obj(v: unknown): Decoded {
  return isPlainObject(v) ? v : {};
}

function list(v: unknown): Decoded[] {
  return Array.isArray(v) ? (v as Decoded[]) : [];
}

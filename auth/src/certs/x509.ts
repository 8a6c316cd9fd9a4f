// X.509 generation with @peculiar/x509 over Node's webcrypto, and the few
// parsing helpers verification needs that node:crypto's X509Certificate does
// not expose (keyUsage bits, URI SANs).
//
// `issueCertificate` is deliberately general (any key usage, any SANs, CA or
// not, any validity window): the CA uses it with SVID defaults, and the tests
// use it to make the real, malformed certificates the verifier must refuse.
import { createHash, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { x509 } from './peculiar.js';
import { PrivateKeyPem } from './secret.js';

export type KeyAlgorithm = 'P-256' | 'P-384' | 'RSA-2048';
export type KeyUsageName = 'digitalSignature' | 'keyEncipherment' | 'keyAgreement' | 'keyCertSign' | 'cRLSign';
export type ExtKeyUsageName = 'serverAuth' | 'clientAuth';

const KEY_USAGE: Record<KeyUsageName, x509.KeyUsageFlags> = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  keyEncipherment: x509.KeyUsageFlags.keyEncipherment,
  keyAgreement: x509.KeyUsageFlags.keyAgreement,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  cRLSign: x509.KeyUsageFlags.cRLSign,
};
const EKU_OID: Record<ExtKeyUsageName, string> = {
  serverAuth: x509.ExtendedKeyUsage.serverAuth,
  clientAuth: x509.ExtendedKeyUsage.clientAuth,
};

type WebKeyPair = { privateKey: webcrypto.CryptoKey; publicKey: webcrypto.CryptoKey };

/** A signing key and the certificate that names it. */
export interface SigningIdentity {
  cert: x509.X509Certificate;
  privateKey: webcrypto.CryptoKey;
}

export interface CertTemplate {
  /** Subject DN, e.g. "O=nodemesh, CN=root". SVIDs use an empty-ish subject; the URI SAN is the identity. */
  subject: string;
  uris?: string[];
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  pathLength?: number;
  /** Absent: digitalSignature for leaves; keyCertSign, cRLSign, digitalSignature for CAs. [] omits the extension. */
  keyUsage?: KeyUsageName[];
  /** Absent: serverAuth+clientAuth for leaves, none for CAs. [] omits the extension. */
  extKeyUsage?: ExtKeyUsageName[];
  /** Omit basicConstraints entirely (to test verifiers). */
  omitBasicConstraints?: boolean;
  keyAlgorithm?: KeyAlgorithm;
  /** Sign with this identity; absent: self-signed. */
  issuer?: SigningIdentity;
}

export interface IssuedCertificate {
  cert: x509.X509Certificate;
  certPem: string;
  key: PrivateKeyPem;
  privateKey: webcrypto.CryptoKey;
  /** Lowercase hex, as X509Certificate.serialNumber prints it (upper) lowercased. */
  serial: string;
}

function genParams(alg: KeyAlgorithm): webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams {
  if (alg === 'RSA-2048') return { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  return { name: 'ECDSA', namedCurve: alg };
}

/** The signature algorithm a key signs with. */
export function signingAlgorithmFor(key: webcrypto.CryptoKey): webcrypto.EcdsaParams | webcrypto.Algorithm {
  const a = key.algorithm as { name: string; namedCurve?: string };
  if (a.name === 'ECDSA') return { name: 'ECDSA', hash: a.namedCurve === 'P-384' ? 'SHA-384' : a.namedCurve === 'P-521' ? 'SHA-512' : 'SHA-256' };
  return { name: a.name, hash: 'SHA-256' } as webcrypto.Algorithm;
}

export async function generateKeyPair(alg: KeyAlgorithm = 'P-256'): Promise<WebKeyPair> {
  return (await webcrypto.subtle.generateKey(genParams(alg), true, ['sign', 'verify'])) as WebKeyPair;
}

export async function exportPrivateKey(key: webcrypto.CryptoKey): Promise<PrivateKeyPem> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return new PrivateKeyPem(`-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`);
}

/**
 * Imports a PEM private key (PKCS#8 "PRIVATE KEY", SEC1 "EC PRIVATE KEY" or
 * PKCS#1 "RSA PRIVATE KEY", as cert-manager and openssl write them) for signing.
 */
export async function importSigningKey(pem: PrivateKeyPem): Promise<webcrypto.CryptoKey> {
  const ko = createPrivateKey(pem.reveal());
  const der = ko.export({ type: 'pkcs8', format: 'der' });
  const type = ko.asymmetricKeyType;
  if (type === 'ec') {
    const curve = ko.asymmetricKeyDetails?.namedCurve;
    const namedCurve = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : curve === 'secp521r1' ? 'P-521' : undefined;
    if (!namedCurve) throw new Error(`unsupported CA key curve ${curve ?? '?'}`);
    return webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve }, false, ['sign']);
  }
  if (type === 'rsa') return webcrypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  throw new Error(`unsupported CA key type ${type ?? '?'} (want EC or RSA)`);
}

/** A random positive 128-bit serial (RFC 5280 allows up to 20 octets; the top bit is cleared so it stays positive). */
function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f | 0x01 << 6; // positive, and never a leading zero octet
  return b.toString('hex');
}

export async function issueCertificate(t: CertTemplate): Promise<IssuedCertificate> {
  const keys = await generateKeyPair(t.keyAlgorithm ?? 'P-256');
  const extensions: x509.Extension[] = [];
  if (!t.omitBasicConstraints) extensions.push(new x509.BasicConstraintsExtension(t.isCa, t.isCa ? t.pathLength : undefined, true));
  const ku = t.keyUsage ?? (t.isCa ? ['keyCertSign', 'cRLSign', 'digitalSignature'] : ['digitalSignature']);
  if (ku.length > 0) extensions.push(new x509.KeyUsagesExtension(ku.reduce((f, n) => f | KEY_USAGE[n], 0), true));
  const eku = t.extKeyUsage ?? (t.isCa ? [] : ['serverAuth', 'clientAuth']);
  if (eku.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(eku.map((n) => EKU_OID[n]), false));
  // RFC 5280: when the subject is empty the SAN extension must be critical; SVIDs keep a subject, so it is not.
  if (t.uris && t.uris.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(t.uris.map((u) => ({ type: 'url' as const, value: u })), false));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  if (t.issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(t.issuer.cert));

  const signingKey = t.issuer ? t.issuer.privateKey : keys.privateKey;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: t.subject,
    issuer: t.issuer ? t.issuer.cert.subject : t.subject,
    notBefore: t.notBefore,
    notAfter: t.notAfter,
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: signingAlgorithmFor(signingKey),
    extensions,
  });
  return { cert, certPem: cert.toString('pem') + '\n', key: await exportPrivateKey(keys.privateKey), privateKey: keys.privateKey, serial: cert.serialNumber.toLowerCase() };
}

/** Splits a PEM bundle into its certificates (in file order). */
export function splitPemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((p) => p + '\n') ?? [];
}

/** What verification needs from a certificate's extensions. */
export interface CertExtensions {
  uris: string[];
  /** undefined: no keyUsage extension. */
  keyUsage: Set<KeyUsageName> | undefined;
  /** undefined: no extKeyUsage extension. */
  extKeyUsage: Set<string> | undefined;
  /** undefined: no basicConstraints extension. */
  isCa: boolean | undefined;
}

export const EKU = EKU_OID;

/**
 * Parsed extensions by SHA-256 of the DER. Parsing with @peculiar/x509 costs
 * ~0.5 ms of JS ASN.1 per certificate, and the same SVIDs come back on every
 * handshake for their whole lifetime; the digest identifies the exact bytes.
 */
const extCache = new Map<string, CertExtensions>();
const EXT_CACHE_MAX = 4096;

export function readExtensions(der: Uint8Array): CertExtensions {
  const digest = createHash('sha256').update(der).digest('base64');
  const hit = extCache.get(digest);
  if (hit) return hit;
  const ext = parseExtensions(der);
  if (extCache.size >= EXT_CACHE_MAX) extCache.delete(extCache.keys().next().value!);
  extCache.set(digest, ext);
  return ext;
}

function parseExtensions(der: Uint8Array): CertExtensions {
  const c = new x509.X509Certificate(der);
  const san = c.getExtension(x509.SubjectAlternativeNameExtension);
  const uris = san ? san.names.items.filter((n) => n.type === 'url').map((n) => n.value) : [];
  const kuExt = c.getExtension(x509.KeyUsagesExtension);
  let keyUsage: Set<KeyUsageName> | undefined;
  if (kuExt) {
    keyUsage = new Set();
    for (const [name, flag] of Object.entries(KEY_USAGE) as [KeyUsageName, number][]) if (kuExt.usages & flag) keyUsage.add(name);
  }
  const ekuExt = c.getExtension(x509.ExtendedKeyUsageExtension);
  const extKeyUsage = ekuExt ? new Set(ekuExt.usages.map(String)) : undefined;
  const bc = c.getExtension(x509.BasicConstraintsExtension);
  // Frozen: the object is shared through the cache.
  return Object.freeze({ uris: Object.freeze(uris) as string[], keyUsage, extKeyUsage, isCa: bc ? bc.ca : undefined });
}

// The certificate authority that signs X.509-SVIDs: either embedded (nodemesh
// generates a self-signed P-256 root for the trust domain) or brought by the
// user (a mounted root or intermediate cert + key, as cert-manager writes
// tls.crt / tls.key / ca.crt). With an intermediate, SVIDs are served with the
// chain up to (not including) the root, and only the root goes in the bundle.
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from '../../../xds-server/src/log.js';
import { checkTrustDomain, parseSpiffeId } from '../spiffe/id.js';
import { x509 } from './peculiar.js';
import { PrivateKeyPem } from './secret.js';
import { importSigningKey, issueCertificate, splitPemCertificates, type KeyAlgorithm, type SigningIdentity } from './x509.js';

/** An X.509-SVID: a leaf certificate whose one URI SAN is the SPIFFE ID, its key, and the chain served with it. */
export interface Svid {
  readonly id: string;
  /** Leaf certificate, PEM. */
  readonly certPem: string;
  /** Intermediates between the leaf and a bundle root, leaf's issuer first; empty when the root signed the leaf. */
  readonly chainPem: readonly string[];
  readonly key: PrivateKeyPem;
  /** Lowercase hex serial of the leaf. */
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface IssueOptions {
  /** Lifetime from `now`. */
  ttlMs: number;
  now: Date;
  /** Backdates notBefore to tolerate clock skew between nodes. Default 30 s. */
  skewMs?: number;
  /** Key type of the SVID; P-256 unless a test wants something the verifier refuses. */
  keyAlgorithm?: KeyAlgorithm;
}

export class X509Authority {
  private constructor(
    readonly trustDomain: string,
    private readonly signer: SigningIdentity,
    /** Served after each leaf: the signing cert when it is an intermediate, then its issuers below the root. */
    readonly chainPem: readonly string[],
    /** Root certificates of the trust domain (PEM): what peers trust. */
    readonly bundlePem: readonly string[],
  ) {}

  get notAfter(): Date {
    return this.signer.cert.notAfter;
  }

  /** A new self-signed root for `trustDomain` (P-256, CA:true, pathlen 0). */
  static async createEmbedded(opts: { trustDomain: string; now?: Date; validityMs?: number }): Promise<X509Authority> {
    const tdErr = checkTrustDomain(opts.trustDomain);
    if (tdErr) throw new Error(`trust domain ${JSON.stringify(opts.trustDomain)}: ${tdErr}`);
    const now = opts.now ?? new Date();
    const root = await issueCertificate({
      subject: `O=nodemesh, CN=nodemesh root ${opts.trustDomain}`,
      uris: [`spiffe://${opts.trustDomain}`],
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + (opts.validityMs ?? 365 * 24 * 3600_000)),
      isCa: true,
      pathLength: 0,
    });
    return new X509Authority(opts.trustDomain, { cert: root.cert, privateKey: root.privateKey }, [], [root.certPem]);
  }

  /**
   * Bring your own CA. `certPem` is the signing certificate, optionally followed
   * by its issuers (tls.crt); `caPem` holds the root(s) (ca.crt). When the
   * signing certificate is self-signed it is the root and `caPem` may be omitted.
   */
  static async fromPem(opts: { trustDomain: string; certPem: string; keyPem: PrivateKeyPem; caPem?: string }): Promise<X509Authority> {
    const tdErr = checkTrustDomain(opts.trustDomain);
    if (tdErr) throw new Error(`trust domain ${JSON.stringify(opts.trustDomain)}: ${tdErr}`);
    const certs = splitPemCertificates(opts.certPem);
    if (certs.length === 0) throw new Error('CA certificate file holds no PEM certificate');
    const signing = new X509Certificate(certs[0]!);
    if (!signing.ca) throw new Error(`CA certificate ${signing.subject} is not a CA (basicConstraints CA:false or absent)`);
    const key = await importSigningKey(opts.keyPem);
    // The key must belong to the certificate, or every SVID would fail to verify later, far from the cause.
    const pub = createPublicKey(createPrivateKey(opts.keyPem.reveal())).export({ type: 'spki', format: 'der' });
    if (!pub.equals(signing.publicKey.export({ type: 'spki', format: 'der' }))) throw new Error('CA key does not match the CA certificate');
    const selfSigned = signing.checkIssued(signing) && signing.verify(signing.publicKey);
    const roots = opts.caPem ? splitPemCertificates(opts.caPem) : selfSigned ? [certs[0]!] : [];
    if (roots.length === 0) throw new Error('the CA certificate is an intermediate: its root (ca.crt) is needed for the trust bundle');
    const rootSet = new Set(roots.map((r) => new X509Certificate(r).fingerprint256));
    // Served chain: the signing cert and issuers from tls.crt, stopping before a root.
    const chain = selfSigned ? [] : certs.filter((p) => !rootSet.has(new X509Certificate(p).fingerprint256));
    // Check now that the chain reaches a root, instead of at the first handshake.
    const candidates = [...certs.slice(1), ...roots].map((p) => new X509Certificate(p));
    let cur = signing;
    for (let depth = 0; !rootSet.has(cur.fingerprint256); depth++) {
      const from = cur;
      const next = candidates.find((c) => c.fingerprint256 !== from.fingerprint256 && from.checkIssued(c) && from.verify(c.publicKey));
      if (!next || depth > 8) throw new Error(`CA certificate ${signing.subject} does not chain to the given root(s)`);
      cur = next;
    }
    return new X509Authority(opts.trustDomain, { cert: new x509.X509Certificate(certs[0]!), privateKey: key }, chain, roots);
  }

  /** fromPem over files (a mounted Secret). Warns when the key file is readable by group or others. */
  static async fromFiles(opts: { trustDomain: string; certFile: string; keyFile: string; caFile?: string; logger?: Logger }): Promise<X509Authority> {
    const mode = statSync(opts.keyFile).mode & 0o777;
    if (mode & 0o077) opts.logger?.warn('CA key file is readable by group or others', { file: opts.keyFile, mode: mode.toString(8) });
    return X509Authority.fromPem({
      trustDomain: opts.trustDomain,
      certPem: readFileSync(opts.certFile, 'utf8'),
      keyPem: new PrivateKeyPem(readFileSync(opts.keyFile, 'utf8')),
      caPem: opts.caFile ? readFileSync(opts.caFile, 'utf8') : undefined,
    });
  }

  /** Issues an X.509-SVID for `id` (must be in this trust domain). notAfter is capped at the CA's own. */
  async issueSvid(id: string, o: IssueOptions): Promise<Svid> {
    const parsed = parseSpiffeId(id);
    if (!parsed.ok) throw new Error(`invalid SPIFFE ID ${JSON.stringify(id)}: ${parsed.error}`);
    if (parsed.value.trustDomain !== this.trustDomain) throw new Error(`${id} is not in trust domain ${this.trustDomain}`);
    if (parsed.value.path === '') throw new Error(`${id} names a trust domain, not a workload`);
    const notAfterMs = Math.min(o.now.getTime() + o.ttlMs, this.signer.cert.notAfter.getTime());
    const issued = await issueCertificate({
      subject: 'O=nodemesh',
      uris: [id],
      notBefore: new Date(o.now.getTime() - (o.skewMs ?? 30_000)),
      notAfter: new Date(notAfterMs),
      isCa: false,
      keyAlgorithm: o.keyAlgorithm,
      issuer: this.signer,
    });
    return { id, certPem: issued.certPem, chainPem: this.chainPem, key: issued.key, serial: issued.serial, notBefore: issued.cert.notBefore, notAfter: issued.cert.notAfter };
  }
}

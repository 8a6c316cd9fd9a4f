// The CA directory the agents of one trust domain share: how the embedded CA
// reaches every node, and how a CA rotation reaches every agent.
//
//   tls.crt   the signing certificate (+ its issuers)      as cert-manager
//   tls.key   its key, 0600                                writes a CA Secret
//   ca.crt    the root(s), when tls.crt is an intermediate
//
// Bring your own: mount cert-manager's Secret there. Embedded: give every
// agent the same empty directory (a shared volume; the lab's state dir); the
// first agent creates a root and publishes it with link(2), which fails when
// another agent won the race, so exactly one root is ever created and every
// agent ends up with it, with no lock and no coordinator.
//
// Rotation: the directory is polled; when the signing certificate changes,
// the new authority is handed to the agent, which re-issues its SVIDs and so
// re-authenticates its entries. The previous roots stay in the trust bundle
// for the lifetime of the SVIDs they signed, so peers that have not reloaded
// yet are still trusted meanwhile.
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../../xds-server/src/log.js';
import { checkTrustDomain } from '../spiffe/id.js';
import { X509Authority } from './authority.js';
import { issueCertificate } from './x509.js';

export const CA_FILES = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const;

/** Root validity of an embedded CA created here. */
const ROOT_VALIDITY_MS = 365 * 24 * 3600_000;

/**
 * Makes sure `dir` holds a CA: creates a self-signed root (P-256, pathlen 0)
 * when it holds none. Safe when several agents call it at once.
 */
export async function ensureCaDirectory(dir: string, trustDomain: string, logger?: Logger): Promise<'created' | 'existing'> {
  const certFile = join(dir, CA_FILES.cert);
  const keyFile = join(dir, CA_FILES.key);
  if (existsSync(certFile) && existsSync(keyFile)) return 'existing';
  const tdErr = checkTrustDomain(trustDomain);
  if (tdErr) throw new Error(`trust domain ${JSON.stringify(trustDomain)}: ${tdErr}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const now = Date.now();
  const root = await issueCertificate({
    subject: `O=nodemesh, CN=nodemesh root ${trustDomain}`,
    uris: [`spiffe://${trustDomain}`],
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + ROOT_VALIDITY_MS),
    isCa: true,
    pathLength: 0,
  });
  // The key is published first and the certificate last: a reader that sees
  // tls.crt finds its key. link(2) refuses to replace, so the first writer wins.
  const tag = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  const tmpKey = join(dir, `.tls.key.${tag}`);
  const tmpCert = join(dir, `.tls.crt.${tag}`);
  writeFileSync(tmpKey, root.key.reveal(), { mode: 0o600 });
  writeFileSync(tmpCert, root.certPem, { mode: 0o644 });
  try {
    try {
      linkSync(tmpKey, keyFile);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      await waitFor(certFile);
      return 'existing';
    }
    linkSync(tmpCert, certFile);
    logger?.info('auth CA created in the shared CA directory', { dir, trustDomain, fingerprint: fingerprint(root.certPem) });
    return 'created';
  } finally {
    unlinkSync(tmpKey);
    unlinkSync(tmpCert);
  }
}

/** Loads the directory's CA (bring-your-own or created by ensureCaDirectory). */
export async function loadCaDirectory(dir: string, trustDomain: string, logger?: Logger): Promise<X509Authority> {
  const caFile = join(dir, CA_FILES.ca);
  return X509Authority.fromFiles({ trustDomain, certFile: join(dir, CA_FILES.cert), keyFile: join(dir, CA_FILES.key), caFile: existsSync(caFile) ? caFile : undefined, logger });
}

/** What identifies the directory's current CA: a hash of tls.crt and ca.crt (tls.key follows tls.crt). */
export function caDirectoryVersion(dir: string): string | undefined {
  try {
    const h = createHash('sha256').update(readFileSync(join(dir, CA_FILES.cert)));
    const ca = join(dir, CA_FILES.ca);
    if (existsSync(ca)) h.update(readFileSync(ca));
    return h.digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * Polls `dir` and calls `onChange` with the new authority when its CA
 * changes. A directory caught half-written (cert and key not matching) is
 * retried on the next poll; the agent keeps the authority it has.
 */
export function watchCaDirectory(o: {
  dir: string;
  trustDomain: string;
  intervalMs?: number;
  logger: Logger;
  onChange: (authority: X509Authority) => Promise<void>;
}): () => void {
  let version = caDirectoryVersion(o.dir);
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    const now = caDirectoryVersion(o.dir);
    if (now === undefined || now === version) return;
    busy = true;
    loadCaDirectory(o.dir, o.trustDomain, o.logger)
      .then(async (authority) => {
        version = now;
        o.logger.info('auth CA changed in the CA directory', { dir: o.dir, fingerprint: fingerprint(authority.bundlePem[0] ?? '') });
        await o.onChange(authority);
      })
      .catch((err: unknown) => o.logger.warn('auth CA directory changed but cannot be loaded yet; keeping the current CA', { dir: o.dir, error: err instanceof Error ? err.message : String(err) }))
      .finally(() => (busy = false));
  }, o.intervalMs ?? 2000);
  timer.unref();
  return () => clearInterval(timer);
}

function fingerprint(pem: string): string {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

async function waitFor(file: string): Promise<void> {
  for (let i = 0; i < 200 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 25));
  if (!existsSync(file)) throw new Error(`${file}: another agent published the CA key but not its certificate within 5 s`);
}

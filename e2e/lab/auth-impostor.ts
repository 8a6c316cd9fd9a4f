// An impostor auth responder for the refusal e2e tests (auth-refusals.test.ts):
// it takes the place of a node's auth agent on the node's auth address and
// answers the real initiating agent of the other node with whatever defect a
// test asks for — an SVID it signed wrongly (it holds the lab CA's key, so it
// can also sign well-formed certificates that are wrong in one way), a trust
// store or clock that makes it refuse the real initiator, an admission policy
// that denies, no SVID at all, or a transport that is not the auth protocol.
// It runs in the node's network namespace, so it is a process of its own,
// driven by one JSON ImpostorCase per stdin line; every event (ready,
// responder outcome, entry written, raw connection) is one JSON line on
// stdout with the wall clock `at`, so the test can assert both sides.
//
// Environment: CA_DIR (tls.crt, tls.key of the lab root), TRUST_DOMAIN,
// RESPONDER (the SPIFFE ID it answers for), LISTEN (host:port), NODE_NAME,
// PIN_ROOT (the node's bpffs pins, for cases that record entries in the
// datapath's own map).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../xds-server/src/log.js';
import { BpfAuthMap } from '../../auth/src/authmap/bpf.js';
import { InMemoryAuthMap } from '../../auth/src/authmap/memory.js';
import type { AuthMap } from '../../auth/src/authmap/types.js';
import { X509Authority, type Svid } from '../../auth/src/certs/authority.js';
import { x509 } from '../../auth/src/certs/peculiar.js';
import { StaticCertificateProvider } from '../../auth/src/certs/provider.js';
import { PrivateKeyPem } from '../../auth/src/certs/secret.js';
import { TrustStore } from '../../auth/src/certs/trust.js';
import { importSigningKey, issueCertificate, splitPemCertificates, type ExtKeyUsageName, type KeyAlgorithm, type KeyUsageName, type SigningIdentity } from '../../auth/src/certs/x509.js';
import { AuthServer } from '../../auth/src/handshake/server.js';
import { HOUR, makeCa, makeIntermediate, makeSvid, type TestCa } from '../../auth/src/testing/fixtures.js';

/** Who signs the SVID the impostor presents. */
export type ImpostorSigner =
  /** The lab root, which both real agents trust. */
  | 'lab'
  /** Another root claiming the lab's trust domain. */
  | 'other-ca'
  /** A root with the lab root's exact subject name and another key: only the signature tells them apart. */
  | 'same-name-ca'
  /** The root of another trust domain (FOREIGN_TD). */
  | 'foreign-td'
  /** A valid intermediate under the lab root, served in the chain. */
  | 'intermediate'
  /** The same, but not served: the leaf does not chain to the bundle. */
  | 'intermediate-unserved'
  /** An intermediate under the lab root that expired an hour ago, served. */
  | 'expired-intermediate'
  /** A leaf SVID of the lab CA used as an issuer (CA:false), served. */
  | 'non-ca-intermediate';

/** The certificate presented for the responder identity: SVID defaults, one thing changed. */
export interface PresentSpec {
  /** URI SANs; default [RESPONDER]. */
  uris?: string[];
  signer?: ImpostorSigner;
  /** Validity, relative to now (ms); default −60 s … +1 h. */
  notBeforeMs?: number;
  notAfterMs?: number;
  isCa?: boolean;
  keyUsage?: KeyUsageName[];
  extKeyUsage?: ExtKeyUsageName[];
  keyAlgorithm?: KeyAlgorithm;
}

export interface ImpostorCase {
  name: string;
  /**
   * 'auth' (default): a real AuthServer; 'tls12': a TLS server that speaks
   * 1.2 at most; 'silent': TCP that accepts and never answers; 'garbage': TLS 1.3
   * with a good SVID that answers the request with a line that is not JSON;
   * 'down': nothing listens.
   */
  serve?: 'auth' | 'tls12' | 'silent' | 'garbage' | 'down';
  /** The SVID held for RESPONDER; 'none': none (default: a good one from the lab CA). */
  present?: PresentSpec | 'none';
  /** Bundles: 'lab' (default); 'other-ca': only another root for the lab's trust domain; 'other-td': only FOREIGN_TD's. */
  trust?: 'lab' | 'other-ca' | 'other-td';
  /** Added to the clock the responder verifies the initiator with. */
  clockOffsetMs?: number;
  /** Revoke the leaf in this PEM file (the initiator's SVID, read from its node's state dir). */
  revokeCertFile?: string;
  /** The admission hook refuses the initiator with this detail. */
  deny?: string;
  /** Record entries in the node's pinned BPF auth map (PIN_ROOT), where nm_auth_ingress reads them. */
  recordInDatapath?: boolean;
}

export const FOREIGN_TD = 'stranger.example';
/** This script, to spawn in a node's namespace. */
export const IMPOSTOR = fileURLToPath(import.meta.url);

const env = (k: string): string => {
  const v = process.env[k];
  if (!v) throw new Error(`auth-impostor: ${k} is not set`);
  return v;
};
const say = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ ...o, at: Date.now() })}\n`);
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

interface Cas {
  lab: TestCa;
  otherCa: TestCa;
  sameNameCa: SigningIdentity;
  foreign: TestCa;
}

async function loadCas(caDir: string, td: string): Promise<Cas> {
  const rootPem = readFileSync(join(caDir, 'tls.crt'), 'utf8');
  const keyPem = new PrivateKeyPem(readFileSync(join(caDir, 'tls.key'), 'utf8'));
  const authority = await X509Authority.fromPem({ trustDomain: td, certPem: rootPem, keyPem });
  const signer: SigningIdentity = { cert: new x509.X509Certificate(rootPem), privateKey: await importSigningKey(keyPem) };
  const lab: TestCa = { trustDomain: td, signer, rootPem, authority };
  const sameName = await issueCertificate({ subject: signer.cert.subject, notBefore: new Date(Date.now() - HOUR), notAfter: new Date(Date.now() + HOUR), isCa: true });
  return { lab, otherCa: await makeCa(td), sameNameCa: { cert: sameName.cert, privateKey: sameName.privateKey }, foreign: await makeCa(FOREIGN_TD) };
}

async function presented(spec: PresentSpec, cas: Cas, responder: string): Promise<Svid> {
  const now = Date.now();
  let issuer: SigningIdentity;
  let chainPem: string[] = [];
  switch (spec.signer ?? 'lab') {
    case 'lab':
      issuer = cas.lab.signer;
      break;
    case 'other-ca':
      issuer = cas.otherCa.signer;
      break;
    case 'same-name-ca':
      issuer = cas.sameNameCa;
      break;
    case 'foreign-td':
      issuer = cas.foreign.signer;
      break;
    case 'intermediate':
    case 'intermediate-unserved': {
      const i = await makeIntermediate(cas.lab);
      issuer = i.signer;
      if (spec.signer === 'intermediate') chainPem = [i.pem];
      break;
    }
    case 'expired-intermediate': {
      const i = await makeIntermediate(cas.lab, { notBefore: new Date(now - 3 * HOUR), notAfter: new Date(now - HOUR) });
      issuer = i.signer;
      chainPem = [i.pem];
      break;
    }
    case 'non-ca-intermediate': {
      const notCa = await makeSvid(`spiffe://${cas.lab.trustDomain}/ns/x/sa/not-a-ca`, cas.lab.signer);
      issuer = { cert: new x509.X509Certificate(notCa.certPem), privateKey: await importSigningKey(notCa.key) };
      chainPem = [notCa.certPem];
      break;
    }
  }
  const svid = await makeSvid(responder, issuer, {
    uris: spec.uris ?? [responder],
    notBefore: new Date(now + (spec.notBeforeMs ?? -60_000)),
    notAfter: new Date(now + (spec.notAfterMs ?? HOUR)),
    isCa: spec.isCa ?? false,
    ...(spec.keyUsage ? { keyUsage: spec.keyUsage } : {}),
    ...(spec.extKeyUsage ? { extKeyUsage: spec.extKeyUsage } : {}),
    ...(spec.keyAlgorithm ? { keyAlgorithm: spec.keyAlgorithm } : {}),
    chainPem,
  });
  // Held under RESPONDER whatever its URI SAN says, so the SNI for RESPONDER selects it.
  return { ...svid, id: responder };
}

function trustFor(kind: ImpostorCase['trust'], cas: Cas): TrustStore {
  const t = new TrustStore(cas.lab.trustDomain);
  if (kind === 'other-ca') t.setBundle(cas.lab.trustDomain, cas.otherCa.rootPem);
  else if (kind === 'other-td') t.setBundle(FOREIGN_TD, cas.foreign.rootPem);
  else t.setBundle(cas.lab.trustDomain, cas.lab.rootPem);
  return t;
}

/** Reports every entry the responder records, and when it became visible. */
function reporting(inner: AuthMap, name: string): AuthMap {
  return {
    get: (k, now) => inner.get(k, now),
    set: async (e) => {
      await inner.set(e);
      say({ event: 'entry', case: name, localIdentity: e.localIdentity, remoteIdentity: e.remoteIdentity, remoteNode: e.remoteNode, remoteSerial: e.remoteSerial });
    },
    delete: (k) => inner.delete(k),
    deleteWhere: (p) => inner.deleteWhere(p),
    list: () => inner.list(),
    gc: (now) => inner.gc(now),
  };
}

/** Something listening; close() frees the address for the next case. */
interface Running {
  close(): Promise<void>;
}

function rawServer(server: net.Server, name: string, host: string, port: number): Promise<Running> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
    say({ event: 'accepted', case: name, remote: s.remoteAddress });
  };
  server.on(server instanceof tls.Server ? 'secureConnection' : 'connection', track);
  if (server instanceof tls.Server) server.on('tlsClientError', (err: Error & { code?: string }) => say({ event: 'tls-client-error', case: name, code: err.code ?? err.message }));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () =>
      resolve({
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise<void>((r) => server.close(() => r()));
        },
      }),
    );
  });
}

async function start(c: ImpostorCase, cas: Cas): Promise<{ running?: Running; serial?: string }> {
  const [host, portText] = env('LISTEN').split(/:(?=\d+$)/) as [string, string];
  const port = Number(portText);
  const responder = env('RESPONDER');
  const serve = c.serve ?? 'auth';
  if (serve === 'down') return {};
  const svid = c.present === 'none' ? undefined : await presented(c.present ?? {}, cas, responder);
  if (serve === 'silent') return { running: await rawServer(net.createServer(), c.name, host, port) };
  if (serve === 'tls12' || serve === 'garbage') {
    if (!svid) throw new Error(`${serve} needs an SVID`);
    const server = tls.createServer({
      key: svid.key.reveal(),
      cert: svid.certPem + svid.chainPem.join(''),
      ...(serve === 'tls12' ? { maxVersion: 'TLSv1.2' as const } : { minVersion: 'TLSv1.3' as const, requestCert: true, rejectUnauthorized: false }),
    });
    // Waits for the initiator's request line, so the answer is to the protocol, not to the TLS handshake.
    if (serve === 'garbage') server.on('secureConnection', (s) => s.once('data', () => s.end('this is not the auth protocol\n')));
    return { running: await rawServer(server, c.name, host, port), serial: svid.serial };
  }

  const trust = trustFor(c.trust, cas);
  if (c.revokeCertFile) {
    const leaf = new X509Certificate(splitPemCertificates(readFileSync(c.revokeCertFile, 'utf8'))[0]!);
    const id = leaf.subjectAltName?.match(/URI:([^,\s]+)/)?.[1] ?? '';
    trust.revoke({ id, serial: leaf.serialNumber.toLowerCase(), notAfter: new Date(leaf.validTo) });
  }
  const offset = c.clockOffsetMs ?? 0;
  const deny = c.deny;
  const server = new AuthServer({
    nodeName: env('NODE_NAME'),
    provider: new StaticCertificateProvider(svid ? [svid] : []),
    trust,
    authMap: reporting(c.recordInDatapath ? BpfAuthMap.open(env('PIN_ROOT')) : new InMemoryAuthMap(), c.name),
    logger: createLogger({ level: 'warn' }),
    now: () => Date.now() + offset,
    ...(deny !== undefined ? { authorizePeer: () => deny } : {}),
  });
  server.onOutcome = (o) =>
    say({ event: 'outcome', case: c.name, ok: o.ok, reason: o.reason, by: o.by, detail: o.detail, localIdentity: o.localIdentity, remoteIdentity: o.remoteIdentity, remoteNode: o.remoteNode });
  await server.listen(port, host);
  return { running: server, ...(svid ? { serial: svid.serial } : {}) };
}

async function main(): Promise<void> {
  const cas = await loadCas(env('CA_DIR'), env('TRUST_DOMAIN'));
  let running: Running | undefined;
  // One case at a time: the next one starts only once the previous listener is closed.
  let queue = Promise.resolve();
  createInterface({ input: process.stdin }).on('line', (line) => {
    queue = queue.then(async () => {
      const c = JSON.parse(line) as ImpostorCase;
      try {
        await running?.close();
        running = undefined;
        const r = await start(c, cas);
        running = r.running;
        say({ event: 'ready', case: c.name, listening: !!r.running, serial: r.serial });
      } catch (e) {
        say({ event: 'error', case: c.name, message: message(e) });
      }
    });
  });
  say({ event: 'started' });
}

// Imported by the test for its types and constants; run only as a script.
if (process.argv[1] === IMPOSTOR) {
  main().catch((e: unknown) => {
    say({ event: 'error', message: message(e) });
    process.exit(1);
  });
}

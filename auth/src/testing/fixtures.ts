// Test helpers: real certificate authorities, real (sometimes deliberately
// malformed) SVIDs, real auth servers on loopback. Nothing here is a mock.
import { X509Certificate } from 'node:crypto';
import client from 'prom-client';
import { createLogger, type Logger } from '../../../xds-server/src/log.js';
import { X509Authority, type Svid } from '../certs/authority.js';
import { TrustStore } from '../certs/trust.js';
import { issueCertificate, type CertTemplate, type SigningIdentity } from '../certs/x509.js';
import { InMemoryAuthMap } from '../authmap/memory.js';
import type { AuthMap } from '../authmap/types.js';
import type { CertificateProvider } from '../certs/provider.js';
import { AuthServer, type AuthServerOptions, type ResponderOutcome } from '../handshake/server.js';
import { AuthMetrics } from '../metrics.js';

export const HOUR = 3600_000;

/** A CA whose signing key the test holds, so it can also sign malformed certificates. */
export interface TestCa {
  trustDomain: string;
  signer: SigningIdentity;
  rootPem: string;
  authority: X509Authority;
}

export async function makeCa(trustDomain: string, o: { notBefore?: Date; notAfter?: Date } = {}): Promise<TestCa> {
  const now = Date.now();
  const root = await issueCertificate({
    subject: `O=test, CN=root ${trustDomain} ${Math.random().toString(36).slice(2, 8)}`,
    uris: [`spiffe://${trustDomain}`],
    notBefore: o.notBefore ?? new Date(now - HOUR),
    notAfter: o.notAfter ?? new Date(now + 24 * HOUR),
    isCa: true,
  });
  const authority = await X509Authority.fromPem({ trustDomain, certPem: root.certPem, keyPem: root.key });
  return { trustDomain, signer: { cert: root.cert, privateKey: root.privateKey }, rootPem: root.certPem, authority };
}

/** An intermediate CA under `parent`. */
export async function makeIntermediate(parent: TestCa, o: { notBefore?: Date; notAfter?: Date } = {}): Promise<{ signer: SigningIdentity; pem: string; key: import('../certs/secret.js').PrivateKeyPem }> {
  const now = Date.now();
  const c = await issueCertificate({
    subject: `O=test, CN=intermediate ${parent.trustDomain} ${Math.random().toString(36).slice(2, 8)}`,
    notBefore: o.notBefore ?? new Date(now - HOUR),
    notAfter: o.notAfter ?? new Date(now + 12 * HOUR),
    isCa: true,
    issuer: parent.signer,
  });
  return { signer: { cert: c.cert, privateKey: c.privateKey }, pem: c.certPem, key: c.key };
}

/**
 * A leaf certificate as an Svid, with SVID defaults (one URI SAN = id, 1 h,
 * P-256, digitalSignature, serverAuth+clientAuth, CA:false) that each test
 * overrides to make the defect it wants.
 */
export async function makeSvid(
  id: string,
  issuer: SigningIdentity,
  o: Partial<Omit<CertTemplate, 'issuer'>> & { chainPem?: string[] } = {},
): Promise<Svid> {
  const now = Date.now();
  const c = await issueCertificate({
    subject: 'O=test',
    uris: [id],
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + HOUR),
    isCa: false,
    ...o,
    issuer,
  });
  return {
    id,
    certPem: c.certPem,
    chainPem: o.chainPem ?? [],
    key: c.key,
    serial: c.serial,
    notBefore: c.cert.notBefore,
    notAfter: c.cert.notAfter,
  };
}

export function trustFor(...cas: TestCa[]): TrustStore {
  const t = new TrustStore(cas[0]?.trustDomain ?? 'cluster.local');
  for (const ca of cas) t.setBundle(ca.trustDomain, ca.rootPem);
  return t;
}

/** A logger whose lines are kept (parsed) for assertions. */
export function captureLogger(): { logger: Logger; lines: string[]; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
    lines,
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export interface TestNode {
  name: string;
  server: AuthServer;
  port: number;
  authMap: AuthMap;
  metrics: AuthMetrics;
  registry: client.Registry;
  /** Resolves with the next responder decision. */
  nextOutcome(): Promise<ResponderOutcome>;
  close(): Promise<void>;
}

export async function startNode(o: {
  name: string;
  provider: CertificateProvider;
  trust: TrustStore;
  logger?: Logger;
  authMap?: AuthMap;
  authorizePeer?: (p: { localIdentity: string; remoteIdentity: string; remoteNode: string; remoteAddress: string }) => string | undefined;
  authorizeConnection?: AuthServerOptions['authorizeConnection'];
}): Promise<TestNode> {
  const registry = new client.Registry();
  const metrics = new AuthMetrics(registry);
  const authMap = o.authMap ?? new InMemoryAuthMap();
  const server = new AuthServer({
    nodeName: o.name,
    provider: o.provider,
    trust: o.trust,
    authMap,
    logger: o.logger ?? createLogger({ write: () => {} }),
    metrics,
    authorizePeer: o.authorizePeer,
    authorizeConnection: o.authorizeConnection,
  });
  const waiting: ((r: ResponderOutcome) => void)[] = [];
  const queued: ResponderOutcome[] = [];
  server.onOutcome = (r) => {
    const w = waiting.shift();
    if (w) w(r);
    else queued.push(r);
  };
  const addr = await server.listen(0, '127.0.0.1');
  return {
    name: o.name,
    server,
    port: addr.port,
    authMap,
    metrics,
    registry,
    nextOutcome: () => {
      const q = queued.shift();
      return q ? Promise.resolve(q) : new Promise((r) => waiting.push(r));
    },
    close: () => server.close(),
  };
}

/** The value of a counter/gauge sample with exactly these labels (0 if absent). */
export async function metricValue(registry: client.Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const data = await m.get();
  const hit = data.values.find((v) => {
    const vl = v.labels as Record<string, string | number>;
    return Object.entries(labels).every(([k, val]) => String(vl[k]) === val) && (!('metricName' in v) || v.metricName === name || v.metricName === `${name}_count`);
  });
  return hit?.value ?? 0;
}

export function serialOf(pem: string): string {
  return new X509Certificate(pem).serialNumber.toLowerCase();
}

/** A clock whose time moves only when the test says so; timers fire in order of due time. */
export class ManualClock {
  #now: number;
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #next = 1;
  constructor(start = Date.now()) {
    this.#now = start;
  }
  now = (): number => this.#now;
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.#next++;
    this.#timers.push({ at: this.#now + ms, fn, id });
    return id;
  };
  clearTimeout = (h: unknown): void => {
    this.#timers = this.#timers.filter((t) => t.id !== h);
  };
  /** Moves time forward, firing due timers (each at its own due time). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at);
      const t = this.#timers[0];
      if (!t || t.at > end) break;
      this.#timers.shift();
      this.#now = t.at;
      t.fn();
    }
    this.#now = end;
  }
  get pending(): number {
    return this.#timers.length;
  }
}

/** A Node object (configuration YAML) whose auth service listens on address:port. */
export function nodeDoc(name: string, address: string, port: number): string {
  return `apiVersion: nodemesh.io/v1alpha1
kind: Node
metadata:
  name: ${name}
  annotations: { nodemesh.io/auth-port: "${port}" }
spec: { tunnelEndpoint: ${address}, podCIDRs: [10.9.0.0/24] }
`;
}

/** Polls `cond` every 25 ms; fails the test naming `what` after `ms`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

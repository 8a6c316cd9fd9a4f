// The auth manager: the one entry point for "may this flow open?". It answers
// from the auth map when a valid entry exists, otherwise runs the handshake —
// one per key however many flows ask at once (single-flight) — and keeps the
// map in step with identities: removal deletes entries, rotation
// re-authenticates them, a revoked or de-federated peer loses its entries.
//
// Concurrency contract: authenticate() may be called any number of times
// concurrently; callers with the same key share one promise. A forced
// re-authentication (rotation) waits for a handshake in flight for its key
// and then starts a new one, which later callers join.
//
// A refused pair backs off: its next flows are refused from memory, without a
// handshake, until the back-off ends (1 s, doubling per refusal up to a
// maximum, 30 s by default). Without it a workload that reconnects in a loop
// to a peer it may not reach makes both nodes pay a handshake per attempt.
// Any change that could turn the answer (a success, the identities this node
// holds, the trust bundles, the configuration) ends every back-off.
//
// The per-connection mode (authenticateConnection) shares none of that but
// the back-off: each connection runs its own handshake naming its 4-tuple,
// nothing is cached or joined, and rotation or revocation has nothing to redo
// (a connection entry serves one connection; gc drops it when it expires).
import type { Logger } from '../../xds-server/src/log.js';
import { authKeyString, connectionTupleString, type AuthEntry, type AuthKey, type AuthMap, type ConnectionTuple } from './authmap/types.js';
import type { CertificateProvider, ProviderEvent } from './certs/provider.js';
import type { TrustEvent, TrustStore } from './certs/trust.js';
import { initiateHandshake, type NodeAddress } from './handshake/client.js';
import type { AuthMetrics } from './metrics.js';
import type { AuthFailureReason } from './reasons.js';
import { parseSpiffeId } from './spiffe/id.js';

/** A flow to authenticate, seen from this node. */
export interface FlowKey {
  localIdentity: string;
  remoteIdentity: string;
  remoteNode: string;
}

export type AuthDecision =
  | { allowed: true; entry: AuthEntry; source: 'cache' | 'handshake' }
  /** retryAt: refused from the back-off (no handshake), which ends then (ms). */
  | { allowed: false; reason: AuthFailureReason; by: 'local' | 'peer'; detail: string; retryAt?: number };

type Refusal = Extract<AuthDecision, { allowed: false }>;

export interface AuthManagerOptions {
  nodeName: string;
  provider: CertificateProvider;
  trust: TrustStore;
  authMap: AuthMap;
  logger: Logger;
  metrics?: AuthMetrics;
  /** Where a node's auth service listens. */
  resolveNode: (node: string) => NodeAddress | undefined;
  now?: () => number;
  handshakeTimeoutMs?: number;
  /** How often expired entries are removed; default 60 s, 0 disables. */
  gcIntervalMs?: number;
  /** Back-off of a refused pair: first initialMs (default 1 s, at most the maximum), doubling up to maxMs (default 30 s); maxMs 0 disables. */
  refusalBackoffInitialMs?: number;
  refusalBackoffMaxMs?: number;
}

/** Re-authentication failures that say nothing about the peer's identity: keep the old, still valid entry. */
export const TRANSIENT_FAILURES: ReadonlySet<AuthFailureReason> = new Set(['connect_failed', 'timeout', 'unknown_node', 'tls_error']);
const TRANSIENT = TRANSIENT_FAILURES;

export class AuthManager {
  readonly #o: AuthManagerOptions;
  readonly #inflight = new Map<string, { promise: Promise<AuthDecision> }>();
  readonly #background = new Set<Promise<unknown>>();
  readonly #failures = new Map<AuthFailureReason, number>();
  readonly #backoff = new Map<string, { refusal: Refusal; until: number; delayMs: number }>();
  #unsubscribe: (() => void)[] = [];
  #gc: NodeJS.Timeout | undefined;

  constructor(o: AuthManagerOptions) {
    this.#o = o;
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now();
  }

  start(): void {
    this.#unsubscribe.push(
      this.#o.provider.subscribe((e) => {
        this.resetBackoff();
        this.#track(this.#onProvider(e));
      }),
    );
    this.#unsubscribe.push(
      this.#o.trust.subscribe((e) => {
        this.resetBackoff();
        this.#track(this.#onTrust(e));
      }),
    );
    const every = this.#o.gcIntervalMs ?? 60_000;
    if (every > 0) {
      this.#gc = setInterval(() => this.#track(this.gc()), every);
      this.#gc.unref();
    }
  }

  async stop(): Promise<void> {
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    if (this.#gc) clearInterval(this.#gc);
    await this.idle();
  }

  /** Resolves when the reactions to events so far (removals, re-authentications) are done. */
  async idle(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  authenticate(flow: FlowKey, opts: { force?: boolean } = {}): Promise<AuthDecision> {
    const key: AuthKey = { ...flow, authType: 'spiffe-mtls' };
    const k = authKeyString(key);
    const cur = this.#inflight.get(k);
    if (cur && !opts.force) {
      this.#o.metrics?.requests.inc({ outcome: 'joined' });
      return cur.promise;
    }
    const run = (force: boolean) => () => this.#run(key, force).catch((err: unknown): AuthDecision => {
      // Only the auth map can throw here (the handshake reports failures as results).
      this.#failures.set('auth_map_error', (this.#failures.get('auth_map_error') ?? 0) + 1);
      return { allowed: false, reason: 'auth_map_error', by: 'local', detail: err instanceof Error ? err.message : String(err) };
    });
    const promise = cur ? cur.promise.then(run(true), run(true)) : run(!!opts.force)();
    const rec = { promise };
    this.#inflight.set(k, rec);
    this.#o.metrics?.pending.set(this.#inflight.size);
    void promise.finally(() => {
      if (this.#inflight.get(k) === rec) this.#inflight.delete(k);
      this.#o.metrics?.pending.set(this.#inflight.size);
    });
    return promise;
  }

  /**
   * Authenticates one connection, bound to `tuple` (the local workload's
   * address and source port, the destination's address and port): a fresh
   * handshake every time, never the cache nor another caller's handshake.
   * When allowed, the responder's entry for exactly this tuple exists; the
   * caller must then connect from exactly tuple.sourcePort. A pair refused
   * earlier backs off here too (a renewal of an open connection does not
   * wait for it).
   */
  async authenticateConnection(flow: FlowKey, tuple: ConnectionTuple, opts: { renewal?: boolean } = {}): Promise<AuthDecision> {
    const key: AuthKey = { ...flow, authType: 'spiffe-mtls' };
    const k = authKeyString(key);
    const backingOff = opts.renewal ? undefined : this.#backingOff(key);
    if (backingOff) return backingOff;
    const d = await this.#handshake(key, { scope: 'connection', connection: connectionTupleString(tuple), renewal: opts.renewal || undefined }, { connection: tuple, renewal: opts.renewal });
    if (d.allowed) this.#backoff.delete(k);
    else if (!opts.renewal) this.#refused(k, d);
    return d;
  }

  /** The refusal to answer from memory while `key` backs off, else undefined. */
  #backingOff(key: AuthKey): Refusal | undefined {
    const b = this.#backoff.get(authKeyString(key));
    if (!b || b.until <= this.#now()) return undefined;
    this.#o.metrics?.requests.inc({ outcome: 'backoff' });
    this.#o.logger.debug('flow auth', { role: 'initiator', decision: 'refused', source: 'backoff', ...flowFields(key), reason: b.refusal.reason, retryAt: new Date(b.until).toISOString() });
    return { ...b.refusal, detail: `${b.refusal.detail} (refused earlier; no new handshake before ${new Date(b.until).toISOString()})`, retryAt: b.until };
  }

  /** One handshake for `key`, logged (with `fields`) and counted: the decision it gives. */
  async #handshake(key: AuthKey, fields: Record<string, unknown>, extra: { connection?: ConnectionTuple; renewal?: boolean } = {}): Promise<AuthDecision> {
    const o = this.#o;
    o.metrics?.requests.inc({ outcome: 'started' });
    const address = o.resolveNode(key.remoteNode);
    const r = address
      ? await initiateHandshake({
          ...key,
          address,
          nodeName: o.nodeName,
          provider: o.provider,
          trust: o.trust,
          authMap: o.authMap,
          metrics: o.metrics,
          now: o.now,
          timeoutMs: o.handshakeTimeoutMs,
          ...extra,
        })
      : ({ ok: false, reason: 'unknown_node', by: 'local', detail: `no auth service address for node ${key.remoteNode}`, durationMs: 0 } as const);
    if (r.ok) {
      o.logger.info('flow auth', {
        role: 'initiator',
        decision: 'authenticated',
        source: 'handshake',
        ...flowFields(key),
        ...fields,
        expiresAt: new Date(r.entry.expiresAt).toISOString(),
        localSerial: r.entry.localSerial,
        remoteSerial: r.entry.remoteSerial,
        durationMs: round(r.durationMs),
      });
      return { allowed: true, entry: r.entry, source: 'handshake' };
    }
    this.#failures.set(r.reason, (this.#failures.get(r.reason) ?? 0) + 1);
    o.logger.warn('flow auth', { role: 'initiator', decision: 'refused', ...flowFields(key), ...fields, reason: r.reason, by: r.by, detail: r.detail, durationMs: round(r.durationMs) });
    return { allowed: false, reason: r.reason, by: r.by, detail: r.detail };
  }

  /** Ends every back-off: the configuration changed, so a refused pair may be allowed now. */
  resetBackoff(): void {
    this.#backoff.clear();
  }

  /** Pairs refused from memory at the moment, and until when. */
  backoffs(): { key: string; reason: AuthFailureReason; until: number }[] {
    const now = this.#now();
    return [...this.#backoff].filter(([, b]) => b.until > now).map(([key, b]) => ({ key, reason: b.refusal.reason, until: b.until }));
  }

  #refused(k: string, r: Refusal): void {
    const max = this.#o.refusalBackoffMaxMs ?? 30_000;
    if (max <= 0) return;
    const prev = this.#backoff.get(k);
    const delayMs = prev ? Math.min(prev.delayMs * 2, max) : Math.min(this.#o.refusalBackoffInitialMs ?? 1000, max);
    this.#backoff.set(k, { refusal: r, until: this.#now() + delayMs, delayMs });
  }

  async #run(key: AuthKey, force: boolean): Promise<AuthDecision> {
    const o = this.#o;
    const k = authKeyString(key);
    if (!force) {
      const entry = await o.authMap.get(key, this.#now());
      if (entry) {
        o.metrics?.requests.inc({ outcome: 'cached' });
        o.logger.debug('flow auth', { role: 'initiator', decision: 'authenticated', source: 'cache', ...flowFields(key), expiresAt: new Date(entry.expiresAt).toISOString() });
        return { allowed: true, entry, source: 'cache' };
      }
      const backingOff = this.#backingOff(key);
      if (backingOff) return backingOff;
    }
    const d = await this.#handshake(key, { forced: force || undefined });
    if (d.allowed) this.#backoff.delete(k);
    // A forced re-authentication that fails may leave a valid entry in place (transient reasons): not a refusal of new flows.
    else if (!force) this.#refused(k, d);
    return d;
  }

  /** Re-authenticates every entry whose local identity is `id` (after its SVID rotated). */
  async reauthenticate(id: string): Promise<void> {
    const entries = (await this.#o.authMap.list()).filter((e) => e.localIdentity === id);
    await Promise.all(
      entries.map(async (e) => {
        const flow = { localIdentity: e.localIdentity, remoteIdentity: e.remoteIdentity, remoteNode: e.remoteNode };
        const d = await this.authenticate(flow, { force: true });
        if (!d.allowed && !TRANSIENT.has(d.reason)) await this.#remove((x) => authKeyString(x) === authKeyString(e), 'reauth_failed', { identity: id, reason: d.reason });
      }),
    );
  }

  async gc(): Promise<number> {
    this.#o.trust.pruneRevoked(new Date(this.#now()));
    return this.#o.authMap.gc(this.#now());
  }

  async status(): Promise<{ entries: AuthEntry[]; pending: string[]; failures: Partial<Record<AuthFailureReason, number>> }> {
    const entries = (await this.#o.authMap.list()).filter((e) => e.expiresAt > this.#now());
    this.#o.metrics?.entries.set(entries.length);
    return { entries, pending: [...this.#inflight.keys()], failures: Object.fromEntries(this.#failures) };
  }

  async #onProvider(e: ProviderEvent): Promise<void> {
    if (e.type === 'removed') await this.#remove((x) => x.localIdentity === e.id, 'identity_removed', { identity: e.id });
    else if (e.type === 'rotated') await this.reauthenticate(e.id);
  }

  async #onTrust(e: TrustEvent): Promise<void> {
    if (e.type === 'revoked') await this.#remove((x) => x.remoteIdentity === e.id, 'revoked', { identity: e.id, serial: e.serial });
    else if (e.type === 'bundle-removed') {
      await this.#remove((x) => {
        const p = parseSpiffeId(x.remoteIdentity);
        return p.ok && p.value.trustDomain === e.trustDomain;
      }, 'bundle_removed', { trustDomain: e.trustDomain });
    }
  }

  async #remove(pred: (e: AuthEntry) => boolean, cause: string, fields: Record<string, unknown>): Promise<void> {
    const n = await this.#o.authMap.deleteWhere(pred);
    if (n > 0) {
      this.#o.metrics?.entriesRemoved.inc({ cause }, n);
      this.#o.logger.info('auth entries removed', { cause, count: n, ...fields });
    }
  }

  #track(p: Promise<unknown>): void {
    const t = p.catch((err: unknown) => this.#o.logger.error('auth manager task failed', { error: err instanceof Error ? err.message : String(err) }));
    this.#background.add(t);
    void t.finally(() => this.#background.delete(t));
  }
}

function flowFields(k: AuthKey): Record<string, string> {
  return { localIdentity: k.localIdentity, remoteIdentity: k.remoteIdentity, remoteNode: k.remoteNode, authType: k.authType };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

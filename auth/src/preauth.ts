// Pre-authentication (opt-in, `--preauthenticate`): the policy already names
// which identity pairs must authenticate before their flows open, so the
// agent can run those handshakes when the configuration arrives instead of
// when the first connection does. A pair authenticated in advance has its
// entry in the map before its first connect(), which then goes straight, as a
// later connection does: the first flow pays no handshake. Envoy's
// preconnect (warming upstream connections before requests need them) is
// the same trade: work done early, possibly for pairs that never talk.
//
// The pairs are (local identity, destination identity, destination node) of
// every required pair-scope entry whose sources name a local identity (or
// any source). Per-connection entries are left out: each connection must
// authenticate itself. The set is capped (--preauthenticate-max): beyond it,
// pairs authenticate on their first connection, as without the option.
//
// A pass authenticates every pair through the manager, a few at a time:
// pairs with a valid entry are answered from the map, refused ones back off
// like any flow. Passes run on every configuration change and every interval,
// which also brings back entries that expired or were deleted. The pairs a
// pass could not authenticate (a peer's agent not up yet, most often) are
// tried again every second; the manager's back-off decides when that costs a
// handshake.
import type { AuthRequirementIR } from '../../xds-server/src/model/auth-policies.js';
import type { Logger } from '../../xds-server/src/log.js';
import type { AuthDecision, FlowKey } from './manager.js';

/** The pairs to authenticate in advance, sorted, at most `max`; `dropped` counts the rest. */
export function preauthPairs(requirements: readonly AuthRequirementIR[], localIdentities: ReadonlySet<string>, max: number): { pairs: FlowKey[]; dropped: number } {
  const byKey = new Map<string, FlowKey>();
  for (const r of requirements) {
    if (r.mode !== 'required' || r.scope === 'connection') continue;
    const sources = r.sources.any ? [...localIdentities] : r.sources.identities.filter((id) => localIdentities.has(id));
    for (const localIdentity of sources) {
      const pair = { localIdentity, remoteIdentity: r.destination.identity, remoteNode: r.destination.node };
      byKey.set(`${pair.localIdentity}\n${pair.remoteIdentity}\n${pair.remoteNode}`, pair);
    }
  }
  const all = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
  return { pairs: all.slice(0, Math.max(0, max)), dropped: Math.max(0, all.length - max) };
}

export interface PreauthStatus {
  /** Pairs in the current set. */
  pairs: number;
  /** Pairs left out by the cap. */
  dropped: number;
  /** Outcome of each pair in the last finished pass. */
  authenticated: number;
  refused: number;
  lastPassAt?: string;
}

export interface PreauthenticatorOptions {
  authenticate: (flow: FlowKey) => Promise<AuthDecision>;
  logger: Logger;
  /** Handshakes in flight at once (default 4): a new configuration must not flood the peers. */
  concurrency?: number;
  /** How often the whole set is passed again (default 30 s). */
  intervalMs?: number;
  /** How often the pairs the last pass could not authenticate are tried again (default 1 s). */
  retryMs?: number;
}

export class Preauthenticator {
  readonly #o: PreauthenticatorOptions;
  #pairs: FlowKey[] = [];
  #dropped = 0;
  #status: Omit<PreauthStatus, 'pairs' | 'dropped'> = { authenticated: 0, refused: 0 };
  #timer: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #refused: FlowKey[] = [];
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(o: PreauthenticatorOptions) {
    this.#o = o;
  }

  start(): void {
    this.#timer = setInterval(() => void this.pass(), this.#o.intervalMs ?? 30_000);
    this.#timer.unref();
  }

  /** A new set (after a configuration change): passed at once. */
  update(p: { pairs: FlowKey[]; dropped: number }): Promise<void> {
    if (p.dropped > 0 && p.dropped !== this.#dropped) this.#o.logger.warn('preauthentication capped: the other pairs authenticate on their first connection', { pairs: p.pairs.length, dropped: p.dropped });
    this.#pairs = p.pairs;
    this.#dropped = p.dropped;
    return this.pass();
  }

  /** Authenticates every pair of the set; a pass asked for while one runs follows it once. */
  pass(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    clearTimeout(this.#retry);
    return this.#start(this.#pairs, true);
  }

  #start(pairs: FlowKey[], full: boolean): Promise<void> {
    this.#running = this.#pass(pairs, full).finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        void this.pass();
      }
    });
    return this.#running;
  }

  /** full: the whole set (its outcome is the status); otherwise the pairs the last pass could not authenticate. */
  async #pass(pairs: FlowKey[], full: boolean): Promise<void> {
    let next = 0;
    let handshakes = 0;
    const refused: FlowKey[] = [];
    const worker = async () => {
      while (next < pairs.length && !this.#stopped) {
        const pair = pairs[next++]!;
        const d = await this.#o.authenticate(pair);
        if (!d.allowed) refused.push(pair);
        else if (d.source === 'handshake') handshakes++;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency ?? 4, pairs.length) }, worker));
    if (full) this.#status = { authenticated: pairs.length - refused.length, refused: refused.length, lastPassAt: new Date().toISOString() };
    else this.#status = { ...this.#status, authenticated: this.#status.authenticated + pairs.length - refused.length, refused: refused.length };
    this.#refused = refused;
    if (handshakes > 0 || (full && refused.length > 0)) {
      this.#o.logger.info('preauthentication pass', { pairs: pairs.length, full, handshakes, refused: refused.length, ms: Math.round(performance.now() - started) });
    }
    if (refused.length > 0 && !this.#stopped) {
      this.#retry = setTimeout(() => this.#retryRefused(), this.#o.retryMs ?? 1000);
      this.#retry.unref();
    }
  }

  #retryRefused(): void {
    // A running pass sets its own retry.
    if (!this.#running && !this.#stopped) void this.#start(this.#refused, false);
  }

  status(): PreauthStatus {
    return { pairs: this.#pairs.length, dropped: this.#dropped, ...this.#status };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#retry);
    await this.#running;
  }
}

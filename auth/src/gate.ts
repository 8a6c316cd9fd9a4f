// The auth gate: where the initiating node's datapath (nm_auth_connect4,
// bpf/sockmap/src/auth_connect4.bpf.c) steers an auth-required connection
// that has no valid auth entry yet. A connect hook cannot wait; a socket can.
// The gate accepts the workload's connection and holds it — not one byte is
// read, so none can reach the peer — while the auth manager authenticates
// the two identities out of band. Allowed: it connects to the original
// destination from the workload's own address (so the receiver's
// nm_auth_ingress sees the workload's identity, and finds the entry its auth
// service wrote during the handshake) and splices the two. Refused: it
// resets the workload's connection (RST) and logs why. Either way, the first
// connection pays the handshake, never a SYN retransmit; later ones find the
// entry in the connect hook and never come here.
//
// Per-connection mode (the destination's policy says scope: connection;
// nm_auth_connect4 steers every such connection here): the receiver accepts
// a connection only with an entry for its exact 4-tuple, so the gate picks
// the upstream source port first (random, in connectionPorts), authenticates
// the connection with that tuple — a handshake of its own, never a cached
// one — and then connects from exactly that port. A port that turns out to be
// taken (EADDRINUSE) costs another port and another handshake. An entry
// lasts until the earlier certificate expiry, so while the connection is open
// the gate renews it before then (a handshake naming the same tuple, marked
// as a renewal so the receiver keeps the entry bound to this connection); a
// renewal the peer refuses for cause (revoked, no longer authorized) resets
// the connection, and so does reaching the expiry without one.
//
// One flow log line per connection answers "was this flow authenticated, by
// whom, when": the two SPIFFE IDs, the certificates' serials, when the
// entry was made and by which side, or the reason it was refused.
import { once } from 'node:events';
import net, { type AddressInfo, type Socket } from 'node:net';
import client from 'prom-client';
import type { Logger } from '../../xds-server/src/log.js';
import type { AuthScope } from '../../xds-server/src/model/auth-policies.js';
import type { ConnectionTuple } from './authmap/types.js';
import { connectionTupleString } from './authmap/types.js';
import { TRANSIENT_FAILURES, type AuthDecision, type FlowKey } from './manager.js';
import type { AuthFailureReason } from './reasons.js';

/** Why the gate refused a connection: an authentication failure, or one of its own. */
export type GateRefusal =
  | AuthFailureReason
  /** getsockopt(SO_ORIGINAL_DST) had no answer: not a steered connection. */
  | 'no_original_destination'
  /** The connection's source address is no workload of this node (an unbound socket, or an address not in the mesh model). */
  | 'local_identity_unknown'
  /** The original destination is no workload of the mesh model. */
  | 'remote_identity_unknown'
  /** Authenticated, but the destination refused or did not answer the connection. */
  | 'upstream_failed';

export interface Placed {
  identity: string;
  node: string;
}

export interface AuthGateOptions {
  nodeName: string;
  /** Where a mesh address lives: its workload identity and node. */
  lookup: (address: string) => Placed | undefined;
  authenticate: (flow: FlowKey) => Promise<AuthDecision>;
  /** The steered connection's original destination (getsockopt(SO_ORIGINAL_DST), answered by the BPF getsockopt hook). */
  originalDst: (socket: Socket) => { address: string; port: number } | undefined;
  logger: Logger;
  registry?: client.Registry;
  connectTimeoutMs?: number;
  /** The scope the destination requires for this flow; absent (or without authenticateConnection): pair for every flow. */
  scopeOf?: (flow: FlowKey & { sourceAddress: string; destinationAddress: string; port: number }) => AuthScope;
  /** Per-connection authentication of one 4-tuple (AuthManager.authenticateConnection). */
  authenticateConnection?: (flow: FlowKey, tuple: ConnectionTuple, opts?: { renewal?: boolean }) => Promise<AuthDecision>;
  /** How long before its entry expires an open per-connection connection is re-authenticated; default a quarter of the entry's lifetime, at most 5 min. */
  renewMarginMs?: number;
  /** Source ports per-connection upstreams are picked from; default 20000-59999. */
  connectionPorts?: { min: number; max: number };
  /** Attempts at a free source port (each with its own handshake); default 5. */
  connectionPortAttempts?: number;
}

export interface GateStats {
  held: number;
  forwarded: number;
  refused: Partial<Record<GateRefusal, number>>;
}

const plain = (a: string | undefined) => (a ?? '').replace(/^::ffff:/, '');

export class AuthGateServer {
  readonly #o: AuthGateOptions;
  readonly #server: net.Server;
  readonly #sockets = new Set<Socket>();
  readonly #stats: GateStats = { held: 0, forwarded: 0, refused: {} };
  readonly #connections: client.Counter<'verdict' | 'reason'>;
  readonly #holdSeconds: client.Histogram<'verdict'>;
  readonly #holding: client.Gauge;

  constructor(o: AuthGateOptions) {
    this.#o = o;
    const registers = o.registry ? [o.registry] : [];
    this.#connections = new client.Counter({
      name: 'nodemesh_auth_gate_connections_total',
      help: 'Connections the auth gate held, by verdict (forwarded/refused/abandoned) and refusal reason ("" when forwarded)',
      labelNames: ['verdict', 'reason'] as const,
      registers,
    });
    this.#holdSeconds = new client.Histogram({
      name: 'nodemesh_auth_gate_hold_seconds',
      help: 'How long the gate held a connection before forwarding or refusing it (the first connection\'s added latency)',
      labelNames: ['verdict'] as const,
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
    this.#holding = new client.Gauge({ name: 'nodemesh_auth_gate_holding', help: 'Connections held right now, waiting for authentication', registers });
    // allowHalfOpen on both legs: a client that sends its request and shuts
    // down its side (as `nc -N`, HTTP/1.0 clients do) still gets the answer.
    this.#server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (s) => void this.#hold(s));
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    this.#server.listen({ port, host, backlog: 4096 });
    await once(this.#server, 'listening');
    return this.#server.address() as AddressInfo;
  }

  get stats(): GateStats {
    return { ...this.#stats, refused: { ...this.#stats.refused } };
  }

  /** Stops accepting; connections already forwarded are reset (the gate carried them). */
  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.#server.close(() => r()));
    for (const s of this.#sockets) s.destroy();
    await closed;
  }

  #pickPort(): number {
    const { min, max } = this.#o.connectionPorts ?? { min: 20000, max: 59999 };
    return min + Math.floor(Math.random() * (max - min + 1));
  }

  /** The upstream connection from the workload's address (and `localPort`, when given), or why it failed. */
  async #connect(dst: { address: string; port: number }, src: string, localPort: number | undefined): Promise<Socket | Error> {
    const up = net.connect({ host: dst.address, port: dst.port, localAddress: src, allowHalfOpen: true, ...(localPort !== undefined ? { localPort } : {}) });
    up.setNoDelay(true);
    const timer = setTimeout(() => up.destroy(new Error(`no answer in ${this.#o.connectTimeoutMs ?? 5000} ms`)), this.#o.connectTimeoutMs ?? 5000);
    this.#sockets.add(up);
    up.once('close', () => this.#sockets.delete(up));
    const failed = await new Promise<Error | undefined>((resolve) => {
      up.once('connect', () => resolve(undefined));
      up.once('error', resolve);
    });
    clearTimeout(timer);
    if (!failed) return up;
    up.destroy();
    return failed;
  }

  async #hold(s: Socket): Promise<void> {
    const t0 = process.hrtime.bigint();
    this.#sockets.add(s);
    s.once('close', () => this.#sockets.delete(s));
    s.on('error', () => {});
    this.#stats.held++;
    this.#holding.inc();
    const src = plain(s.remoteAddress);
    const heldMs = () => Number(process.hrtime.bigint() - t0) / 1e6;
    const base: Record<string, unknown> = { src: `${src}:${s.remotePort}` };
    const refuse = (reason: GateRefusal, detail: string, extra: Record<string, unknown> = {}) => {
      this.#holding.dec();
      this.#stats.refused[reason] = (this.#stats.refused[reason] ?? 0) + 1;
      this.#connections.inc({ verdict: 'refused', reason });
      this.#holdSeconds.observe({ verdict: 'refused' }, heldMs() / 1000);
      this.#o.logger.warn('auth flow', { ...base, ...extra, verdict: 'refused', reason, detail, heldMs: round(heldMs()) });
      s.resetAndDestroy();
    };

    const dst = this.#o.originalDst(s);
    if (!dst) return refuse('no_original_destination', 'getsockopt(SO_ORIGINAL_DST) has no answer: the connection was not steered here by nm_auth_connect4');
    base.dst = `${dst.address}:${dst.port}`;
    const local = this.#o.lookup(src);
    if (!local || local.node !== this.#o.nodeName)
      return refuse('local_identity_unknown', local ? `${src} is a workload of node ${local.node}, not of ${this.#o.nodeName}` : `${src} is no workload address of this node (bind the socket to the workload's address)`);
    const remote = this.#o.lookup(dst.address);
    if (!remote) return refuse('remote_identity_unknown', `${dst.address} is no workload address in the mesh model`, { localIdentity: local.identity });
    const flow: FlowKey = { localIdentity: local.identity, remoteIdentity: remote.identity, remoteNode: remote.node };
    Object.assign(base, flow);
    const perConnection = this.#o.authenticateConnection !== undefined && this.#o.scopeOf?.({ ...flow, sourceAddress: src, destinationAddress: dst.address, port: dst.port }) === 'connection';
    base.scope = perConnection ? 'connection' : 'pair';

    const attempts = perConnection ? Math.max(1, this.#o.connectionPortAttempts ?? 5) : 1;
    let up: Socket | undefined;
    let auth: Record<string, unknown> = {};
    let lastTuple: ConnectionTuple | undefined;
    let lastEntry: { expiresAt: number; authenticatedAt: number } | undefined;
    for (let attempt = 1; !up; attempt++) {
      const localPort = perConnection ? this.#pickPort() : undefined;
      const tuple: ConnectionTuple | undefined = localPort === undefined ? undefined : { sourceAddress: src, sourcePort: localPort, destinationAddress: dst.address, destinationPort: dst.port };
      let decision: AuthDecision;
      try {
        decision = tuple ? await this.#o.authenticateConnection!(flow, tuple) : await this.#o.authenticate(flow);
      } catch (err) {
        return refuse('protocol_error', err instanceof Error ? err.message : String(err));
      }
      if (!decision.allowed) {
        const backoff = decision.retryAt !== undefined ? { source: 'backoff', retryAt: new Date(decision.retryAt).toISOString() } : {};
        return refuse(decision.reason, decision.detail, { by: decision.by, ...backoff, ...(tuple ? { connection: connectionTupleString(tuple) } : {}) });
      }
      if (s.destroyed) {
        // The workload gave up while the pair authenticated: still one line for the connection.
        this.#holding.dec();
        this.#connections.inc({ verdict: 'abandoned', reason: '' });
        this.#o.logger.info('auth flow', { ...base, verdict: 'abandoned', detail: 'the workload closed the connection while it was held', heldMs: round(heldMs()) });
        return;
      }
      const e = decision.entry;
      lastTuple = tuple;
      lastEntry = e;
      auth = {
        source: decision.source,
        authenticatedAt: new Date(e.authenticatedAt).toISOString(),
        authenticatedBy: e.role,
        localSerial: e.localSerial,
        remoteSerial: e.remoteSerial,
        expiresAt: new Date(e.expiresAt).toISOString(),
        ...(tuple ? { connection: connectionTupleString(tuple) } : {}),
      };
      const r = await this.#connect(dst, src, localPort);
      if (r instanceof Error) {
        // Someone else holds the port: its entry is useless, try another port (and another handshake).
        const code = (r as Error & { code?: string }).code;
        if (tuple && attempt < attempts && (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL')) continue;
        return refuse('upstream_failed', r.message, auth);
      }
      up = r;
    }
    this.#holding.dec();
    this.#stats.forwarded++;
    this.#connections.inc({ verdict: 'forwarded', reason: '' });
    this.#holdSeconds.observe({ verdict: 'forwarded' }, heldMs() / 1000);
    this.#o.logger.info('auth flow', { ...base, ...auth, verdict: 'forwarded', heldMs: round(heldMs()) });
    splice(s, up);
    if (perConnection && lastTuple && lastEntry) this.#keepAuthenticated(s, up, flow, lastTuple, lastEntry, base);
  }

  /** Renews an open per-connection connection's entry before it expires; resets the connection when that fails for cause or too late. */
  #keepAuthenticated(s: Socket, up: Socket, flow: FlowKey, tuple: ConnectionTuple, first: { expiresAt: number; authenticatedAt: number }, base: Record<string, unknown>): void {
    let expiresAt = first.expiresAt;
    let timer: NodeJS.Timeout | undefined;
    const stop = () => clearTimeout(timer);
    s.once('close', stop);
    up.once('close', stop);
    const open = () => !s.destroyed && !up.destroyed;
    const reset = (reason: string, detail: string) => {
      this.#o.logger.warn('auth flow', { ...base, connection: connectionTupleString(tuple), verdict: 'reset', reason, detail });
      s.resetAndDestroy();
      up.resetAndDestroy();
    };
    const at = (ms: number) => {
      timer = setTimeout(() => void renew(), Math.max(0, ms));
      timer.unref();
    };
    const schedule = (e: { expiresAt: number; authenticatedAt: number }) => {
      const margin = this.#o.renewMarginMs ?? Math.min(300_000, Math.max(0, e.expiresAt - e.authenticatedAt) / 4);
      at(e.expiresAt - margin - Date.now());
    };
    const renew = async () => {
      if (!open()) return;
      let d: AuthDecision;
      try {
        d = await this.#o.authenticateConnection!(flow, tuple, { renewal: true });
      } catch (err) {
        d = { allowed: false, reason: 'protocol_error', by: 'local', detail: err instanceof Error ? err.message : String(err) };
      }
      if (!open()) return;
      if (d.allowed && d.entry.expiresAt > expiresAt) {
        expiresAt = d.entry.expiresAt;
        this.#o.logger.info('auth flow', { ...base, connection: connectionTupleString(tuple), verdict: 'renewed', expiresAt: new Date(expiresAt).toISOString() });
        return schedule(d.entry);
      }
      if (!d.allowed && !TRANSIENT_FAILURES.has(d.reason)) return reset(d.reason, d.detail);
      // Not renewed yet (a transient failure, or no certificate has rotated since): again, while there is time.
      const left = expiresAt - Date.now();
      if (left <= 0) return reset('expired', d.allowed ? 'the entry expired: no later certificate to renew it with' : `the entry expired: ${d.detail}`);
      at(Math.min(30_000, Math.max(10, left / 2)));
    };
    schedule(first);
  }
}

/** Both directions, half-close kept; a reset on one side resets the other. */
function splice(a: Socket, b: Socket): void {
  a.setNoDelay(true);
  a.pipe(b);
  b.pipe(a);
  const reset = (other: Socket) => () => {
    if (!other.destroyed) other.resetAndDestroy();
  };
  a.on('error', reset(b));
  b.on('error', reset(a));
  a.resume();
}

const round = (ms: number) => Math.round(ms * 100) / 100;

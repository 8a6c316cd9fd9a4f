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
// One flow log line per connection answers "was this flow authenticated, by
// whom, when": the two SPIFFE IDs, the certificates' serials, when the
// entry was made and by which side, or the reason it was refused.
import { once } from 'node:events';
import net, { type AddressInfo, type Socket } from 'node:net';
import client from 'prom-client';
import type { Logger } from '../../xds-server/src/log.js';
import type { AuthDecision, FlowKey } from './manager.js';
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
      help: 'Connections the auth gate held, by verdict (forwarded/refused) and refusal reason ("" when forwarded)',
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
    this.#server = net.createServer({ pauseOnConnect: true }, (s) => void this.#hold(s));
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

    let decision: AuthDecision;
    try {
      decision = await this.#o.authenticate(flow);
    } catch (err) {
      return refuse('protocol_error', err instanceof Error ? err.message : String(err));
    }
    if (!decision.allowed) return refuse(decision.reason, decision.detail, { by: decision.by });
    if (s.destroyed) {
      this.#holding.dec();
      return;
    }

    const e = decision.entry;
    const auth = { source: decision.source, authenticatedAt: new Date(e.authenticatedAt).toISOString(), authenticatedBy: e.role, localSerial: e.localSerial, remoteSerial: e.remoteSerial, expiresAt: new Date(e.expiresAt).toISOString() };
    const up = net.connect({ host: dst.address, port: dst.port, localAddress: src });
    up.setNoDelay(true);
    const timer = setTimeout(() => up.destroy(new Error(`no answer in ${this.#o.connectTimeoutMs ?? 5000} ms`)), this.#o.connectTimeoutMs ?? 5000);
    this.#sockets.add(up);
    up.once('close', () => this.#sockets.delete(up));
    const connected = await new Promise<Error | undefined>((resolve) => {
      up.once('connect', () => resolve(undefined));
      up.once('error', resolve);
    });
    clearTimeout(timer);
    if (connected) {
      up.destroy();
      return refuse('upstream_failed', connected.message, auth);
    }
    this.#holding.dec();
    this.#stats.forwarded++;
    this.#connections.inc({ verdict: 'forwarded', reason: '' });
    this.#holdSeconds.observe({ verdict: 'forwarded' }, heldMs() / 1000);
    this.#o.logger.info('auth flow', { ...base, ...auth, verdict: 'forwarded', heldMs: round(heldMs()) });
    splice(s, up);
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

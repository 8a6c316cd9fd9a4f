// What HTTP/1.1 and HTTP/2 pools share, after Envoy's ConnPoolImplBase: a
// request takes an idle stream slot at once, or waits as pending (bounded by
// max_pending_requests) for a connection; a new connection is opened when
// the pending requests exceed what connecting ones will carry and
// max_connections allows — or when the pool has no connection at all, which
// Envoy allows even past the breaker so a host is never starved. max_requests
// is checked as a stream is attached. A connect failure fails every pending
// request of the pool.
import type net from 'node:net';
import type { Logger } from '../../../../xds-server/src/log.js';
import { UpstreamError, type Headers, type UpstreamHttpRequest, type UpstreamHttpResponse } from '../types.js';
import type { CircuitBreakers } from './circuit-breakers.js';
import type { ClusterStats } from './cluster-stats.js';
import { DialError } from './connect.js';
import type { PoolHost } from './hosts.js';

export interface PoolContext {
  stats: ClusterStats;
  breakers: CircuitBreakers;
  log: Logger;
  /** A transport connection to the host (TLS included); rejects with DialError or UpstreamError. */
  dial(): Promise<net.Socket>;
  idleTimeoutMs(): number;
  maxRequestsPerConnection(): number;
  maxConcurrentStreams(): number;
  secure(): boolean;
}

/**
 * An upstream response plus its trailers (gRPC status lives there), which
 * types.ts has no field for: settles when the body ends or the stream
 * closes; undefined when there were none. Never rejects.
 */
export interface UpstreamResponse extends UpstreamHttpResponse {
  trailers: Promise<Headers | undefined>;
}

export interface HttpPool {
  request(req: UpstreamHttpRequest): Promise<UpstreamResponse>;
  /** No new connections once pending requests are served; idle ones close now, busy ones when done. */
  drain(): void;
  destroy(): void;
  readonly empty: boolean;
  /** Called once a draining pool has no connection and no pending request. */
  onEmpty?: () => void;
}

interface Pending<C> {
  resolve(c: C): void;
  reject(e: Error): void;
  signal: AbortSignal;
  onAbort(): void;
}

/** The error an aborted attempt rejects with: the signal's reason when it is an UpstreamError (the router's per-try timeout). */
export function abortError(signal: AbortSignal, host?: string): UpstreamError {
  const r: unknown = signal.reason;
  if (r instanceof UpstreamError) return r;
  if (r instanceof Error && r.name === 'TimeoutError') return new UpstreamError('timeout', 'upstream request timed out', host);
  return new UpstreamError('reset', 'upstream request aborted', host);
}

export abstract class PoolBase<C> implements HttpPool {
  protected readonly pending: Pending<C>[] = [];
  protected connecting = 0;
  protected draining = false;
  protected destroyed = false;
  onEmpty?: () => void;

  constructor(
    protected readonly ctx: PoolContext,
    protected readonly host: PoolHost,
    private readonly protocol: 'http1' | 'http2',
  ) {}

  async request(req: UpstreamHttpRequest): Promise<UpstreamResponse> {
    const conn = await this.acquire(req.signal);
    return this.send(conn, req);
  }

  destroy(): void {
    this.destroyed = true;
    this.rejectAllPending(new UpstreamError('reset', 'connection pool closed', this.host.key));
    this.destroyConnections();
    this.checkEmpty();
  }

  /** Sends one request on a connection `acquire` reserved for it. */
  protected abstract send(conn: C, req: UpstreamHttpRequest): Promise<UpstreamResponse>;
  /** Tears down every connection now (destroy()). */
  protected abstract destroyConnections(): void;
  protected abstract closeIdle(): void;
  /** A connection that can take one more stream now. */
  protected abstract ready(): C | undefined;
  protected abstract reserve(c: C): void;
  /** Streams the connections being opened will be able to take. */
  protected abstract connectingCapacity(): number;
  protected abstract established(): number;
  protected abstract startConnection(): void;

  get empty(): boolean {
    return this.established() + this.connecting === 0 && this.pending.length === 0;
  }

  drain(): void {
    this.draining = true;
    this.closeIdle();
    this.checkEmpty();
  }

  protected acquire(signal: AbortSignal): Promise<C> {
    if (signal.aborted) return Promise.reject(abortError(signal, this.host.key));
    if (this.destroyed) return Promise.reject(new UpstreamError('reset', 'connection pool closed', this.host.key));
    const ready = this.ready();
    if (ready) {
      const err = this.admit();
      if (err) return Promise.reject(err);
      this.reserve(ready);
      return Promise.resolve(ready);
    }
    const { breakers, stats } = this.ctx;
    if (!breakers.pending.canCreate()) {
      stats.rqPendingOverflow.inc();
      return Promise.reject(new UpstreamError('overflow', 'max_pending_requests circuit breaker open', this.host.key));
    }
    return new Promise<C>((resolve, reject) => {
      const p: Pending<C> = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.pending.indexOf(p);
          if (i < 0) return;
          this.pending.splice(i, 1);
          this.unpend(p);
          stats.rqCancelled.inc();
          reject(abortError(signal, this.host.key));
          this.checkEmpty();
        },
      };
      signal.addEventListener('abort', p.onAbort, { once: true });
      this.pending.push(p);
      breakers.pending.inc();
      stats.rqPendingTotal.inc();
      stats.rqPendingActive.add(1);
      if (this.pending.length > this.connectingCapacity()) this.tryCreateConnection();
    });
  }

  private unpend(p: Pending<C>): void {
    p.signal.removeEventListener('abort', p.onAbort);
    this.ctx.breakers.pending.dec();
    this.ctx.stats.rqPendingActive.add(-1);
  }

  /** max_requests is checked as a stream is attached; its overflow counts as upstream_rq_pending_overflow, as in Envoy. */
  private admit(): UpstreamError | undefined {
    const { breakers, stats } = this.ctx;
    if (!breakers.requests.canCreate()) {
      stats.rqPendingOverflow.inc();
      return new UpstreamError('overflow', 'max_requests circuit breaker open', this.host.key);
    }
    breakers.requests.inc();
    stats.rqTotal.inc();
    stats.rqActive.add(1);
    this.host.activeRequests++;
    return undefined;
  }

  /** A stream attached by acquire() has ended. */
  protected release(): void {
    this.ctx.breakers.requests.dec();
    this.ctx.stats.rqActive.add(-1);
    this.host.activeRequests--;
  }

  /** Hands ready connections to pending requests, opening more if still short. */
  protected serve(): void {
    while (this.pending.length) {
      const c = this.ready();
      if (!c) break;
      const p = this.pending.shift()!;
      this.unpend(p);
      const err = this.admit();
      if (err) {
        p.reject(err);
        continue;
      }
      this.reserve(c);
      p.resolve(c);
    }
    if (this.pending.length > this.connectingCapacity()) this.tryCreateConnection();
    this.checkEmpty();
  }

  private tryCreateConnection(): void {
    if (this.destroyed) return;
    const can = this.ctx.breakers.connections.canCreate();
    if (!can) this.ctx.stats.cxOverflow.inc();
    if (can || this.established() + this.connecting === 0) this.startConnection();
  }

  protected connectionOpening(): void {
    const { breakers, stats } = this.ctx;
    this.connecting++;
    breakers.connections.inc();
    stats.cxTotal.inc();
    stats.cxActive.add(1);
    (this.protocol === 'http2' ? stats.cxHttp2Total : stats.cxHttp1Total).inc();
  }

  protected connectionClosed(): void {
    this.ctx.breakers.connections.dec();
    this.ctx.stats.cxActive.add(-1);
    this.ctx.stats.cxDestroy.inc();
  }

  /** A connection could not be opened: Envoy fails every pending request so callers can retry elsewhere. */
  protected connectFailed(err: unknown): void {
    this.connecting--;
    this.connectionClosed();
    const { stats } = this.ctx;
    stats.cxConnectFail.inc();
    if (err instanceof DialError && err.timedOut) stats.cxConnectTimeout.inc();
    const reason = err instanceof Error ? err.message : String(err);
    const failure = err instanceof UpstreamError ? err : new UpstreamError('connect_failure', reason, this.host.key);
    for (const p of this.pending.splice(0)) {
      this.unpend(p);
      p.reject(failure);
    }
    this.checkEmpty();
  }

  protected checkEmpty(): void {
    if ((this.draining || this.destroyed) && this.empty) {
      const cb = this.onEmpty;
      this.onEmpty = undefined;
      cb?.();
    }
  }

  protected rejectAllPending(err: UpstreamError): void {
    for (const p of this.pending.splice(0)) {
      this.unpend(p);
      p.reject(err);
    }
  }
}

// HTTP/1.1 connection pool for one host: one request per connection at a
// time, idle keep-alive connections reused most-recently-used first, closed
// after common_http_protocol_options.idle_timeout (default 1 h) or after
// max_requests_per_connection requests. Each connection gets its own
// one-socket http.Agent so node's client does the keep-alive bookkeeping on
// exactly the socket this pool chose.
import http from 'node:http';
import type net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { UpstreamError, type Headers, type UpstreamHttpRequest } from '../types.js';
import { upstreamRequestHeaders, upstreamResponseHeaders } from './headers.js';
import type { PoolHost } from './hosts.js';
import { abortError, PoolBase, type PoolContext, type UpstreamResponse } from './pool.js';

/** An http.Agent that only ever uses `socket`; once that is gone, requests fail instead of reconnecting. */
export function singleSocketAgent(socket: net.Socket): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1, scheduling: 'lifo' });
  let handed = false;
  type Create = (opts: object, cb: (err: Error | null, s?: net.Socket) => void) => net.Socket | undefined;
  (agent as unknown as { createConnection: Create }).createConnection = (_opts, cb) => {
    if (handed) {
      cb(new Error('upstream connection closed'));
      return undefined;
    }
    handed = true;
    return socket;
  };
  return agent;
}

/** Fixed host/port for the per-connection agents: they key sockets by it, the socket is ours. */
const AGENT_TARGET = { host: 'upstream.invalid', port: 1 };

interface H1Conn {
  socket: net.Socket;
  agent: http.Agent;
  busy: boolean;
  requests: number;
  closed: boolean;
  idleTimer?: NodeJS.Timeout;
}

export class Http1Pool extends PoolBase<H1Conn> {
  private readonly conns = new Set<H1Conn>();
  /** Idle connections; the last is the most recently used. */
  private readonly idle: H1Conn[] = [];

  constructor(ctx: PoolContext, host: PoolHost) {
    super(ctx, host, 'http1');
  }

  protected destroyConnections(): void {
    for (const c of [...this.conns]) c.socket.destroy();
  }

  protected closeIdle(): void {
    if (this.pending.length) return;
    for (const c of this.idle.splice(0)) this.close(c);
  }

  protected ready(): H1Conn | undefined {
    return this.idle[this.idle.length - 1];
  }

  protected reserve(c: H1Conn): void {
    this.idle.splice(this.idle.indexOf(c), 1);
    clearTimeout(c.idleTimer);
    c.busy = true;
    c.requests++;
    c.socket.ref();
  }

  protected connectingCapacity(): number {
    return this.connecting;
  }

  protected established(): number {
    return this.conns.size;
  }

  protected startConnection(): void {
    this.connectionOpening();
    const started = performance.now();
    this.ctx.dial().then(
      (socket) => {
        this.connecting--;
        this.ctx.stats.cxConnectMs.record(performance.now() - started);
        if (this.destroyed) {
          socket.destroy();
          this.connectionClosed();
          return this.checkEmpty();
        }
        const conn: H1Conn = { socket, agent: singleSocketAgent(socket), busy: false, requests: 0, closed: false };
        this.conns.add(conn);
        socket.on('error', () => {}); // 'close' follows; the request in flight sees the error itself
        socket.once('close', () => this.onClose(conn));
        conn.agent.on('free', (s: net.Socket) => this.onFree(conn, s));
        this.makeIdle(conn);
      },
      (err: unknown) => this.connectFailed(err),
    );
  }

  protected send(conn: H1Conn, req: UpstreamHttpRequest): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const headers: Headers = { ...upstreamRequestHeaders(req.headers), host: req.authority };
      if (Buffer.isBuffer(req.body) && headers['content-length'] === undefined) headers['content-length'] = String(req.body.length);
      let r: http.ClientRequest;
      try {
        r = http.request({ ...AGENT_TARGET, agent: conn.agent, method: req.method, path: req.path, headers, setHost: false });
      } catch (err) {
        // Rejected before anything was written (an invalid header): the connection is still clean.
        conn.requests--;
        this.release();
        this.makeIdle(conn);
        return reject(new UpstreamError('reset', `invalid upstream request: ${(err as Error).message}`, this.host.key));
      }
      let res: http.IncomingMessage | undefined;
      let aborted: UpstreamError | undefined;
      const onAbort = () => {
        aborted = abortError(req.signal, this.host.key);
        r.destroy(aborted);
      };
      // Aborted while waiting for the connection: a listener added now would never fire.
      if (req.signal.aborted) queueMicrotask(onAbort);
      else req.signal.addEventListener('abort', onAbort, { once: true });
      r.once('response', (m) => {
        res = m;
        const trailers = new Promise<Headers | undefined>((done) => {
          m.once('end', () => done(Object.keys(m.trailers).length ? upstreamResponseHeaders(m.trailers) : undefined));
          m.once('close', () => done(undefined));
        });
        resolve({ status: m.statusCode ?? 502, headers: upstreamResponseHeaders(m.headers), body: m, host: this.host.key, trailers });
      });
      r.on('error', (err) => {
        if (res) {
          if (!res.destroyed) res.destroy(err);
          return;
        }
        reject(aborted ?? new UpstreamError('reset', `upstream connection reset: ${err.message}`, this.host.key));
      });
      r.once('close', () => {
        req.signal.removeEventListener('abort', onAbort);
        this.release();
        if (!res) reject(aborted ?? new UpstreamError('reset', 'upstream connection closed before response headers', this.host.key));
      });
      const body = req.body;
      if (body === null) r.end();
      else if (Buffer.isBuffer(body)) r.end(body);
      else sendStream(body, r);
    });
  }

  /** node's client finished a request and kept the socket: the connection is free for the next one. */
  private onFree(conn: H1Conn, socket: net.Socket): void {
    if (conn.closed || socket.destroyed) return;
    conn.busy = false;
    const max = this.ctx.maxRequestsPerConnection();
    if (max > 0 && conn.requests >= max) {
      this.ctx.stats.cxMaxRequests.inc();
      return this.close(conn);
    }
    this.makeIdle(conn);
  }

  private makeIdle(conn: H1Conn): void {
    if (conn.closed) return;
    if (this.draining && !this.pending.length) return this.close(conn);
    this.idle.push(conn);
    conn.socket.unref();
    const ms = this.ctx.idleTimeoutMs();
    if (ms > 0) {
      conn.idleTimer = setTimeout(() => {
        this.ctx.stats.cxIdleTimeout.inc();
        this.close(conn);
      }, ms);
      conn.idleTimer.unref();
    }
    this.serve();
  }

  private close(conn: H1Conn): void {
    conn.socket.destroy();
    this.onClose(conn);
  }

  private onClose(conn: H1Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    clearTimeout(conn.idleTimer);
    this.conns.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    conn.agent.destroy();
    this.connectionClosed();
    this.serve();
  }
}

/**
 * Streams a downstream body upstream. Unlike pipeline(), an upstream failure
 * leaves the downstream stream alone: destroying it would close the
 * downstream connection before the router can answer 503.
 */
export function sendStream(body: Readable, out: Writable & { destroy(err?: Error): unknown }): void {
  body.once('error', (err) => out.destroy(err));
  out.once('close', () => body.unpipe(out));
  body.pipe(out);
}

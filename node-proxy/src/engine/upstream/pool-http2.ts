// HTTP/2 connection pool for one host: many streams per connection, up to
// the peer's SETTINGS_MAX_CONCURRENT_STREAMS (and http2_protocol_options.
// max_concurrent_streams); another connection only when those are full. A
// connection that got GOAWAY, reached max_requests_per_connection or sat
// idle for idle_timeout takes no new streams and closes once its streams end.
import http2 from 'node:http2';
import type net from 'node:net';
import { UpstreamError, type Headers, type UpstreamHttpRequest } from '../types.js';
import { upstreamRequestHeaders, upstreamResponseHeaders } from './headers.js';
import type { PoolHost } from './hosts.js';
import { abortError, PoolBase, type PoolContext, type UpstreamResponse } from './pool.js';
import { sendStream } from './pool-http1.js';

interface H2Conn {
  session: http2.ClientHttp2Session;
  active: number;
  total: number;
  /** The peer's SETTINGS_MAX_CONCURRENT_STREAMS. */
  peerMax: number;
  draining: boolean;
  closed: boolean;
  idleTimer?: NodeJS.Timeout;
}

export class Http2Pool extends PoolBase<H2Conn> {
  private readonly conns = new Set<H2Conn>();

  constructor(ctx: PoolContext, host: PoolHost) {
    super(ctx, host, 'http2');
  }

  protected destroyConnections(): void {
    for (const c of [...this.conns]) c.session.destroy();
  }

  protected closeIdle(): void {
    if (this.pending.length) return;
    for (const c of this.conns) {
      c.draining = true;
      if (c.active === 0) c.session.close();
    }
  }

  private capacity(): number {
    const max = this.ctx.maxRequestsPerConnection();
    return Math.min(this.ctx.maxConcurrentStreams(), max > 0 ? max : Infinity);
  }

  protected ready(): H2Conn | undefined {
    const max = this.ctx.maxRequestsPerConnection();
    for (const c of this.conns) {
      if (c.closed || c.draining) continue;
      if (c.active >= Math.min(c.peerMax, this.ctx.maxConcurrentStreams())) continue;
      if (max > 0 && c.total >= max) continue;
      return c;
    }
    return undefined;
  }

  protected reserve(c: H2Conn): void {
    clearTimeout(c.idleTimer);
    if (c.active++ === 0) c.session.ref();
    c.total++;
    const max = this.ctx.maxRequestsPerConnection();
    if (max > 0 && c.total >= max) {
      this.ctx.stats.cxMaxRequests.inc();
      c.draining = true;
    }
  }

  protected connectingCapacity(): number {
    return this.connecting * this.capacity();
  }

  protected established(): number {
    return this.conns.size;
  }

  protected startConnection(): void {
    this.connectionOpening();
    const started = performance.now();
    this.ctx
      .dial()
      .then((socket) => this.setup(socket, started))
      .catch((err: unknown) => this.connectFailed(err));
  }

  private setup(socket: net.Socket, started: number): void {
    if (this.destroyed) {
      socket.destroy();
      this.connecting--;
      this.connectionClosed();
      return this.checkEmpty();
    }
    const scheme = this.ctx.secure() ? 'https' : 'http';
    const session = http2.connect(`${scheme}://${this.host.key}`, { createConnection: () => socket, settings: { enablePush: false } });
    const conn: H2Conn = { session, active: 0, total: 0, peerMax: Infinity, draining: false, closed: false };
    let connected = false;
    session.on('error', () => {}); // 'close' follows; streams see their own errors
    session.once('connect', () => {
      connected = true;
      this.connecting--;
      this.ctx.stats.cxConnectMs.record(performance.now() - started);
      this.conns.add(conn);
      this.afterStream(conn);
    });
    session.on('remoteSettings', (s) => {
      conn.peerMax = s.maxConcurrentStreams ?? Infinity;
      if (connected) this.serve();
    });
    // node closes the session itself after GOAWAY; no new streams meanwhile.
    session.on('goaway', () => {
      conn.draining = true;
    });
    session.once('close', () => {
      if (!connected) return this.connectFailed(new UpstreamError('connect_failure', 'HTTP/2 session closed before it was established', this.host.key));
      conn.closed = true;
      clearTimeout(conn.idleTimer);
      this.conns.delete(conn);
      this.connectionClosed();
      this.serve();
    });
  }

  protected send(conn: H2Conn, req: UpstreamHttpRequest): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const headers: http2.OutgoingHttpHeaders = {
        ':method': req.method,
        ':path': req.path,
        ':authority': req.authority,
        ':scheme': this.ctx.secure() ? 'https' : 'http',
        ...upstreamRequestHeaders(req.headers),
      };
      const endStream = req.body === null || (Buffer.isBuffer(req.body) && req.body.length === 0);
      let stream: http2.ClientHttp2Stream;
      try {
        stream = conn.session.request(headers, { endStream });
      } catch (err) {
        this.streamEnded(conn);
        return reject(new UpstreamError('reset', `cannot open HTTP/2 stream: ${(err as Error).message}`, this.host.key));
      }
      let responded = false;
      let aborted: UpstreamError | undefined;
      let trailers: Headers | undefined;
      let settleTrailers: (t: Headers | undefined) => void = () => {};
      const trailersPromise = new Promise<Headers | undefined>((done) => (settleTrailers = done));
      const onAbort = () => {
        aborted = abortError(req.signal, this.host.key);
        if (responded) stream.destroy(aborted);
        else stream.close(http2.constants.NGHTTP2_CANCEL);
      };
      // Aborted while waiting for the connection: a listener added now would never fire.
      if (req.signal.aborted) queueMicrotask(onAbort);
      else req.signal.addEventListener('abort', onAbort, { once: true });
      stream.once('response', (h) => {
        responded = true;
        stream.once('end', () => settleTrailers(trailers));
        resolve({ status: Number(h[':status']), headers: upstreamResponseHeaders(h), body: stream, host: this.host.key, trailers: trailersPromise });
      });
      stream.once('trailers', (t) => {
        trailers = upstreamResponseHeaders(t);
      });
      stream.on('error', () => {}); // before headers the 'close' below reports it; after, the reader sees it
      stream.once('close', () => {
        settleTrailers(trailers);
        req.signal.removeEventListener('abort', onAbort);
        this.streamEnded(conn);
        if (!responded) {
          const code = stream.rstCode;
          reject(aborted ?? new UpstreamError('reset', `upstream stream reset before response headers (HTTP/2 code ${code ?? 'none'})`, this.host.key));
        }
      });
      if (!endStream && req.body) {
        if (Buffer.isBuffer(req.body)) stream.end(req.body);
        else sendStream(req.body, stream);
      }
    });
  }

  private streamEnded(conn: H2Conn): void {
    conn.active--;
    this.release();
    this.afterStream(conn);
  }

  /** A connection just opened or finished a stream: serve pending requests, or close it when idle and unwanted. */
  private afterStream(conn: H2Conn): void {
    if (!conn.closed && conn.active === 0) {
      if (conn.draining || (this.draining && !this.pending.length)) {
        conn.draining = true;
        conn.session.close();
      } else {
        conn.session.unref();
        const ms = this.ctx.idleTimeoutMs();
        clearTimeout(conn.idleTimer);
        if (ms > 0) {
          conn.idleTimer = setTimeout(() => {
            if (conn.active > 0) return;
            this.ctx.stats.cxIdleTimeout.inc();
            conn.draining = true;
            conn.session.close();
          }, ms);
          conn.idleTimer.unref();
        }
      }
    }
    this.serve();
  }
}

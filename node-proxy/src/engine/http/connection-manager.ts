// envoy.filters.network.http_connection_manager: terminates HTTP/1.1 and
// HTTP/2 (h2c by prior knowledge, or h2 by ALPN under TLS), runs the HTTP
// filters (RBAC, then the router), and answers locally where Envoy does
// (no route: 404 NR; RBAC: 403; redirects and direct responses).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import { hostname } from 'node:os';
import type { Socket } from 'node:net';
import { Transform, type Readable } from 'node:stream';
import { decodeMessage } from '../../../../api/src/any.js';
import { messageName } from '../../../../api/src/type-urls.js';
import type { Logger } from '../../../../xds-server/src/log.js';
import { compileAccessLogs, type AccessLogEntry, type AccessLogger, type FileSinks } from '../access-log.js';
import { durationMs, wrappedBool } from '../upstream/fields.js';
import type { DownstreamConnection, TerminalFilter } from '../listener/connection.js';
import type { Counter, Gauge, Histogram, Stats } from '../stats.js';
import type { ClusterManager, Decoded, Headers, HeaderMutation, LbContext, RequestHead, RouteTable } from '../types.js';
import { applyHeaderMutations } from '../routing/headers.js';
import { formatAddress } from '../routing/host.js';
import { compileRouteConfiguration } from '../routing/route-table.js';
import { compileHttpRbac, type HttpRbac } from './rbac-filter.js';
import { forward } from './router.js';
import { STATEFUL_SESSION, StatefulSessionFilter } from './stateful-session.js';

export interface HcmDeps {
  clusters: ClusterManager;
  stats: Stats;
  log: Logger;
  /** RDS: the accepted RouteConfiguration of that name, compiled. */
  routes: (name: string) => RouteTable | undefined;
  files: FileSinks;
}

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

const CONN = Symbol('nodemesh.connection');
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const RBAC = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
const SESSION = `type.googleapis.com/${STATEFUL_SESSION}`;
const HOSTNAME = hostname();
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
/** Envoy's default per_connection_buffer_limit_bytes: the most a request body may be buffered for retries and mirrors. */
const BUFFER_LIMIT = 1 << 20;
// Hop-by-hop and HTTP/1-only headers may not be sent on an HTTP/2 response.
const NOT_ON_H2 = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

export class HttpConnectionManager implements TerminalFilter {
  private readonly prefix: string;
  private readonly tags: { envoy_http_conn_manager_prefix: string };
  private readonly codec: string;
  private readonly rdsName?: string;
  private readonly inlineRoutes?: RouteTable;
  private readonly rbac: HttpRbac[] = [];
  private session?: StatefulSessionFilter;
  private readonly accessLogs: AccessLogger[];
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly sockets = new Set<Socket>();
  private readonly generateRequestId: boolean;
  private readonly serverName: string;
  private draining = false;
  // Looked up once: these move on every request.
  private readonly rqTotal: Counter;
  private readonly rqHttp1: Counter;
  private readonly rqHttp2: Counter;
  private readonly rqActive: Gauge;
  private readonly rqTime: Histogram;
  private readonly rqByClass: Counter[];

  constructor(
    cfg: Decoded,
    private readonly deps: HcmDeps,
  ) {
    this.prefix = String(cfg.stat_prefix ?? '');
    this.tags = { envoy_http_conn_manager_prefix: this.prefix };
    this.codec = String(cfg.codec_type ?? 'AUTO');
    this.rqTotal = deps.stats.counter('envoy_http_downstream_rq_total', this.tags);
    this.rqHttp1 = deps.stats.counter('envoy_http_downstream_rq_http1_total', this.tags);
    this.rqHttp2 = deps.stats.counter('envoy_http_downstream_rq_http2_total', this.tags);
    this.rqActive = deps.stats.gauge('envoy_http_downstream_rq_active', this.tags);
    this.rqTime = deps.stats.histogram('envoy_http_downstream_rq_time', this.tags);
    this.rqByClass = [1, 2, 3, 4, 5].map((c) => deps.stats.counter('envoy_http_downstream_rq_xx', { ...this.tags, envoy_response_code_class: String(c) }));
    const rds = cfg.rds as { route_config_name?: string } | undefined;
    if (rds) this.rdsName = rds.route_config_name ?? '';
    else if (cfg.route_config) this.inlineRoutes = compileRouteConfiguration(cfg.route_config as Decoded);
    let router = false;
    for (const f of (cfg.http_filters as { name?: string; typed_config?: { type_url: string; value: Buffer } }[] | undefined) ?? []) {
      const t = f.typed_config?.type_url;
      if (t === ROUTER) router = true;
      else if (t === RBAC) this.rbac.push(compileHttpRbac(decodeMessage(messageName(t), f.typed_config!.value ?? new Uint8Array(0)), this.prefix, deps.stats));
      else if (t === SESSION) {
        if (this.session) throw new Error('more than one envoy.filters.http.stateful_session filter');
        // An empty config (Envoy Gateway's inert filter) decodes from an Any without a value.
        this.session = new StatefulSessionFilter(f.name ?? '', decodeMessage(STATEFUL_SESSION, f.typed_config!.value ?? new Uint8Array(0)) as Decoded);
      }
      else throw new Error(`http filter ${f.name ?? '?'} (${t ?? 'no typed_config'}) is not implemented`);
    }
    if (!router) throw new Error('http_filters must end with envoy.filters.http.router');
    this.accessLogs = compileAccessLogs(cfg.access_log as Decoded[] | undefined, deps.files);
    this.generateRequestId = wrappedBool(cfg.generate_request_id, true);
    this.serverName = (cfg.server_name as string | undefined) || 'nodemesh';
    const idleMs = durationMs((cfg.common_http_protocol_options as Decoded | undefined)?.idle_timeout, 3_600_000);
    const requestTimeoutMs = durationMs(cfg.request_timeout, 0);
    this.h1 = http.createServer({ keepAliveTimeout: idleMs, requestTimeout: requestTimeoutMs, headersTimeout: 60_000, noDelay: true });
    this.h1.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this.onRequest(req, res));
    this.h2 = http2.createServer({ settings: { maxConcurrentStreams: 2147483647 }, maxSessionMemory: 64 });
    this.h2.on('request', (req, res) => this.onRequest(req, res));
    this.h2.on('session', (s) => {
      this.sessions.add(s);
      s.on('close', () => this.sessions.delete(s));
      if (this.draining) s.close();
    });
    if (idleMs) this.h2.setTimeout(idleMs);
  }

  handle(conn: DownstreamConnection): void {
    const { stats } = this.deps;
    stats.counter('envoy_http_downstream_cx_total', this.tags).inc();
    const active = stats.gauge('envoy_http_downstream_cx_active', this.tags);
    active.add(1);
    const socket = conn.socket;
    (socket as unknown as Record<symbol, DownstreamConnection>)[CONN] = conn;
    this.sockets.add(socket);
    socket.once('close', () => {
      active.add(-1);
      this.sockets.delete(socket);
    });
    if (conn.tls) return this.dispatch(socket, conn.tls.alpn === 'h2');
    if (this.codec === 'HTTP2') return this.dispatch(socket, true);
    if (this.codec === 'HTTP1') return this.dispatch(socket, false);
    // AUTO over plaintext: HTTP/2 with prior knowledge starts with the client preface.
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const n = Math.min(buf.length, H2_PREFACE.length);
      const h2 = buf.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (h2 && n < H2_PREFACE.length) return;
      socket.off('data', onData);
      socket.pause();
      socket.unshift(buf);
      this.dispatch(socket, h2);
    };
    socket.on('data', onData);
    socket.resume();
  }

  private dispatch(socket: Socket, h2: boolean): void {
    // The HTTP/2 session takes over the socket's handle and reads what is
    // already buffered (a peeked preface) on the next tick: resuming after
    // the hand-over would let those bytes flow away, but a socket that was
    // never read (pauseOnConnect) must be resumed first or it never reads.
    if (h2 && socket.readableLength === 0) socket.resume();
    (h2 ? this.h2 : this.h1).emit('connection', socket);
    if (!h2) socket.resume();
  }

  drain(): void {
    this.draining = true;
    for (const s of this.sessions) s.close();
    this.h1.closeIdleConnections();
  }

  close(): void {
    this.draining = true;
    for (const s of this.sessions) s.destroy();
    for (const s of this.sockets) s.destroy();
  }

  private routeTable(): RouteTable | undefined {
    return this.inlineRoutes ?? (this.rdsName !== undefined ? this.deps.routes(this.rdsName) : undefined);
  }

  private async onRequest(req: Req, res: Res): Promise<void> {
    const start = Date.now();
    const { stats } = this.deps;
    const conn = (req.socket as unknown as Record<symbol, DownstreamConnection | undefined>)[CONN];
    const h2 = req.httpVersion === '2.0';
    this.rqTotal.inc();
    (h2 ? this.rqHttp2 : this.rqHttp1).inc();
    const active = this.rqActive;
    active.add(1);
    const headers: Headers = {};
    for (const [k, v] of Object.entries(req.headers)) if (!k.startsWith(':')) headers[k] = v;
    const authority = (h2 ? (req.headers[':authority'] as string | undefined) : undefined) ?? (req.headers.host as string | undefined) ?? '';
    const remote = conn ? formatAddress(conn.facts.sourceAddress, conn.facts.sourcePort) : formatAddress(req.socket.remoteAddress ?? '', req.socket.remotePort);
    const head: RequestHead = {
      method: req.method ?? 'GET',
      scheme: conn?.tls ? 'https' : 'http',
      authority,
      path: req.url ?? '/',
      headers,
      remoteAddress: remote,
    };
    if (this.generateRequestId && !headers['x-request-id']) headers['x-request-id'] = randomUUID();
    headers['x-forwarded-proto'] ??= head.scheme;
    delete headers.host;
    const log: AccessLogEntry = {
      startTime: new Date(start),
      durationMs: 0,
      protocol: h2 ? 'HTTP/2' : `HTTP/${req.httpVersion}`,
      method: head.method,
      path: head.path,
      authority,
      requestHeaders: headers,
      responseCode: 0,
      responseFlags: [],
      bytesReceived: 0,
      bytesSent: 0,
      downstreamRemoteAddress: remote,
      downstreamLocalAddress: conn ? formatAddress(conn.facts.destinationAddress, conn.facts.destinationPort) : '',
    };
    const done = () => {
      active.add(-1);
      log.durationMs = Date.now() - start;
      const code = log.responseCode;
      const byClass = this.rqByClass[Math.floor(code / 100) - 1];
      if (byClass) byClass.inc();
      else stats.counter('envoy_http_downstream_rq_xx', { ...this.tags, envoy_response_code_class: String(Math.floor(code / 100)) }).inc();
      this.rqTime.record(log.durationMs);
      for (const l of this.accessLogs) l.log(log);
    };
    try {
      await this.serve(req, res, head, conn, log, h2);
    } catch (err) {
      this.deps.log.warn('request failed', { error: (err as Error).message, path: head.path });
      if (!res.headersSent) this.local(res, 500, 'internal error', [], log, h2);
      else res.destroy?.();
    } finally {
      done();
    }
  }

  private async serve(req: Req, res: Res, head: RequestHead, conn: DownstreamConnection | undefined, log: AccessLogEntry, h2: boolean): Promise<void> {
    for (const rbac of this.rbac) {
      if (!rbac.allows(head, conn)) {
        log.responseFlags.push('RBAC');
        return this.local(res, 403, 'RBAC: access denied', [], log, h2);
      }
    }
    const table = this.routeTable();
    const decision = table ? table.route(head) : { kind: 'none' as const };
    if (decision.kind === 'none') {
      this.deps.stats.counter('envoy_http_no_route', this.tags).inc();
      log.responseFlags.push('NR');
      return this.local(res, 404, '', [], log, h2);
    }
    log.routeName = decision.route;
    if (decision.kind === 'redirect') {
      this.deps.stats.counter('envoy_http_rq_redirect', this.tags).inc();
      return this.local(res, decision.status, '', decision.responseHeaders, log, h2, { location: decision.location });
    }
    if (decision.kind === 'direct') {
      this.deps.stats.counter('envoy_http_rq_direct_response', this.tags).inc();
      return this.local(res, decision.status, decision.bodyBytes ?? decision.body ?? '', decision.responseHeaders, log, h2, decision.location ? { location: decision.location } : {});
    }
    log.upstreamCluster = decision.cluster;
    const needsBuffer = !!decision.retry || decision.mirrors.length > 0;
    const noBody = h2 ? (req as http2.Http2ServerRequest).stream.endAfterHeaders : req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined;
    let body: Buffer | Readable | null = null;
    if (!noBody) {
      if (needsBuffer) {
        const buffered = await readAll(req, BUFFER_LIMIT);
        if (!buffered) {
          this.deps.stats.counter('envoy_http_downstream_rq_too_large', this.tags).inc();
          return this.local(res, 413, 'Payload Too Large', [], log, h2);
        }
        body = buffered;
        log.bytesReceived = buffered.length;
      } else {
        // Counted on the way through: a listener of its own would start the
        // stream flowing before the router is ready to take the bytes.
        const counted = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            log.bytesReceived += chunk.length;
            cb(null, chunk);
          },
        });
        req.on('error', (err) => counted.destroy(err));
        body = (req as Readable).pipe(counted);
      }
    }
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const session = this.session?.policy(decision.perFilterConfig);
    const requested = session?.requested(head);
    const lb: LbContext = { hashKey: decision.hashKey, originalDst: conn?.originalDst };
    if (session && requested) lb.overrideHost = { host: requested, strict: session.strict };
    const result = await forward({
      decision,
      clusters: this.deps.clusters,
      request: head,
      body,
      lb,
      signal: abort.signal,
      stats: this.deps.stats,
      format: { downstreamRemoteAddress: head.remoteAddress, protocol: log.protocol, hostname: HOSTNAME, startTime: log.startTime },
    });
    log.attempts = result.attempts;
    log.responseFlags.push(...result.flags);
    if (result.kind === 'local' && result.flags.includes('DC')) {
      // The client went away: nothing to answer.
      log.responseCode = 0;
      return;
    }
    if (result.kind === 'local') return this.local(res, result.status, result.body, [], log, h2, result.headers);
    log.upstreamHost = result.host;
    log.responseCode = result.status;
    const out = this.responseHeaders(result.headers, h2);
    if (session && result.host !== requested) session.remember(result.host, out);
    log.responseHeaders = out;
    res.writeHead(result.status, out as http.OutgoingHttpHeaders);
    const trailers = result.trailers;
    await new Promise<void>((resolve) => {
      result.body.on('data', (b: Buffer) => void (log.bytesSent += b.length));
      result.body.on('error', () => {
        log.responseFlags.push('UPE');
        res.destroy();
        resolve();
      });
      result.body.on('end', async () => {
        const t = trailers ? await trailers : undefined;
        if (t && Object.keys(t).length) (res as http2.Http2ServerResponse).addTrailers?.(t as http.OutgoingHttpHeaders);
        res.end();
        resolve();
      });
      result.body.pipe(res as unknown as NodeJS.WritableStream, { end: false });
      res.on('close', () => {
        result.body.destroy();
        resolve();
      });
    });
  }

  private responseHeaders(headers: Headers, h2: boolean): Headers {
    const out: Headers = {};
    for (const [k, v] of Object.entries(headers)) {
      if (k.startsWith(':') || v === undefined) continue;
      if (h2 && NOT_ON_H2.has(k)) continue;
      out[k] = v;
    }
    out.server = this.serverName;
    if (this.draining && !h2) out.connection = 'close';
    return out;
  }

  private local(res: Res, status: number, body: string | Buffer, mutations: HeaderMutation[], log: AccessLogEntry, h2: boolean, extra: Headers = {}): void {
    log.responseCode = status;
    if (res.headersSent) {
      res.destroy?.();
      return;
    }
    let headers: Headers = { ...extra };
    if (body) {
      headers['content-type'] = 'text/plain';
      headers['content-length'] = String(Buffer.byteLength(body));
    } else headers['content-length'] = '0';
    headers = applyHeaderMutations(headers, mutations, { downstreamRemoteAddress: log.downstreamRemoteAddress, protocol: log.protocol, hostname: HOSTNAME, startTime: log.startTime });
    const out = this.responseHeaders(headers, h2);
    log.responseHeaders = out;
    log.bytesSent += Buffer.byteLength(body);
    res.writeHead(status, out as http.OutgoingHttpHeaders);
    res.end(body);
  }
}

async function readAll(req: Readable, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > limit) return undefined;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

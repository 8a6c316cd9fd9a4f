// The router over real loopback sockets: backends are node:http servers, and
// TestHttpCluster is a small but real UpstreamCluster (round-robin over its
// backends, a max_retries breaker, a max_requests breaker) speaking node:http.
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { Stats } from '../stats.js';
import {
  UpstreamError,
  type ForwardDecision,
  type Headers,
  type LbContext,
  type RequestHead,
  type RetryPolicy,
  type UpstreamCluster,
  type UpstreamHttpRequest,
  type UpstreamHttpResponse,
} from '../types.js';
import { backoffDelayMs, forward, withoutHopByHop, type ForwardInput, type LocalResult, type UpstreamResult } from './router.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  remotePort: number;
}

interface Backend {
  address: string;
  seen: Seen[];
  /** Resolves when the n-th request (1-based) has been received in full. */
  received(n: number): Promise<void>;
  close(): Promise<void>;
}

const servers: Backend[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** A loopback backend; `handler` answers the n-th request (0-based). */
async function backend(handler: (n: number, req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Backend> {
  const seen: Seen[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = seen.length;
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString(), remotePort: req.socket.remotePort! });
      for (const w of waiters.filter((w) => w.n <= seen.length)) w.resolve();
      handler(n, req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const b: Backend = {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    received: (n) => (seen.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  servers.push(b);
  return b;
}

/** An address nothing listens on: a server's port, closed again. */
async function deadAddress(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `127.0.0.1:${port}`;
}

class TestHttpCluster implements UpstreamCluster {
  private next = 0;
  private active = 0;
  retriesInUse = 0;
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  readonly requests: UpstreamHttpRequest[] = [];

  constructor(
    readonly name: string,
    private readonly backends: string[],
    private readonly limits: { maxRetries?: number; maxRequests?: number } = {},
  ) {}

  request(req: UpstreamHttpRequest, _ctx: LbContext): Promise<UpstreamHttpResponse> {
    this.requests.push(req);
    if (!this.backends.length) return Promise.reject(new UpstreamError('no_healthy_upstream', 'no healthy upstream'));
    if (this.active >= (this.limits.maxRequests ?? Infinity)) return Promise.reject(new UpstreamError('overflow', 'max_requests'));
    const host = this.backends[this.next++ % this.backends.length]!;
    const [hostname, port] = host.split(':') as [string, string];
    this.active++;
    return new Promise((resolve, reject) => {
      const r = http.request(
        { host: hostname, port: Number(port), method: req.method, path: req.path, headers: { ...req.headers, host: req.authority }, agent: this.agent, signal: req.signal },
        (res) => {
          res.on('close', () => this.active--);
          resolve({ status: res.statusCode!, headers: res.headers as Headers, body: res, host });
        },
      );
      r.on('error', (err: NodeJS.ErrnoException) => {
        this.active--;
        reject(new UpstreamError(err.code === 'ECONNREFUSED' ? 'connect_failure' : 'reset', err.message, host));
      });
      if (req.body instanceof Readable) req.body.pipe(r);
      else r.end(req.body ?? undefined);
    });
  }

  connect(): never {
    throw new Error('not used');
  }

  tryRetry(): boolean {
    if (this.retriesInUse >= (this.limits.maxRetries ?? 3)) return false;
    this.retriesInUse++;
    return true;
  }

  retryDone(): void {
    this.retriesInUse--;
  }

  close(): void {
    this.agent.destroy();
  }
}

const retry = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({
  retryOn: new Set(['5xx']),
  numRetries: 1,
  perTryTimeoutMs: 0,
  retriableStatusCodes: [],
  backoff: { baseMs: 1, maxMs: 10 },
  ...over,
});

function decision(over: Partial<ForwardDecision> = {}): ForwardDecision {
  return {
    kind: 'forward',
    vhost: 'vh',
    route: 'r',
    cluster: 'main',
    clusterNotFoundStatus: 503,
    path: '/hello?x=1',
    authority: 'svc:8080',
    requestHeaders: [],
    responseHeaders: [],
    timeoutMs: 5000,
    mirrors: [],
    ...over,
  };
}

const head = (over: Partial<RequestHead> = {}): RequestHead => ({
  method: 'POST',
  scheme: 'http',
  authority: 'svc:8080',
  path: '/hello?x=1',
  headers: { 'content-type': 'text/plain' },
  remoteAddress: '10.0.0.9:5555',
  ...over,
});

function run(clusters: UpstreamCluster[], over: Partial<ForwardInput> & { decision?: ForwardDecision } = {}) {
  const stats = over.stats ?? new Stats();
  const map = new Map(clusters.map((c) => [c.name, c]));
  const input: ForwardInput = {
    decision: decision(),
    clusters: { get: (n) => map.get(n) },
    request: head(),
    body: Buffer.from('payload'),
    lb: {},
    signal: new AbortController().signal,
    stats,
    random: () => 0.5,
    ...over,
  };
  return { stats, result: forward(input) };
}

const text = async (r: Readable) => {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
};

function upstream(r: Awaited<ReturnType<typeof forward>>): UpstreamResult {
  if (r.kind !== 'upstream') assert.fail(`expected an upstream result, got ${JSON.stringify(r)}`);
  return r as UpstreamResult;
}

function local(r: Awaited<ReturnType<typeof forward>>): LocalResult {
  assert.equal(r.kind, 'local', `expected a local result, got kind ${r.kind}`);
  return r as LocalResult;
}

const tags = { envoy_cluster_name: 'main' };

describe('router: forwarding', () => {
  it('sends method, path, authority, body and mutated headers; returns the upstream response', async () => {
    const b = await backend((_n, _req, res) => {
      res.writeHead(200, { 'x-upstream': 'yes', connection: 'keep-alive', 'keep-alive': 'timeout=5' });
      res.end('hi');
    });
    const c = new TestHttpCluster('main', [b.address]);
    const { result } = run([c], {
      request: head({ headers: { 'content-type': 'text/plain', connection: 'x-drop-me', 'x-drop-me': '1', 'x-keep': 'k' } }),
      decision: decision({
        path: '/rewritten?x=1',
        authority: 'internal:9090',
        requestHeaders: [{ set: [{ name: 'x-added', value: '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%', action: 'APPEND_IF_EXISTS_OR_ADD' }], remove: ['x-keep'] }],
        responseHeaders: [{ set: [{ name: 'x-via', value: '%UPSTREAM_REMOTE_ADDRESS%', action: 'OVERWRITE_IF_EXISTS_OR_ADD' }], remove: ['x-upstream'] }],
      }),
    });
    const r = upstream(await result);
    assert.equal(r.status, 200);
    assert.equal(await text(r.body), 'hi');
    assert.equal(r.host, b.address);
    assert.equal(r.attempts, 1);
    assert.deepEqual(r.flags, []);
    assert.equal(r.headers['x-via'], b.address);
    assert.equal(r.headers['x-upstream'], undefined);
    assert.equal(r.headers['connection'], undefined);
    assert.equal(r.headers['keep-alive'], undefined);
    assert.match(String(r.headers['x-envoy-upstream-service-time']), /^\d+$/);
    const s = b.seen[0]!;
    assert.equal(s.method, 'POST');
    assert.equal(s.url, '/rewritten?x=1');
    assert.equal(s.headers.host, 'internal:9090');
    assert.equal(s.body, 'payload');
    assert.equal(s.headers['x-added'], '10.0.0.9');
    assert.equal(s.headers['x-keep'], undefined);
    assert.equal(s.headers['x-drop-me'], undefined);
    assert.equal(s.headers['x-envoy-original-path'], '/hello?x=1');
    assert.equal(s.headers['x-envoy-expected-rq-timeout-ms'], '5000');
    c.close();
  });

  it('suppressEnvoyHeaders leaves the x-envoy-* headers out', async () => {
    const b = await backend((_n, _req, res) => res.end('ok'));
    const c = new TestHttpCluster('main', [b.address]);
    const r = upstream(await run([c], { suppressEnvoyHeaders: true, decision: decision({ path: '/other' }) }).result);
    await text(r.body);
    assert.equal(r.headers['x-envoy-upstream-service-time'], undefined);
    assert.equal(b.seen[0]!.headers['x-envoy-original-path'], undefined);
    assert.equal(b.seen[0]!.headers['x-envoy-expected-rq-timeout-ms'], undefined);
    c.close();
  });

  it('a missing cluster answers clusterNotFoundStatus with flag NC and the response mutations', async () => {
    const r = local(
      await run([], {
        decision: decision({ cluster: 'nope', responseHeaders: [{ set: [{ name: 'x-r', value: 'v', action: 'APPEND_IF_EXISTS_OR_ADD' }], remove: [] }] }),
      }).result,
    );
    assert.deepEqual([r.status, r.flags, r.attempts, r.headers['x-r']], [503, ['NC'], 0, 'v']);
    const notFound = local(await run([], { decision: decision({ cluster: 'nope', clusterNotFoundStatus: 404 }) }).result);
    assert.equal(notFound.status, 404);
  });

  it('keeps "te: trailers" and drops other hop-by-hop headers', () => {
    assert.deepEqual(withoutHopByHop({ te: 'trailers', 'transfer-encoding': 'chunked', upgrade: 'h2c', a: '1', ':path': '/' }), { te: 'trailers', a: '1' });
  });
});

describe('router: retries', () => {
  it('retries a 5xx: the backend sees a second attempt and the 200 is returned', async () => {
    const b = await backend((n, _req, res) => {
      res.writeHead(n === 0 ? 503 : 200);
      res.end(n === 0 ? 'busy' : 'ok');
    });
    const c = new TestHttpCluster('main', [b.address]);
    const { result, stats } = run([c], { decision: decision({ retry: retry({ numRetries: 2 }) }) });
    const r = upstream(await result);
    assert.equal(r.status, 200);
    assert.equal(await text(r.body), 'ok');
    assert.equal(r.attempts, 2);
    assert.equal(b.seen.length, 2);
    assert.equal(b.seen[1]!.body, 'payload');
    assert.equal(stats.get('envoy_cluster_upstream_rq_retry', tags), 1);
    assert.equal(stats.get('envoy_cluster_upstream_rq_retry_success', tags), 1);
    assert.equal(c.retriesInUse, 0);
    // The 503's body was drained, so the retry reused the same keep-alive connection.
    assert.equal(b.seen[1]!.remotePort, b.seen[0]!.remotePort);
    c.close();
  });

  it('gives up after num_retries with flag URX and the last response', async () => {
    const b = await backend((_n, _req, res) => {
      res.writeHead(502);
      res.end('bad');
    });
    const c = new TestHttpCluster('main', [b.address]);
    const { result, stats } = run([c], { decision: decision({ retry: retry({ retryOn: new Set(['gateway-error']), numRetries: 2 }) }) });
    const r = upstream(await result);
    assert.equal(r.status, 502);
    assert.equal(await text(r.body), 'bad');
    assert.equal(r.attempts, 3);
    assert.deepEqual(r.flags, ['URX']);
    assert.equal(stats.get('envoy_cluster_upstream_rq_retry', tags), 2);
    assert.equal(stats.get('envoy_cluster_upstream_rq_retry_limit_exceeded', tags), 1);
    assert.equal(c.retriesInUse, 0);
    c.close();
  });

  it('retriable-status-codes retries only the listed codes', async () => {
    const b = await backend((n, _req, res) => {
      res.writeHead(n === 0 ? 418 : 200);
      res.end();
    });
    const c = new TestHttpCluster('main', [b.address]);
    const listed = retry({ retryOn: new Set(['retriable-status-codes']), retriableStatusCodes: [418] });
    const r = upstream(await run([c], { decision: decision({ retry: listed }) }).result);
    assert.equal(r.status, 200);
    assert.equal(r.attempts, 2);
    r.body.resume();

    const b2 = await backend((_n, _req, res) => {
      res.writeHead(418);
      res.end();
    });
    const c2 = new TestHttpCluster('main', [b2.address]);
    const r2 = upstream(await run([c2], { decision: decision({ retry: retry({ retryOn: new Set(['5xx']) }) }) }).result);
    assert.equal(r2.status, 418);
    assert.equal(r2.attempts, 1);
    assert.equal(b2.seen.length, 1);
    r2.body.resume();
    c.close();
    c2.close();
  });

  it('retries a connect failure on the next host', async () => {
    const good = await backend((_n, _req, res) => res.end('ok'));
    const c = new TestHttpCluster('main', [await deadAddress(), good.address]);
    const r = upstream(await run([c], { decision: decision({ retry: retry({ retryOn: new Set(['connect-failure']) }) }) }).result);
    assert.equal(r.status, 200);
    assert.equal(r.attempts, 2);
    assert.equal(r.host, good.address);
    assert.equal(good.seen.length, 1);
    r.body.resume();
    c.close();
  });

  it('a connect failure without retries is 503 UF with Envoy’s body', async () => {
    const dead = await deadAddress();
    const c = new TestHttpCluster('main', [dead]);
    const r = local(await run([c]).result);
    assert.equal(r.status, 503);
    assert.deepEqual(r.flags, ['UF']);
    assert.equal(r.body, 'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure');
    assert.equal(r.host, dead);
    c.close();
  });

  it('connect-failure does not retry a 5xx', async () => {
    const b = await backend((_n, _req, res) => {
      res.writeHead(500);
      res.end();
    });
    const c = new TestHttpCluster('main', [b.address]);
    const r = upstream(await run([c], { decision: decision({ retry: retry({ retryOn: new Set(['connect-failure']) }) }) }).result);
    assert.equal(r.status, 500);
    assert.equal(b.seen.length, 1);
    r.body.resume();
    c.close();
  });

  it('a reset before headers is retried under "reset", and answered 503 UR when out of retries', async () => {
    const b = await backend((n, req, res) => {
      if (n < 2) req.socket.destroy();
      else res.end('ok');
    });
    const c = new TestHttpCluster('main', [b.address]);
    const ok = upstream(await run([c], { decision: decision({ retry: retry({ retryOn: new Set(['reset']), numRetries: 2 }) }) }).result);
    assert.equal(ok.status, 200);
    assert.equal(ok.attempts, 3);
    ok.body.resume();

    const b2 = await backend((_n, req) => req.socket.destroy());
    const c2 = new TestHttpCluster('main', [b2.address]);
    const r = local(await run([c2], { decision: decision({ retry: retry({ retryOn: new Set(['reset']) }) }) }).result);
    assert.equal(r.status, 503);
    assert.deepEqual(r.flags, ['UR', 'URX']);
    assert.equal(r.body, 'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: connection termination');
    c.close();
    c2.close();
  });

  it('an open max_retries breaker returns the response as is, flag UO, retry_overflow counted', async () => {
    const b = await backend((_n, _req, res) => {
      res.writeHead(503);
      res.end('busy');
    });
    const c = new TestHttpCluster('main', [b.address], { maxRetries: 0 });
    const { result, stats } = run([c], { decision: decision({ retry: retry({ numRetries: 3 }) }) });
    const r = upstream(await result);
    assert.equal(r.status, 503);
    assert.equal(r.attempts, 1);
    assert.deepEqual(r.flags, ['UO']);
    assert.equal(b.seen.length, 1);
    assert.equal(stats.get('envoy_cluster_upstream_rq_retry_overflow', tags), 1);
    assert.equal(stats.get('envoy_cluster_upstream_rq_retry', tags), 0);
    r.body.resume();
    c.close();
  });

  it('a streamed request body is never retried', async () => {
    const b = await backend((_n, _req, res) => {
      res.writeHead(503);
      res.end();
    });
    const c = new TestHttpCluster('main', [b.address]);
    const r = upstream(await run([c], { body: Readable.from([Buffer.from('stream')]), decision: decision({ retry: retry() }) }).result);
    assert.equal(r.status, 503);
    assert.equal(r.attempts, 1);
    assert.equal(b.seen[0]!.body, 'stream');
    r.body.resume();
    c.close();
  });

  it('back-off is jittered exponential, capped by max', () => {
    const b = { baseMs: 25, maxMs: 250 };
    assert.equal(backoffDelayMs(0, b, () => 0), 0);
    assert.equal(backoffDelayMs(0, b, () => 0.999), 24);
    assert.equal(backoffDelayMs(1, b, () => 0.999), 49);
    assert.equal(backoffDelayMs(3, b, () => 0.999), 199);
    assert.equal(backoffDelayMs(4, b, () => 0.999), 249);
    assert.equal(backoffDelayMs(10, b, () => 0.5), 125);
  });
});

/** An HTTP/2 cluster of one backend, for stream-level resets. */
class TestH2Cluster implements UpstreamCluster {
  private session?: http2.ClientHttp2Session;
  constructor(
    readonly name: string,
    private readonly address: string,
  ) {}

  request(req: UpstreamHttpRequest): Promise<UpstreamHttpResponse> {
    this.session ??= http2.connect(`http://${this.address}`);
    return new Promise((resolve, reject) => {
      const stream = this.session!.request({ ':method': req.method, ':path': req.path, ':authority': req.authority, ...req.headers }, { signal: req.signal });
      stream.on('response', (h) => resolve({ status: Number(h[':status']), headers: h as Headers, body: stream, host: this.address }));
      stream.on('error', (err) => reject(new UpstreamError('reset', err.message, this.address)));
      stream.end(Buffer.isBuffer(req.body) ? req.body : undefined);
    });
  }
  connect(): never {
    throw new Error('not used');
  }
  tryRetry(): boolean {
    return true;
  }
  retryDone(): void {}
  close(): void {
    this.session?.close();
  }
}

describe('router: refused streams', () => {
  it('refused-stream retries an HTTP/2 REFUSED_STREAM reset, and only that', async () => {
    let n = 0;
    const server = http2.createServer();
    server.on('stream', (stream) => {
      stream.on('error', () => {});
      if (n++ === 0) stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      else {
        stream.respond({ ':status': 200 });
        stream.end('ok');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const c = new TestH2Cluster('main', address);
    const r = upstream(await run([c], { decision: decision({ retry: retry({ retryOn: new Set(['refused-stream']) }) }) }).result);
    assert.equal(r.status, 200);
    assert.equal(r.attempts, 2);
    assert.equal(await text(r.body), 'ok');

    n = 0;
    const only = local(await run([c], { decision: decision({ retry: retry({ retryOn: new Set(['connect-failure']) }) }) }).result);
    assert.deepEqual([only.status, only.flags, only.attempts], [503, ['UR'], 1]);
    c.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
});

describe('router: timeouts', () => {
  it('a per-try timeout aborts the attempt and the retry succeeds', async () => {
    const b = await backend((n, _req, res) => {
      if (n === 0) setTimeout(() => res.destroyed || res.end('late'), 2000).unref();
      else res.end('fast');
    });
    const c = new TestHttpCluster('main', [b.address]);
    const { result, stats } = run([c], { decision: decision({ retry: retry({ perTryTimeoutMs: 100 }) }) });
    const r = upstream(await result);
    assert.equal(r.status, 200);
    assert.equal(await text(r.body), 'fast');
    assert.equal(r.attempts, 2);
    assert.equal(stats.get('envoy_cluster_upstream_rq_per_try_timeout', tags), 1);
    assert.equal(c.requests[0]!.signal.aborted, true);
    assert.equal(b.seen[0]!.headers['x-envoy-expected-rq-timeout-ms'], '100');
    c.close();
  });

  it('a per-try timeout without retries left is 504 UT', async () => {
    const b = await backend(() => {});
    const c = new TestHttpCluster('main', [b.address]);
    const r = local(await run([c], { decision: decision({ retry: retry({ perTryTimeoutMs: 50, numRetries: 0 }) }) }).result);
    assert.equal(r.status, 504);
    assert.equal(r.body, 'upstream request timeout');
    assert.equal(r.flags[0], 'UT');
    c.close();
  });

  it('the route timeout answers 504 UT and aborts the attempt', async () => {
    const b = await backend(() => {});
    const c = new TestHttpCluster('main', [b.address]);
    const { result, stats } = run([c], { decision: decision({ timeoutMs: 100 }) });
    const r = local(await result);
    assert.deepEqual([r.status, r.body, r.flags], [504, 'upstream request timeout', ['UT']]);
    assert.equal(stats.get('envoy_cluster_upstream_rq_timeout', tags), 1);
    assert.equal(c.requests[0]!.signal.aborted, true);
    c.close();
  });

  it('the route timeout spans all attempts', async () => {
    const b = await backend(() => {});
    const c = new TestHttpCluster('main', [b.address], { maxRetries: 100 });
    const r = local(await run([c], { decision: decision({ timeoutMs: 250, retry: retry({ perTryTimeoutMs: 100, numRetries: 50 }) }) }).result);
    assert.equal(r.status, 504);
    assert.ok(r.attempts >= 2 && r.attempts <= 3, `attempts ${r.attempts}`);
    assert.equal(c.retriesInUse, 0);
    c.close();
  });

  it('a per-try timeout not shorter than the route timeout is ignored', async () => {
    const b = await backend(() => {});
    const c = new TestHttpCluster('main', [b.address]);
    const { result, stats } = run([c], { decision: decision({ timeoutMs: 100, retry: retry({ perTryTimeoutMs: 100 }) }) });
    const r = local(await result);
    assert.equal(r.attempts, 1);
    assert.equal(stats.get('envoy_cluster_upstream_rq_per_try_timeout', tags), 0);
    assert.equal(b.seen[0]!.headers['x-envoy-expected-rq-timeout-ms'], '100');
    c.close();
  });

  it('the route timeout resets a response whose body is still streaming', async () => {
    const b = await backend((_n, _req, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    const c = new TestHttpCluster('main', [b.address]);
    const { result, stats } = run([c], { decision: decision({ timeoutMs: 150 }) });
    const r = upstream(await result);
    await assert.rejects(text(r.body), (e: unknown) => e instanceof UpstreamError && e.reason === 'timeout');
    assert.equal(stats.get('envoy_cluster_upstream_rq_timeout', tags), 1);
    c.close();
  });

  it('timeout 0 disables the route timeout', async () => {
    const b = await backend((_n, _req, res) => setTimeout(() => res.end('slow'), 50));
    const c = new TestHttpCluster('main', [b.address]);
    const r = upstream(await run([c], { decision: decision({ timeoutMs: 0 }) }).result);
    assert.equal(await text(r.body), 'slow');
    assert.equal(b.seen[0]!.headers['x-envoy-expected-rq-timeout-ms'], undefined);
    c.close();
  });
});

describe('router: failures and the downstream', () => {
  it('an open max_requests breaker is 503 UO, never retried', async () => {
    const b = await backend(() => {});
    const c = new TestHttpCluster('main', [b.address], { maxRequests: 0 });
    const { result, stats } = run([c], { decision: decision({ retry: retry({ retryOn: new Set(['5xx', 'reset']) }) }) });
    const r = local(await result);
    assert.equal(r.status, 503);
    assert.deepEqual(r.flags, ['UO']);
    assert.equal(r.body, 'upstream connect error or disconnect/reset before headers. reset reason: overflow');
    assert.equal(r.attempts, 1);
    assert.equal(stats.get('envoy_cluster_upstream_rq_retry', tags), 0);
    c.close();
  });

  it('no healthy upstream is 503 UH "no healthy upstream"', async () => {
    const c = new TestHttpCluster('main', []);
    const r = local(await run([c], { decision: decision({ retry: retry() }) }).result);
    assert.deepEqual([r.status, r.body, r.flags], [503, 'no healthy upstream', ['UH']]);
    assert.equal(c.retriesInUse, 0);
  });

  it('a downstream disconnect aborts the attempt: status 0, flag DC', async () => {
    const b = await backend(() => {});
    const c = new TestHttpCluster('main', [b.address]);
    const ac = new AbortController();
    const { result } = run([c], { signal: ac.signal });
    await b.received(1);
    ac.abort();
    const r = local(await result);
    assert.deepEqual([r.status, r.flags], [0, ['DC']]);
    assert.equal(c.requests[0]!.signal.aborted, true);
    c.close();
  });
});

describe('router: mirrors', () => {
  it('the mirror gets a copy with a -shadow authority; its failure does not touch the response', async () => {
    const main = await backend((_n, _req, res) => res.end('main'));
    const shadow = await backend((_n, req) => req.socket.destroy());
    const cm = new TestHttpCluster('main', [main.address]);
    const cs = new TestHttpCluster('shadow', [shadow.address]);
    const r = upstream(await run([cm, cs], { decision: decision({ mirrors: [{ cluster: 'shadow', fraction: 1 }, { cluster: 'missing', fraction: 1 }] }) }).result);
    assert.equal(r.status, 200);
    assert.equal(await text(r.body), 'main');
    assert.equal(r.attempts, 1);
    await shadow.received(1);
    assert.equal(shadow.seen[0]!.headers.host, 'svc-shadow:8080');
    assert.equal(shadow.seen[0]!.url, '/hello?x=1');
    assert.equal(shadow.seen[0]!.body, 'payload');
    assert.equal(main.seen[0]!.headers.host, 'svc:8080');
    cm.close();
    cs.close();
  });

  it('a slow mirror does not delay the response', async () => {
    const main = await backend((_n, _req, res) => res.end('main'));
    const shadow = await backend(() => {});
    const cm = new TestHttpCluster('main', [main.address]);
    const cs = new TestHttpCluster('shadow', [shadow.address]);
    const r = upstream(await run([cm, cs], { decision: decision({ timeoutMs: 60_000, mirrors: [{ cluster: 'shadow', fraction: 1 }] }) }).result);
    assert.equal(await text(r.body), 'main');
    await shadow.received(1);
    cm.close();
    cs.close();
  });

  it('samples by fraction and can keep the authority', async () => {
    const main = await backend((_n, _req, res) => res.end('main'));
    const shadow = await backend((_n, _req, res) => res.end());
    const cm = new TestHttpCluster('main', [main.address]);
    const cs = new TestHttpCluster('shadow', [shadow.address]);
    const mirrors = [
      { cluster: 'shadow', fraction: 0.4 },
      { cluster: 'shadow', fraction: 0.6, disableShadowHostSuffixAppend: true },
    ];
    const r = upstream(await run([cm, cs], { random: () => 0.5, decision: decision({ mirrors }) }).result);
    r.body.resume();
    await shadow.received(1);
    assert.equal(cs.requests.length, 1);
    assert.equal(shadow.seen[0]!.headers.host, 'svc:8080');
    cm.close();
    cs.close();
  });
});

// Clusters against real loopback backends: load balancing, keep-alive,
// EDS updates in place, ORIGINAL_DST, connect failures, request hygiene.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { any } from '../testing/decoded.js';
import { UpstreamError } from '../types.js';
import type { UpstreamResponse } from './pool.js';
import { assignment, harness, httpBackend, ms, send, sleep, staticCluster, tally, waitFor, type Backend } from './testing.js';

function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rejection = async (p: Promise<unknown>): Promise<UpstreamError> => {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof UpstreamError, `expected UpstreamError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
};

describe('cluster load balancing over real backends', () => {
  const backends: Backend[] = [];
  const h = harness(seeded(42));
  before(async () => {
    for (let i = 0; i < 3; i++) backends.push(await httpBackend());
  });
  after(async () => {
    await h.cm.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('weighted ROUND_ROBIN sends 1:2:3 over 1,200 requests (each within 2%)', async () => {
    const [a, b, c] = backends as [Backend, Backend, Backend];
    h.apply([staticCluster('rr', [{ port: a.port, weight: 1 }, { port: b.port, weight: 2 }, { port: c.port, weight: 3 }])]);
    const answers: string[] = [];
    for (let i = 0; i < 1200; i++) answers.push((await send(h.cluster('rr'))).body);
    const t = tally(answers);
    for (const [port, want] of [[a.port, 200], [b.port, 400], [c.port, 600]] as const) assert.ok(Math.abs(t.get(String(port))! - want) <= 24, `port ${port}: ${t.get(String(port))} ≈ ${want}`);
    // Keep-alive: one connection per backend for sequential requests.
    assert.equal(h.stat('envoy_cluster_upstream_cx_total', 'rr'), 3);
    assert.equal(h.stat('envoy_cluster_upstream_rq_total', 'rr'), 1200);
    assert.equal(h.stat('envoy_cluster_upstream_rq_xx', 'rr', { envoy_response_code_class: '2' }), 1200);
    assert.equal(h.stat('envoy_cluster_upstream_rq', 'rr', { envoy_response_code: '200' }), 1200);
    assert.match(h.stats.prometheus(), /envoy_cluster_upstream_rq_time_count\{envoy_cluster_name="rr"\} 1200/);
  });

  it('RING_HASH sends a key to the same backend every time and spreads keys', async () => {
    h.apply([staticCluster('ring', backends.map((b) => ({ port: b.port })), { lb_policy: 'RING_HASH' })]);
    const owners = new Set<string>();
    for (let k = 0; k < 40; k++) {
      const first = (await send(h.cluster('ring'), { ctx: { hashKey: `session-${k}` } })).body;
      for (let i = 0; i < 3; i++) assert.equal((await send(h.cluster('ring'), { ctx: { hashKey: `session-${k}` } })).body, first);
      owners.add(first);
    }
    assert.equal(owners.size, 3);
  });

  it('LEAST_REQUEST prefers the idle backend over a busy one', async () => {
    const held: http.ServerResponse[] = [];
    let arrived = () => {};
    const slow = await httpBackend((_req, res) => {
      held.push(res);
      arrived();
    });
    const fast = backends[0]!;
    h.apply([staticCluster('lr', [{ port: slow.port }, { port: fast.port }], { lb_policy: 'LEAST_REQUEST' })]);
    try {
      let toFast = 0;
      for (let i = 0; i < 200; i++) {
        const heldAtSlow = new Promise<void>((r) => (arrived = r));
        await Promise.race([send(h.cluster('lr')).then(() => toFast++), heldAtSlow]);
      }
      // The busy backend is chosen only when both random choices land on it: ~25%.
      assert.ok(toFast >= 130 && toFast <= 170, `${toFast}/200 went to the idle backend`);
      assert.equal(toFast + held.length, 200);
    } finally {
      for (const r of held) r.end('late');
      await slow.close();
    }
  });

  it('uses all hosts when fewer than 50% are healthy (panic), otherwise only healthy ones; never DRAINING ones', async () => {
    const [a, b, c] = backends as [Backend, Backend, Backend];
    const ports = async (name: string) => new Set((await Promise.all(Array.from({ length: 30 }, () => send(h.cluster(name))))).map((x) => x.body));
    h.apply([staticCluster('mostly-ok', [{ port: a.port }, { port: b.port }, { port: c.port, health: 'UNHEALTHY' }])]);
    assert.deepEqual(await ports('mostly-ok'), new Set([String(a.port), String(b.port)]));
    h.apply([staticCluster('panic', [{ port: a.port }, { port: b.port, health: 'UNHEALTHY' }, { port: c.port, health: 'TIMEOUT' }])]);
    assert.deepEqual(await ports('panic'), new Set([String(a.port), String(b.port), String(c.port)]));
    assert.ok(h.stat('envoy_cluster_lb_healthy_panic', 'panic') > 0);
    h.apply([staticCluster('drain', [{ port: a.port, health: 'UNHEALTHY' }, { port: b.port, health: 'DRAINING' }])]);
    assert.deepEqual(await ports('drain'), new Set([String(a.port)]));
    assert.equal(h.stat('envoy_cluster_membership_excluded', 'drain'), 1);
  });
});

describe('cluster membership and connections', () => {
  let a: Backend;
  let b: Backend;
  const h = harness();
  before(async () => {
    a = await httpBackend();
    b = await httpBackend();
  });
  after(async () => {
    await h.cm.close();
    await a.close();
    await b.close();
  });

  it('an EDS update keeps an existing host and its pooled connection; a removed host is drained', async () => {
    const eds = { name: 'eds', type: 'EDS' as const, eds_cluster_config: { service_name: 'svc' }, connect_timeout: ms(1000) };
    h.apply([eds], [assignment('svc', [{ port: a.port }])]);
    for (let i = 0; i < 3; i++) assert.equal((await send(h.cluster('eds'))).body, String(a.port));
    assert.equal(a.connections, 1);
    const clusterObject = h.cluster('eds');
    h.apply([eds], [assignment('svc', [{ port: a.port }, { port: b.port }])]);
    assert.equal(h.cluster('eds'), clusterObject, 'updated in place');
    const seen = tally(await (async () => {
      const out: string[] = [];
      for (let i = 0; i < 10; i++) out.push((await send(h.cluster('eds'))).body);
      return out;
    })());
    assert.equal(seen.get(String(a.port)), 5);
    assert.equal(seen.get(String(b.port)), 5);
    assert.equal(a.connections, 1, 'the surviving host kept its connection');
    // Removing `a` closes its idle connection.
    h.apply([eds], [assignment('svc', [{ port: b.port }])]);
    await waitFor('a drained', () => a.open === 0);
    for (let i = 0; i < 5; i++) assert.equal((await send(h.cluster('eds'))).body, String(b.port));
  });

  it('an EDS cluster without its ClusterLoadAssignment has no healthy upstream', async () => {
    h.apply([{ name: 'empty', type: 'EDS', eds_cluster_config: {}, connect_timeout: ms(1000) }]);
    const err = await rejection(send(h.cluster('empty')));
    assert.equal(err.reason, 'no_healthy_upstream');
    assert.equal(h.stat('envoy_cluster_upstream_cx_none_healthy', 'empty'), 1);
  });

  it('ORIGINAL_DST connects to LbContext.originalDst, and fails without one', async () => {
    h.apply([{ name: 'passthrough', type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', connect_timeout: ms(1000) }]);
    const c = h.cluster('passthrough');
    assert.equal((await send(c, { ctx: { originalDst: { address: '127.0.0.1', port: b.port } } })).body, String(b.port));
    const r = await send(c, { ctx: { originalDst: { address: '127.0.0.1', port: a.port } } });
    assert.equal(r.body, String(a.port));
    assert.equal(r.host, `127.0.0.1:${a.port}`);
    assert.equal((await rejection(send(c))).reason, 'no_healthy_upstream');
    const tcp = await c.connect({ originalDst: { address: '127.0.0.1', port: a.port } });
    assert.equal(tcp.host, `127.0.0.1:${a.port}`);
    // A tcp_proxy connection counts as an active upstream request while open, as in Envoy's TCP pool.
    assert.equal(h.stat('envoy_cluster_upstream_rq_active', 'passthrough'), 1);
    tcp.socket.destroy();
    await waitFor('closed', () => h.stat('envoy_cluster_upstream_rq_active', 'passthrough') === 0);
  });

  it('closes a connection after idle_timeout and after max_requests_per_connection', async () => {
    const opts = (o: object) => ({
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': any('envoy.extensions.upstreams.http.v3.HttpProtocolOptions', {
        explicit_http_config: { http_protocol_options: {} },
        common_http_protocol_options: o,
      }),
    });
    h.apply([staticCluster('idle', [{ port: a.port }], { typed_extension_protocol_options: opts({ idle_timeout: ms(100) }) })]);
    await send(h.cluster('idle'));
    assert.equal(h.stat('envoy_cluster_upstream_cx_active', 'idle'), 1);
    await waitFor('idle timeout', () => h.stat('envoy_cluster_upstream_cx_idle_timeout', 'idle') === 1);
    assert.equal(h.stat('envoy_cluster_upstream_cx_active', 'idle'), 0);

    h.apply([staticCluster('maxrq', [{ port: a.port }], { typed_extension_protocol_options: opts({ max_requests_per_connection: { value: 2 } }) })]);
    for (let i = 0; i < 4; i++) await send(h.cluster('maxrq'));
    assert.equal(h.stat('envoy_cluster_upstream_cx_total', 'maxrq'), 2);
    assert.equal(h.stat('envoy_cluster_upstream_cx_max_requests', 'maxrq'), 2);
  });

  it('drains a removed cluster: an in-flight request finishes, then its connection closes', async () => {
    let release!: () => void;
    const slow = await httpBackend((_req, res) => {
      release = () => res.end('done');
    });
    try {
      h.apply([staticCluster('gone', [{ port: slow.port }])]);
      const held = h.cluster('gone');
      const p = send(held);
      await waitFor('request at backend', () => slow.requests === 1);
      h.apply([]);
      assert.equal(h.cm.get('gone'), undefined);
      assert.equal((await rejection(send(held))).reason, 'no_healthy_upstream', 'a removed cluster takes no new requests');
      release();
      assert.equal((await p).body, 'done');
      await waitFor('connection closed', () => h.stat('envoy_cluster_upstream_cx_active', 'gone') === 0);
    } finally {
      await slow.close();
    }
  });
});

describe('upstream requests', () => {
  let echo: Backend;
  let seen: { headers: http.IncomingHttpHeaders; body: string; closed: boolean }[];
  const h = harness();
  before(async () => {
    seen = [];
    echo = await httpBackend((req, res) => {
      const entry = { headers: req.headers, body: '', closed: false };
      seen.push(entry);
      res.once('close', () => (entry.closed = true));
      if (req.url === '/hang') return;
      if (req.url === '/trailers') {
        req.resume();
        res.setHeader('trailer', 'x-checksum');
        res.write('part');
        res.addTrailers({ 'x-checksum': 'abc' });
        return void res.end();
      }
      req.setEncoding('utf8');
      req.on('data', (d: string) => (entry.body += d));
      req.on('end', () => {
        res.setHeader('connection', 'keep-alive');
        res.setHeader('x-answer', '1');
        res.end('ok');
      });
    });
    h.apply([staticCluster('echo', [{ port: echo.port }])]);
  });
  after(async () => {
    await h.cm.close();
    await echo.close();
  });

  it('removes hop-by-hop headers, sets Host from :authority, and streams a body', async () => {
    const body = Readable.from([Buffer.from('hello '), Buffer.from('world')]);
    const r = await send(h.cluster('echo'), {
      method: 'POST',
      path: '/upload?x=1',
      headers: { connection: 'x-private, close', 'x-private': 'secret', 'keep-alive': 'timeout=5', 'proxy-connection': 'x', upgrade: 'websocket', te: 'trailers, deflate', 'x-kept': 'yes', host: 'ignored' },
      body,
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-answer'], '1');
    assert.equal(r.headers.connection, undefined, 'hop-by-hop response header removed');
    const got = seen.at(-1)!;
    assert.equal(got.body, 'hello world');
    assert.equal(got.headers.host, 'backend.test');
    assert.equal(got.headers['x-kept'], 'yes');
    assert.equal(got.headers.te, 'trailers');
    for (const k of ['x-private', 'proxy-connection', 'upgrade']) assert.equal(got.headers[k], undefined, k);
    assert.notEqual(got.headers.connection, 'close');
  });

  it('passes HTTP/1.1 response trailers once the body has ended', async () => {
    const res = (await h.cluster('echo').request({ method: 'GET', path: '/trailers', authority: 'a', headers: {}, body: null, signal: new AbortController().signal }, {})) as UpstreamResponse;
    for await (const _ of res.body) void _;
    assert.deepEqual(await res.trailers, { 'x-checksum': 'abc' });
  });

  it('sends a Buffer body with its length', async () => {
    await send(h.cluster('echo'), { method: 'PUT', body: Buffer.from('abc') });
    assert.equal(seen.at(-1)!.headers['content-length'], '3');
    assert.equal(seen.at(-1)!.body, 'abc');
  });

  it('aborting the signal destroys the upstream request', async () => {
    const ac = new AbortController();
    const p = send(h.cluster('echo'), { path: '/hang', signal: ac.signal });
    await waitFor('request at backend', () => seen.at(-1)?.headers.host === 'backend.test' && seen.length > 0 && !seen.at(-1)!.closed && echo.requests > 0);
    await sleep(20);
    ac.abort();
    const err = await rejection(p);
    assert.equal(err.reason, 'reset');
    await waitFor('backend saw the close', () => seen.at(-1)!.closed);
    // The router's per-try timeout passes its own reason through.
    const ac2 = new AbortController();
    const p2 = send(h.cluster('echo'), { path: '/hang', signal: ac2.signal });
    await sleep(20);
    ac2.abort(new UpstreamError('timeout', 'per-try timeout'));
    assert.equal((await rejection(p2)).reason, 'timeout');
  });
});

describe('connect failures', () => {
  const h = harness();
  let silent: net.Server;
  let silentPort: number;
  const accepted = new Set<net.Socket>();
  before(async () => {
    // Accepts TCP but never answers a TLS ClientHello.
    silent = net.createServer((s) => void accepted.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as net.AddressInfo).port;
  });
  after(async () => {
    await h.cm.close();
    for (const s of accepted) s.destroy();
    silent.close();
  });

  it('a refused connection fails with connect_failure', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    h.apply([staticCluster('refused', [{ port }])]);
    const err = await rejection(send(h.cluster('refused')));
    assert.equal(err.reason, 'connect_failure');
    assert.equal(h.stat('envoy_cluster_upstream_cx_connect_fail', 'refused'), 1);
    assert.equal(h.stat('envoy_cluster_upstream_cx_active', 'refused'), 0);
    assert.equal((await rejection(h.cluster('refused').connect({}))).reason, 'connect_failure');
  });

  it('a handshake that never completes fails after connect_timeout', async () => {
    const tlsSocket = {
      name: 'envoy.transport_sockets.tls',
      typed_config: any('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', {}),
    };
    h.apply([staticCluster('slow', [{ port: silentPort }], { connect_timeout: ms(150), transport_socket: tlsSocket })]);
    const started = Date.now();
    const err = await rejection(send(h.cluster('slow')));
    assert.equal(err.reason, 'connect_failure');
    assert.ok(Date.now() - started >= 140, 'waited for connect_timeout');
    assert.equal(h.stat('envoy_cluster_upstream_cx_connect_timeout', 'slow'), 1);
    assert.equal(h.stat('envoy_cluster_upstream_cx_connect_fail', 'slow'), 1);
  });
});

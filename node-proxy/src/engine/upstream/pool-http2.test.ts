// HTTP/2 clusters against a real node:http2 server.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { any } from '../testing/decoded.js';
import { UpstreamError } from '../types.js';
import type { UpstreamResponse } from './pool.js';
import { harness, send, staticCluster, waitFor } from './testing.js';

const H2 = {
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': any('envoy.extensions.upstreams.http.v3.HttpProtocolOptions', { explicit_http_config: { http2_protocol_options: {} } }),
};

describe('HTTP/2 pool', () => {
  let server: http2.Http2Server;
  let port: number;
  const sessions = new Set<http2.ServerHttp2Session>();
  let sessionCount = 0;
  const held: http2.ServerHttp2Stream[] = [];
  const h = harness();

  before(async () => {
    server = http2.createServer();
    server.on('session', (s) => {
      sessionCount++;
      sessions.add(s);
      s.once('close', () => sessions.delete(s));
    });
    server.on('stream', (stream, headers) => {
      stream.on('error', () => {}); // resets are part of the tests
      const path = headers[':path'];
      if (path === '/hold') return void held.push(stream);
      if (path === '/grpc') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'fine' }));
        return void stream.end(Buffer.from([0, 0, 0, 0, 0]));
      }
      let body = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => (body += d));
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'x-te': String(headers.te ?? ''), 'x-authority': String(headers[':authority']) });
        stream.end(`${stream.session?.socket.remotePort}:${body}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(async () => {
    for (const s of held) s.close();
    await h.cm.close();
    for (const s of sessions) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('multiplexes concurrent requests on one connection', async () => {
    h.apply([staticCluster('h2', [{ port }], { typed_extension_protocol_options: H2 })]);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => send(h.cluster('h2'), { method: 'POST', body: Buffer.from(String(i)), headers: { te: 'trailers' } })));
    const clientPorts = new Set(answers.map((a) => a.body.split(':')[0]));
    assert.equal(clientPorts.size, 1, 'one connection');
    assert.deepEqual(answers.map((a) => a.body.split(':')[1]).sort((x, y) => Number(x) - Number(y)), Array.from({ length: 20 }, (_, i) => String(i)));
    assert.equal(answers[0]!.headers['x-te'], 'trailers');
    assert.equal(answers[0]!.headers['x-authority'], 'backend.test');
    assert.equal(h.stat('envoy_cluster_upstream_cx_http2_total', 'h2'), 1);
    assert.equal(h.stat('envoy_cluster_upstream_rq_total', 'h2'), 20);
  });

  it('exposes response trailers (gRPC status) once the body has ended', async () => {
    const res = (await h.cluster('h2').request(
      { method: 'POST', path: '/grpc', authority: 'backend.test', headers: { 'content-type': 'application/grpc', te: 'trailers' }, body: Buffer.alloc(5), signal: new AbortController().signal },
      {},
    )) as UpstreamResponse;
    for await (const _ of res.body) void _;
    assert.deepEqual(await res.trailers, { 'grpc-status': '0', 'grpc-message': 'fine' });
    const plain = (await h.cluster('h2').request({ method: 'GET', path: '/', authority: 'a', headers: {}, body: null, signal: new AbortController().signal }, {})) as UpstreamResponse;
    for await (const _ of plain.body) void _;
    assert.equal(await plain.trailers, undefined);
  });

  it('opens a new connection after the server sends GOAWAY', async () => {
    const first = (await send(h.cluster('h2'))).body.split(':')[0];
    const before = sessionCount;
    for (const s of sessions) s.close(); // graceful: GOAWAY, then close
    await waitFor('client saw the close', () => h.stat('envoy_cluster_upstream_cx_active', 'h2') === 0);
    const second = (await send(h.cluster('h2'))).body.split(':')[0];
    assert.notEqual(second, first);
    assert.equal(sessionCount, before + 1);
  });

  it('max_requests bounds streams on the connection', async () => {
    h.apply([staticCluster('h2rq', [{ port }], { typed_extension_protocol_options: H2, circuit_breakers: { thresholds: [{ max_requests: { value: 2 } }] } })]);
    const a = send(h.cluster('h2rq'), { path: '/hold' });
    const b = send(h.cluster('h2rq'), { path: '/hold' });
    await waitFor('two held', () => held.length === 2);
    await assert.rejects(send(h.cluster('h2rq'), { path: '/hold' }), (e: unknown) => e instanceof UpstreamError && e.reason === 'overflow');
    assert.equal(h.stat('envoy_cluster_upstream_rq_pending_overflow', 'h2rq'), 1);
    assert.equal(h.stat('envoy_cluster_upstream_cx_total', 'h2rq'), 1);
    for (const s of held.splice(0)) {
      s.respond({ ':status': 204 });
      s.end();
    }
    assert.equal((await a).status, 204);
    assert.equal((await b).status, 204);
  });

  it('a stream reset before headers rejects with reset; abort cancels the stream', async () => {
    const p = send(h.cluster('h2rq'), { path: '/hold' });
    await waitFor('held', () => held.length === 1);
    held.shift()!.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    await assert.rejects(p, (e: unknown) => e instanceof UpstreamError && e.reason === 'reset');

    const ac = new AbortController();
    const q = send(h.cluster('h2rq'), { path: '/hold', signal: ac.signal });
    await waitFor('held', () => held.length === 1);
    const serverStream = held.shift()!;
    const closed = new Promise<number>((r) => serverStream.once('close', () => r(serverStream.rstCode ?? -1)));
    ac.abort();
    await assert.rejects(q, (e: unknown) => e instanceof UpstreamError);
    assert.equal(await closed, http2.constants.NGHTTP2_CANCEL);
  });
});

// Feature-matrix proof for Http2ProtocolOptions.max_concurrent_streams on an
// upstream cluster: concurrent requests beyond it open another connection.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { any } from '../testing/decoded.js';
import { harness, send, staticCluster, waitFor } from './testing.js';

const h2Options = (h2: object) => ({
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': any('envoy.extensions.upstreams.http.v3.HttpProtocolOptions', { explicit_http_config: { http2_protocol_options: h2 } }),
});

describe('HTTP/2 upstream options', () => {
  let server: http2.Http2Server;
  let port: number;
  let sessionCount = 0;
  const sessions = new Set<http2.ServerHttp2Session>();
  const held: http2.ServerHttp2Stream[] = [];
  const h = harness();

  before(async () => {
    server = http2.createServer();
    server.on('session', (s) => {
      sessionCount++;
      sessions.add(s);
      s.once('close', () => sessions.delete(s));
    });
    server.on('stream', (stream) => {
      stream.on('error', () => {});
      held.push(stream);
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

  const release = () => {
    for (const s of held.splice(0)) {
      s.respond({ ':status': 204 });
      s.end();
    }
  };

  it('max_concurrent_streams caps the streams on one upstream connection', async () => {
    h.apply([staticCluster('one-stream', [{ port }], { typed_extension_protocol_options: h2Options({ max_concurrent_streams: { value: 1 } }) })]);
    const before = sessionCount;
    const answers = [send(h.cluster('one-stream')), send(h.cluster('one-stream')), send(h.cluster('one-stream'))];
    await waitFor('three streams held', () => held.length === 3);
    assert.equal(sessionCount - before, 3, 'one connection per concurrent stream');
    release();
    for (const a of answers) assert.equal((await a).status, 204);

    // Without the option the same load shares one connection.
    h.apply([staticCluster('many-streams', [{ port }], { typed_extension_protocol_options: h2Options({}) })]);
    const shared = sessionCount;
    const more = [send(h.cluster('many-streams')), send(h.cluster('many-streams')), send(h.cluster('many-streams'))];
    await waitFor('three streams held', () => held.length === 3);
    assert.equal(sessionCount - shared, 1);
    release();
    for (const a of more) assert.equal((await a).status, 204);
  });
});

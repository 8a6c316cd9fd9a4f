// HTTP/2 and gRPC through the embedded engine: a real grpc-js client speaking
// h2c to the engine's listener, forwarded over HTTP/2 to real gRPC servers.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { packAny } from '../../api/src/any.js';
import { callWho, EchoClient, startEchoBackend, type EchoBackend } from '../../cli/src/echo.js';
import { EngineUnderTest, hcmListener, httpBackend, routes, staticCluster, type Backend } from './engine-harness.js';

const h2Options = {
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': packAny('envoy.extensions.upstreams.http.v3.HttpProtocolOptions', { explicit_http_config: { http2_protocol_options: {} } }),
};

describe('embedded engine: HTTP/2 and gRPC', () => {
  const e = new EngineUnderTest();
  let v1: EchoBackend;
  let v2: EchoBackend;
  let h1: Backend;
  let client: grpc.Client;

  before(async () => {
    [v1, v2] = await Promise.all([startEchoBackend('v1', '127.0.0.1'), startEchoBackend('v2', '127.0.0.1')]);
    h1 = await httpBackend('h1');
    await e.start({
      clusters: [staticCluster('echo', [v1.port, v2.port], { typed_extension_protocol_options: h2Options }), staticCluster('h1', [h1.port])],
      listeners: [hcmListener('grpc', 'main')],
      routes: [
        routes('main', [
          { match: { prefix: '/nodemesh.demo.Echo/' }, route: { cluster: 'echo' } },
          { match: { prefix: '/' }, route: { cluster: 'h1' } },
        ]),
      ],
    });
    client = new EchoClient(`127.0.0.1:${e.port('grpc')}`, grpc.credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await e.stop();
    await Promise.all([v1.stop(), v2.stop(), h1.close()]);
  });

  it('carries unary gRPC calls (trailers included) and balances them round robin', async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const who = await callWho(client);
      seen.set(who, (seen.get(who) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(seen), { v1: 10, v2: 10 });
  });

  it('serves an HTTP/2 (h2c prior knowledge) client from an HTTP/1.1 backend', async () => {
    const session = http2.connect(`http://127.0.0.1:${e.port('grpc')}`);
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = session.request({ ':path': '/plain', ':authority': 'svc.local' });
        let status = 0;
        let body = '';
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('data', (d) => (body += d));
        req.on('end', () => resolve({ status, body }));
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 200);
      assert.equal(body, 'h1');
      assert.equal(h1.seen.at(-1)?.path, '/plain');
    } finally {
      session.close();
    }
  });
});

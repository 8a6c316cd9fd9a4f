// Feature-matrix proofs for the HTTP connection manager and routes: each test
// programs the embedded engine over xDS with the field under test and
// observes its effect at a real client or backend.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { packAny } from '../../api/src/any.js';
import type { Listener } from '../../api/src/generated/envoy/config/listener/v3/Listener.js';
import type { RouteConfiguration } from '../../api/src/generated/envoy/config/route/v3/RouteConfiguration.js';
import { EngineUnderTest, hcmListener, httpBackend, request, routes, staticCluster, waitFor, type Backend } from './engine-harness.js';

const HTTP_RBAC = 'envoy.extensions.filters.http.rbac.v3.RBAC';

/** One HTTP/2 request with prior knowledge (h2c); rejects when the server does not speak HTTP/2. */
function h2Request(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({ ':path': path, ':authority': 'svc.local' });
    let status = 0;
    let body = '';
    req.on('response', (h) => (status = Number(h[':status'])));
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      session.close();
      resolve({ status, body });
    });
    req.on('error', (err) => {
      session.destroy();
      reject(err);
    });
    req.end();
  });
}

/** Sends one keep-alive HTTP/1.1 request on a raw socket; resolves with the ms from the response until the server closed the connection. */
function idleCloseMs(port: number, limitMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: svc.local\r\n\r\n'));
    let answeredAt = 0;
    const timer = setTimeout(() => {
      s.destroy();
      resolve(Infinity);
    }, limitMs);
    s.on('data', () => (answeredAt ||= Date.now()));
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - answeredAt);
    });
  });
}

describe('engine features: HTTP connection manager and routes', () => {
  const e = new EngineUnderTest();
  let a: Backend;
  let shadow: Backend;
  const ring: Backend[] = [];

  const inline: RouteConfiguration = {
    name: 'inline',
    virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'from the inline route_config' } } }] }],
  };
  const rbacListener = (): Listener =>
    hcmListener('rbac', 'main', {
      http_filters: [
        {
          name: 'envoy.filters.http.rbac',
          typed_config: packAny(HTTP_RBAC, {
            rules: { action: 'DENY', policies: { blocked: { permissions: [{ header: { name: 'x-block', present_match: true } }], principals: [{ any: true }] } } },
          }),
        },
      ],
    });
  const base = () => ({
    clusters: [staticCluster('a', [a.port]), staticCluster('shadow', [shadow.port]), staticCluster('ring', ring.map((b) => b.port), { lb_policy: 'RING_HASH' })],
    listeners: [
      hcmListener('http', 'main', { server_name: 'edge-proxy', generate_request_id: { value: false } }),
      hcmListener('h1only', 'main', { codec_type: 'HTTP1' }),
      hcmListener('h2only', 'main', { codec_type: 'HTTP2' }),
      hcmListener('inline', inline),
      hcmListener('idle', 'main', { common_http_protocol_options: { idle_timeout: { nanos: 200_000_000 } } }),
      rbacListener(),
    ],
    routes: [
      {
        name: 'main',
        validate_clusters: { value: false },
        virtual_hosts: [
          {
            name: 'all',
            domains: ['*'],
            routes: [
              { match: { prefix: '/auto-host' }, route: { cluster: 'a', auto_host_rewrite: { value: true } } },
              { match: { prefix: '/mirrored' }, route: { cluster: 'a', request_mirror_policies: [{ cluster: 'shadow' }] } },
              { match: { prefix: '/sticky' }, route: { cluster: 'ring', hash_policy: [{ header: { header_name: 'x-user' } }] } },
              { match: { prefix: '/missing' }, route: { cluster: 'no-such-cluster' } },
              { match: { prefix: '/bytes' }, direct_response: { status: 200, body: { inline_bytes: Buffer.from('héllo bytes', 'utf8') } } },
              { match: { prefix: '/' }, route: { cluster: 'a' } },
            ],
          },
        ],
      } satisfies RouteConfiguration,
    ],
  });

  before(async () => {
    [a, shadow] = await Promise.all([httpBackend('a'), httpBackend('shadow')]);
    for (let i = 0; i < 3; i++) ring.push(await httpBackend(`ring-${i}`));
    await e.start(base());
  });
  after(async () => {
    await e.stop();
    await Promise.all([a.close(), shadow.close(), ...ring.map((b) => b.close())]);
  });

  it('server_name is the Server header of every response', async () => {
    const r = await request(e.port('http'), '/');
    assert.equal(r.status, 200);
    assert.equal(r.headers.server, 'edge-proxy');
    assert.notEqual((await request(e.port('h1only'), '/')).headers.server, 'edge-proxy', 'only where configured');
  });

  it('generate_request_id false sends no x-request-id; the default generates one', async () => {
    await request(e.port('http'), '/');
    assert.equal(a.seen.at(-1)!.headers['x-request-id'], undefined);
    await request(e.port('h1only'), '/');
    assert.match(String(a.seen.at(-1)!.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  it('codec_type HTTP2 serves h2c clients; HTTP1 serves HTTP/1.1 and refuses an HTTP/2 preface', async () => {
    assert.deepEqual(await h2Request(e.port('h2only'), '/'), { status: 200, body: 'a' });
    assert.equal((await request(e.port('h1only'), '/')).body, 'a');
    await assert.rejects(h2Request(e.port('h1only'), '/'));
  });

  it('route_config inline serves its routes without RDS', async () => {
    const r = await request(e.port('inline'), '/anything');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'from the inline route_config');
  });

  it('common_http_protocol_options.idle_timeout closes an idle downstream connection', async () => {
    const idle = await idleCloseMs(e.port('idle'), 3000);
    assert.ok(idle >= 150 && idle < 2000, `closed ${idle} ms after the response (idle_timeout 200 ms)`);
    const kept = await idleCloseMs(e.port('h1only'), 800);
    assert.equal(kept, Infinity, 'without idle_timeout the connection stays open');
  });

  it('the HTTP RBAC filter denies matching requests with 403 and counts both outcomes', async () => {
    const port = e.port('rbac');
    assert.equal((await request(port, '/')).status, 200);
    const denied = await request(port, '/', { headers: { 'x-block': '1' } });
    assert.equal(denied.status, 403);
    assert.equal(denied.body, 'RBAC: access denied');
    assert.equal(e.stat('envoy_http_rbac_denied', { envoy_http_conn_manager_prefix: 'rbac' }), 1);
    assert.ok(e.stat('envoy_http_rbac_allowed', { envoy_http_conn_manager_prefix: 'rbac' }) >= 1);
  });

  it('auto_host_rewrite keeps the Host, as Envoy does for hosts without a hostname', async () => {
    await request(e.port('http'), '/auto-host', { host: 'original.example' });
    assert.equal(a.seen.at(-1)!.headers.host, 'original.example');
  });

  it('request_mirror_policies sends a copy to the mirror cluster with a -shadow authority', async () => {
    const before = shadow.seen.length;
    const r = await request(e.port('http'), '/mirrored?x=1', { method: 'POST', body: 'payload', host: 'svc.local' });
    assert.equal(r.body, 'a');
    await waitFor('the shadow request', () => shadow.seen.length > before);
    const copy = shadow.seen.at(-1)!;
    assert.equal(copy.path, '/mirrored?x=1');
    assert.equal(copy.body, 'payload');
    assert.equal(copy.headers.host, 'svc.local-shadow');
  });

  it('hash_policy on a header keeps each user on one RING_HASH backend and spreads users', async () => {
    const owners = new Set<string>();
    for (let u = 0; u < 24; u++) {
      const first = (await request(e.port('http'), '/sticky', { headers: { 'x-user': `user-${u}` } })).body;
      for (let i = 0; i < 3; i++) assert.equal((await request(e.port('http'), '/sticky', { headers: { 'x-user': `user-${u}` } })).body, first);
      owners.add(first);
    }
    assert.ok(owners.size >= 2, `users spread over ${[...owners].join(', ')}`);
  });

  it('validate_clusters false: a route naming a missing cluster is accepted and answers 503; true is NACKed', async () => {
    assert.equal((await request(e.port('http'), '/missing')).status, 503);
    const strict = base();
    strict.routes[0] = { ...strict.routes[0]!, validate_clusters: { value: true } };
    e.xds.set(strict);
    const nack = await waitFor('the NACK', () => e.xds.nack('rds'));
    assert.match(nack, /validate_clusters/);
    e.xds.set(base());
    await waitFor('the fixed config ACKed', () => !e.xds.nack('rds'));
  });

  it('direct_response inline_bytes sends the bytes as the body', async () => {
    const r = await request(e.port('http'), '/bytes');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'héllo bytes');
    assert.equal(r.headers['content-length'], String(Buffer.byteLength('héllo bytes')));
  });
});

// Feature-matrix proofs for the HTTP connection manager and routes: each test
// programs the embedded engine over xDS with the field under test and
// observes its effect at a real client or backend.
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
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
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error('no HTTP/2 answer within 2 s'));
    }, 2000);
    session.on('close', () => clearTimeout(timer));
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
  const dir = mkdtempSync(join(tmpdir(), 'nodemesh-features-'));
  const logPath = join(dir, 'access.log');
  const accessLog = [
    {
      name: 'envoy.access_loggers.file',
      typed_config: packAny('envoy.extensions.access_loggers.file.v3.FileAccessLog', {
        path: logPath,
        log_format: { json_format: { fields: { route: { stringValue: '%ROUTE_NAME%' }, path: { stringValue: '%REQ(:PATH)%' } } } },
      }),
    },
  ];
  const meta = { filter_metadata: { 'nodemesh.io': { fields: { owner: { stringValue: 'tests' } } } } };
  let a: Backend;
  let shadow: Backend;
  let codes: Backend;
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
    clusters: [staticCluster('a', [a.port]), staticCluster('shadow', [shadow.port]), staticCluster('codes', [codes.port]), staticCluster('ring', ring.map((b) => b.port), { lb_policy: 'RING_HASH' })],
    listeners: [
      hcmListener('http', 'main', { server_name: 'edge-proxy', generate_request_id: { value: true }, access_log: accessLog }),
      hcmListener('h1only', 'main', { codec_type: 'HTTP1' }),
      hcmListener('h2only', 'main', { codec_type: 'HTTP2' }),
      hcmListener('noid', 'main', { generate_request_id: { value: false } }),
      hcmListener('inline', inline),
      hcmListener('idle', 'main', { common_http_protocol_options: { idle_timeout: { nanos: 200_000_000 } } }),
      rbacListener(),
    ],
    routes: [
      {
        name: 'main',
        validate_clusters: { value: false },
        metadata: meta,
        virtual_hosts: [
          {
            name: 'all',
            domains: ['*'],
            metadata: meta,
            routes: [
              { name: 'named-route', match: { prefix: '/named' }, route: { cluster: 'a' }, metadata: meta },
              {
                match: { prefix: '/formatted' },
                route: { cluster: 'a' },
                request_headers_to_add: [
                  { header: { key: 'x-peer', value: '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%' } },
                  { header: { key: 'x-peer-port', value: '%DOWNSTREAM_REMOTE_ADDRESS%' } },
                  { header: { key: 'x-host', value: '%HOSTNAME%' } },
                  { header: { key: 'x-start', value: '%START_TIME%' } },
                  { header: { key: 'x-literal', value: '100%%' } },
                  { header: { key: 'x-proto', value: '%PROTOCOL%' } },
                ],
                response_headers_to_add: [{ header: { key: 'x-upstream', value: '%UPSTREAM_REMOTE_ADDRESS%' } }],
              },
              {
                match: { prefix: '/teapot-retry' },
                route: {
                  cluster: 'codes',
                  retry_policy: {
                    retry_on: 'retriable-status-codes',
                    retriable_status_codes: [418],
                    num_retries: { value: 1 },
                    retry_back_off: { base_interval: { nanos: 5_000_000 }, max_interval: { nanos: 10_000_000 } },
                  },
                },
              },
              { match: { prefix: '/teapot-5xx' }, route: { cluster: 'codes', retry_policy: { retry_on: '5xx', num_retries: { value: 1 } } } },
              { match: { prefix: '/auto-host' }, route: { cluster: 'a', auto_host_rewrite: { value: true } } },
              { match: { prefix: '/mirrored' }, route: { cluster: 'a', request_mirror_policies: [{ cluster: 'shadow' }] } },
              { match: { prefix: '/sticky' }, route: { cluster: 'ring', hash_policy: [{ header: { header_name: 'x-user' } }] } },
              { match: { prefix: '/missing' }, route: { cluster: 'no-such-cluster' } },
              { match: { prefix: '/moved' }, direct_response: { status: 301 } },
              { match: { prefix: '/bytes' }, direct_response: { status: 200, body: { inline_bytes: Buffer.from([0xff, 0x00, 0xfe, 0x41]) } } },
              { match: { prefix: '/' }, route: { cluster: 'a' } },
            ],
          },
        ],
      } as RouteConfiguration,
    ],
  });

  before(async () => {
    [a, shadow, codes] = await Promise.all([httpBackend('a'), httpBackend('shadow'), httpBackend('codes')]);
    // Every other answer is 418: a first attempt is refused, its retry served.
    codes.handler = (_req, res) => {
      res.statusCode = codes.seen.length % 2 === 1 ? 418 : 200;
      res.end(String(res.statusCode));
    };
    for (let i = 0; i < 3; i++) ring.push(await httpBackend(`ring-${i}`));
    await e.start(base());
  });
  after(async () => {
    await e.stop();
    await Promise.all([a.close(), shadow.close(), codes.close(), ...ring.map((b) => b.close())]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('server_name is the Server header of every response', async () => {
    const r = await request(e.port('http'), '/');
    assert.equal(r.status, 200);
    assert.equal(r.headers.server, 'edge-proxy');
    assert.notEqual((await request(e.port('h1only'), '/')).headers.server, 'edge-proxy', 'only where configured');
  });

  it('generate_request_id true (explicit or default) adds an x-request-id and keeps one the client sent; false adds none', async () => {
    await request(e.port('noid'), '/');
    assert.equal(a.seen.at(-1)!.headers['x-request-id'], undefined);
    await request(e.port('http'), '/');
    assert.match(String(a.seen.at(-1)!.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    await request(e.port('h1only'), '/');
    assert.match(String(a.seen.at(-1)!.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    await request(e.port('http'), '/', { headers: { 'x-request-id': 'from-client' } });
    assert.equal(a.seen.at(-1)!.headers['x-request-id'], 'from-client');
  });

  it('header value operators expand in forwarded requests and responses', async () => {
    const r = await request(e.port('http'), '/formatted');
    const seen = a.seen.at(-1)!.headers;
    assert.equal(seen['x-peer'], '127.0.0.1');
    assert.match(String(seen['x-peer-port']), /^127\.0\.0\.1:\d+$/);
    assert.equal(seen['x-host'], hostname());
    assert.ok(Math.abs(Date.parse(String(seen['x-start'])) - Date.now()) < 5000, `START_TIME ${String(seen['x-start'])}`);
    assert.equal(seen['x-literal'], '100%');
    assert.equal(seen['x-proto'], 'HTTP/1.1');
    assert.equal(r.headers['x-upstream'], `127.0.0.1:${a.port}`);
  });

  it('Route name is the access log %ROUTE_NAME%; metadata on routes, virtual hosts and route configurations changes nothing', async () => {
    assert.equal((await request(e.port('http'), '/named')).body, 'a');
    const line = await waitFor('the log line', () =>
      readFileSync(logPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.path === '/named'),
    );
    assert.deepEqual(line, { route: 'named-route', path: '/named' });
  });

  it('codec_type HTTP1 serves HTTP/1.1 and refuses an HTTP/2 preface; HTTP2 serves h2c; AUTO serves both', async () => {
    assert.equal((await request(e.port('h1only'), '/')).body, 'a');
    await assert.rejects(h2Request(e.port('h1only'), '/'));
    assert.deepEqual(await h2Request(e.port('h2only'), '/'), { status: 200, body: 'a' });
    assert.deepEqual(await h2Request(e.port('http'), '/'), { status: 200, body: 'a' });
    assert.equal((await request(e.port('http'), '/')).body, 'a');
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

  it('retriable_status_codes retries a listed status; 5xx alone does not retry a 418', async () => {
    let before = codes.seen.length;
    const retried = await request(e.port('http'), '/teapot-retry');
    assert.equal(retried.status, 200);
    assert.equal(codes.seen.length - before, 2, 'the 418 and its retry');
    before = codes.seen.length;
    const kept = await request(e.port('http'), '/teapot-5xx');
    assert.equal(kept.status, 418);
    assert.equal(codes.seen.length - before, 1);
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
    strict.routes[0] = { ...strict.routes[0]!, validate_clusters: { value: true as boolean } };
    e.xds.set(strict);
    const nack = await waitFor('the NACK', () => e.xds.nack('rds'));
    assert.match(nack, /validate_clusters/);
    e.xds.set(base());
    await waitFor('the fixed config ACKed', () => !e.xds.nack('rds'));
  });

  it('direct_response inline_bytes sends the bytes as the body, exactly (not UTF-8 text)', async () => {
    const r = await new Promise<{ status: number; body: Buffer; length: string | undefined }>((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port: e.port('http'), path: '/bytes', headers: { host: 'svc.local' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), length: res.headers['content-length'] }));
        })
        .on('error', reject),
    );
    assert.equal(r.status, 200);
    assert.deepEqual([...r.body], [0xff, 0x00, 0xfe, 0x41]);
    assert.equal(r.length, '4');
  });

  it('a 3xx direct_response carries the request URI as Location, as Envoy', async () => {
    const r = await request(e.port('http'), '/moved?x=1', { host: 'svc.local' });
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, 'http://svc.local/moved?x=1');
  });
});

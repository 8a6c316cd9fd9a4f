// The embedded engine carrying real HTTP traffic, programmed over xDS.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { edsCluster, endpoints, EngineUnderTest, hcmListener, httpBackend, request, routes, staticCluster, waitFor, type Backend } from './engine-harness.js';

describe('embedded engine: HTTP routing', () => {
  const e = new EngineUnderTest();
  let a: Backend;
  let b: Backend;
  let c: Backend;
  let port: number;

  before(async () => {
    [a, b, c] = await Promise.all([httpBackend('a'), httpBackend('b'), httpBackend('c')]);
    await e.start({
      clusters: [edsCluster('a'), staticCluster('b', [b.port]), staticCluster('c', [c.port])],
      endpoints: [endpoints('a', [a.port])],
      listeners: [hcmListener('http', 'main')],
      routes: [
        {
          name: 'main',
          virtual_hosts: [
            {
              name: 'api',
              domains: ['api.example.com', 'api.example.com:*'],
              routes: [{ match: { prefix: '/' }, route: { cluster: 'c' } }],
            },
            {
              name: 'default',
              domains: ['*'],
              request_headers_to_add: [{ header: { key: 'x-vhost', value: 'default' } }],
              routes: [
                { name: 'split', match: { prefix: '/split' }, route: { weighted_clusters: { clusters: [{ name: 'a', weight: { value: 80 } }, { name: 'b', weight: { value: 20 } }] } } },
                { match: { prefix: '/only-post' , headers: [{ name: ':method', string_match: { exact: 'POST' } }] }, route: { cluster: 'b' } },
                { match: { prefix: '/q', query_parameters: [{ name: 'v', string_match: { exact: '2' } }] }, route: { cluster: 'b' } },
                { match: { prefix: '/h', headers: [{ name: 'x-canary', present_match: true }] }, route: { cluster: 'c' } },
                { match: { prefix: '/old/' }, route: { cluster: 'a', prefix_rewrite: '/new/', host_rewrite_literal: 'rewritten.local' } },
                { match: { path: '/go' }, redirect: { https_redirect: true, host_redirect: 'secure.example.com', response_code: 'PERMANENT_REDIRECT' } },
                { match: { path: '/teapot' }, direct_response: { status: 418, body: { inline_string: 'short and stout' } } },
                { match: { prefix: '/missing' }, route: { cluster: 'does-not-exist' } },
                { match: { prefix: '/' }, route: { cluster: 'a' }, response_headers_to_add: [{ header: { key: 'x-route', value: 'default' } }] },
              ],
            },
          ],
        },
      ],
    });
    port = e.port('http');
  });
  after(async () => {
    await e.stop();
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('forwards to an EDS cluster, adding request and response headers', async () => {
    const r = await request(port, '/hello');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'a');
    assert.equal(r.headers['x-route'], 'default');
    const seen = a.seen.at(-1)!;
    assert.equal(seen.path, '/hello');
    assert.equal(seen.headers['x-vhost'], 'default');
    assert.ok(seen.headers['x-request-id'], 'a request id is generated');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
  });

  it('selects the virtual host by domain (with port)', async () => {
    assert.equal((await request(port, '/', { host: 'api.example.com' })).body, 'c');
    assert.equal((await request(port, '/', { host: 'api.example.com:8080' })).body, 'c');
    assert.equal((await request(port, '/', { host: 'other.example.com' })).body, 'a');
  });

  it('splits by weight over 1,000 requests (80/20 within ±5 points)', async () => {
    const counts = { a: 0, b: 0 } as Record<string, number>;
    for (let i = 0; i < 1000; i++) counts[(await request(port, '/split'))['body']]!++;
    assert.ok(Math.abs(counts.a! / 10 - 80) <= 5, `a got ${counts.a! / 10}%`);
    assert.ok(Math.abs(counts.b! / 10 - 20) <= 5, `b got ${counts.b! / 10}%`);
  });

  it('matches method, query parameter and header presence', async () => {
    assert.equal((await request(port, '/only-post', { method: 'POST', body: 'x' })).body, 'b');
    assert.equal((await request(port, '/only-post')).body, 'a');
    assert.equal((await request(port, '/q?v=2')).body, 'b');
    assert.equal((await request(port, '/q?v=3')).body, 'a');
    assert.equal((await request(port, '/h', { headers: { 'x-canary': '1' } })).body, 'c');
    assert.equal((await request(port, '/h')).body, 'a');
  });

  it('rewrites the prefix and the host', async () => {
    await request(port, '/old/thing?x=1');
    const seen = a.seen.at(-1)!;
    assert.equal(seen.path, '/new/thing?x=1');
    assert.equal(seen.headers.host, 'rewritten.local');
  });

  it('redirects and answers directly', async () => {
    const r = await request(port, '/go?x=1');
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, 'https://secure.example.com/go?x=1');
    const t = await request(port, '/teapot');
    assert.equal(t.status, 418);
    assert.equal(t.body, 'short and stout');
  });

  it('answers 503 for a route whose cluster does not exist, and counts upstream requests in Envoy stats', async () => {
    assert.equal((await request(port, '/missing')).status, 503);
    assert.ok(e.stat('envoy_cluster_upstream_rq_total', { envoy_cluster_name: 'a' }) > 0);
    assert.ok(e.stat('envoy_http_downstream_rq_total', { envoy_http_conn_manager_prefix: 'http' }) > 1000);
  });

  it('applies a route update to the next request', async () => {
    e.xds.set({
      clusters: [edsCluster('a'), staticCluster('b', [b.port]), staticCluster('c', [c.port])],
      endpoints: [endpoints('a', [a.port])],
      listeners: [hcmListener('http', 'main')],
      routes: [routes('main', [{ match: { prefix: '/' }, route: { cluster: 'b' } }])],
    });
    await waitFor('the new route', async () => (await request(port, '/hello')).body === 'b');
  });
});

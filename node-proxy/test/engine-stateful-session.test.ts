// envoy.filters.http.stateful_session in the embedded engine, on real
// sockets: a client that presents the cookie (or header) it was given keeps
// reaching the same backend of a round-robin cluster; a host that leaves the
// cluster moves the session (or fails it, strict); the per-route config
// enables, replaces or disables the filter's own.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { packAny } from '../../api/src/any.js';
import type { RouteConfiguration } from '../../api/src/generated/envoy/config/route/v3/RouteConfiguration.js';
import { EngineUnderTest, hcmListener, httpBackend, request, staticCluster, type Backend } from './engine-harness.js';

const SESSION = 'envoy.extensions.filters.http.stateful_session.v3.StatefulSession';
const PER_ROUTE = 'envoy.extensions.filters.http.stateful_session.v3.StatefulSessionPerRoute';
const COOKIE = 'envoy.extensions.http.stateful_session.cookie.v3.CookieBasedSessionState';
const HEADER = 'envoy.extensions.http.stateful_session.header.v3.HeaderBasedSessionState';

const cookieState = (name: string, extra: { ttl?: { seconds: number }; path?: string } = {}) => ({
  name: 'envoy.http.stateful_session.cookie',
  typed_config: packAny(COOKIE, { cookie: { name, ...extra } }),
});
const headerState = (name: string) => ({ name: 'envoy.http.stateful_session.header', typed_config: packAny(HEADER, { name }) });
const perRoute = (config: object) => ({ 'envoy.filters.http.stateful_session': packAny(PER_ROUTE, config) });

/** The Set-Cookie value of `name`, without attributes, and its attributes. */
function setCookie(headers: Record<string, string | string[] | undefined>, name: string): { pair?: string; attributes: string[] } {
  const all = ([] as string[]).concat(headers['set-cookie'] ?? []);
  const line = all.find((l) => l.startsWith(`${name}=`));
  if (!line) return { attributes: [] };
  const [pair, ...attributes] = line.split(';').map((s) => s.trim());
  return { pair, attributes };
}

describe('engine: stateful sessions (envoy.filters.http.stateful_session)', () => {
  const e = new EngineUnderTest();
  const backends: Backend[] = [];
  let port = 0;
  let strictPort = 0;

  const routeConfig = (): RouteConfiguration => ({
    name: 'main',
    virtual_hosts: [
      {
        name: 'all',
        domains: ['*'],
        routes: [
          // The filter's own (cookie) session.
          { name: 'cookie', match: { prefix: '/cookie' }, route: { cluster: 'rr' } },
          // Replaced by a header session on this route.
          { name: 'header', match: { prefix: '/header' }, route: { cluster: 'rr' }, typed_per_filter_config: perRoute({ stateful_session: { session_state: headerState('x-session') } }) },
          // Disabled on this route.
          { name: 'off', match: { prefix: '/off' }, route: { cluster: 'rr' }, typed_per_filter_config: perRoute({ disabled: true }) },
          { name: 'rest', match: { prefix: '/' }, route: { cluster: 'rr' } },
        ],
      },
    ],
  });

  const resources = (hosts: number[]) => ({
    clusters: [staticCluster('rr', hosts)],
    routes: [routeConfig()],
    listeners: [
      hcmListener('session', 'main', {
        http_filters: [{ name: 'envoy.filters.http.stateful_session', typed_config: packAny(SESSION, { session_state: cookieState('nm-session', { ttl: { seconds: 120 }, path: '/' }) }) }],
      }),
      hcmListener('strict', 'main', {
        http_filters: [{ name: 'envoy.filters.http.stateful_session', typed_config: packAny(SESSION, { session_state: cookieState('nm-session'), strict: true }) }],
      }),
    ],
  });

  before(async () => {
    for (const n of ['b0', 'b1', 'b2']) backends.push(await httpBackend(n));
    await e.start(resources(backends.map((b) => b.port)));
    port = e.port('session');
    strictPort = e.port('strict');
  });
  after(async () => {
    await e.stop();
    for (const b of backends) await b.close();
  });

  it('a client presenting its session cookie keeps reaching the backend that first served it', async () => {
    const first = await request(port, '/cookie');
    const { pair, attributes } = setCookie(first.headers, 'nm-session');
    assert.ok(pair, 'the first response sets the session cookie');
    assert.deepEqual(attributes, ['Max-Age=120', 'Path=/', 'HttpOnly']);
    // The cookie names the host that answered (base64 of address:port, Envoy's encoding).
    const served = backends.find((b) => b.name === first.body)!;
    assert.equal(Buffer.from(pair!.split('=')[1]!.replace(/"/g, ''), 'base64').toString(), `127.0.0.1:${served.port}`);
    for (let i = 0; i < 9; i++) {
      const r = await request(port, '/cookie', { headers: { cookie: `other=1; ${pair}` } });
      assert.equal(r.body, first.body, `request ${i} stays on ${first.body}`);
      assert.equal(setCookie(r.headers, 'nm-session').pair, undefined, 'no new cookie while the session holds');
    }
    // Without the cookie the cluster is round robin: three requests reach three backends.
    const spread = new Set<string>();
    for (let i = 0; i < 3; i++) spread.add((await request(port, '/cookie')).body);
    assert.equal(spread.size, 3);
  });

  it('a per-route config replaces the session with a header one, or disables it', async () => {
    const first = await request(port, '/header');
    const token = first.headers['x-session'];
    assert.equal(typeof token, 'string');
    assert.equal(setCookie(first.headers, 'nm-session').pair, undefined, 'the route uses the header session, not the cookie');
    for (let i = 0; i < 6; i++) assert.equal((await request(port, '/header', { headers: { 'x-session': token as string } })).body, first.body);

    const off = await request(port, '/off');
    assert.equal(setCookie(off.headers, 'nm-session').pair, undefined);
    const cookie = setCookie((await request(port, '/cookie')).headers, 'nm-session').pair!;
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) seen.add((await request(port, '/off', { headers: { cookie } })).body);
    assert.equal(seen.size, 3, 'a disabled route ignores the cookie');
  });

  it('ignores a cookie that names no host of the cluster and sets a new one; strict answers 503', async () => {
    const bogus = `nm-session="${Buffer.from('10.9.9.9:1').toString('base64')}"`;
    const r = await request(port, '/cookie', { headers: { cookie: bogus } });
    assert.equal(r.status, 200);
    assert.ok(setCookie(r.headers, 'nm-session').pair, 'the client is told its new host');
    const garbage = await request(port, '/cookie', { headers: { cookie: 'nm-session=%%%' } });
    assert.equal(garbage.status, 200);

    const s = await request(strictPort, '/cookie', { headers: { cookie: bogus } });
    assert.equal(s.status, 503);
    assert.match(s.body, /no healthy upstream/);
    const ok = await request(strictPort, '/cookie');
    const pair = setCookie(ok.headers, 'nm-session');
    assert.deepEqual(pair.attributes, ['HttpOnly'], 'no ttl: a session cookie');
    assert.equal((await request(strictPort, '/cookie', { headers: { cookie: pair.pair! } })).body, ok.body);
  });

  it('moves a session whose host left the cluster to another host', async () => {
    const first = await request(port, '/cookie');
    const pair = setCookie(first.headers, 'nm-session').pair!;
    const remaining = backends.filter((b) => b.name !== first.body);
    e.xds.set(resources(remaining.map((b) => b.port)));
    let moved: Awaited<ReturnType<typeof request>> | undefined;
    for (let i = 0; i < 50 && !moved; i++) {
      const r = await request(port, '/cookie', { headers: { cookie: pair } });
      if (r.body !== first.body) moved = r;
      else await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(moved, 'the session moved once its host was removed');
    assert.ok(remaining.some((b) => b.name === moved!.body));
    assert.ok(setCookie(moved!.headers, 'nm-session').pair, 'and the client is told the new host');
  });
});

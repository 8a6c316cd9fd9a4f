import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteAction } from '../../../../api/src/generated/envoy/config/route/v3/RouteAction.js';
import type { RouteMatch } from '../../../../api/src/generated/envoy/config/route/v3/RouteMatch.js';
import type { VirtualHost } from '../../../../api/src/generated/envoy/config/route/v3/VirtualHost.js';
import type { RequestHead } from '../types.js';
import { ConfigRejected } from './fields.js';
import { forward, req, routes } from './test-helpers.js';

function fwd(action: RouteAction, r: Partial<RequestHead> = {}, match: RouteMatch = { prefix: '/' }, vhost: Partial<VirtualHost> = {}) {
  return forward(routes([{ name: 'r', match, route: action }], vhost).route(req(r)));
}

describe('RouteAction: cluster and defaults', () => {
  it('forwards to the cluster with Envoy defaults', () => {
    const d = fwd({ cluster: 'c' }, { path: '/x?y=1', authority: 'a.com' });
    assert.equal(d.cluster, 'c');
    assert.equal(d.vhost, 'vh');
    assert.equal(d.route, 'r');
    assert.equal(d.path, '/x?y=1');
    assert.equal(d.authority, 'a.com');
    assert.equal(d.timeoutMs, 15_000);
    assert.equal(d.clusterNotFoundStatus, 503);
    assert.equal(d.retry, undefined);
    assert.deepEqual(d.mirrors, []);
    assert.equal(d.hashKey, undefined);
    assert.equal(d.autoHostRewrite, undefined);
  });

  it('cluster_not_found_response_code', () => {
    assert.equal(fwd({ cluster: 'c', cluster_not_found_response_code: 'NOT_FOUND' }).clusterNotFoundStatus, 404);
    assert.equal(fwd({ cluster: 'c', cluster_not_found_response_code: 'INTERNAL_SERVER_ERROR' }).clusterNotFoundStatus, 500);
    assert.equal(fwd({ cluster: 'c', cluster_not_found_response_code: 'SERVICE_UNAVAILABLE' }).clusterNotFoundStatus, 503);
  });

  it('timeout: explicit, and 0 disables', () => {
    assert.equal(fwd({ cluster: 'c', timeout: { seconds: 2, nanos: 500_000_000 } }).timeoutMs, 2500);
    assert.equal(fwd({ cluster: 'c', timeout: { seconds: 0 } }).timeoutMs, 0);
  });
});

describe('RouteAction: path and host rewrites', () => {
  it('prefix_rewrite replaces the matched prefix and keeps the query', () => {
    assert.equal(fwd({ cluster: 'c', prefix_rewrite: '/v2/' }, { path: '/api/users?x=1' }, { prefix: '/api/' }).path, '/v2/users?x=1');
    assert.equal(fwd({ cluster: 'c', prefix_rewrite: '/' }, { path: '/prefix/foo' }, { prefix: '/prefix' }).path, '//foo');
  });

  it('prefix_rewrite on a case-insensitive prefix replaces as many characters', () => {
    assert.equal(fwd({ cluster: 'c', prefix_rewrite: '/x' }, { path: '/API/a' }, { prefix: '/api', case_sensitive: { value: false } }).path, '/x/a');
  });

  it('prefix_rewrite on an exact path route replaces the path', () => {
    assert.equal(fwd({ cluster: 'c', prefix_rewrite: '/new' }, { path: '/old?q' }, { path: '/old' }).path, '/new?q');
  });

  it('prefix_rewrite on a regex route replaces the whole path, keeping the query', () => {
    assert.equal(fwd({ cluster: 'c', prefix_rewrite: '/r' }, { path: '/a/1?q=2' }, { safe_regex: { regex: '/a/[0-9]' } }).path, '/r?q=2');
  });

  it('regex_rewrite substitutes groups over the path without query, every match', () => {
    const action: RouteAction = {
      cluster: 'c',
      regex_rewrite: { pattern: { regex: '^/service/([^/]+)(/.*)$' }, substitution: '\\2/instance/\\1' },
    };
    assert.equal(fwd(action, { path: '/service/foo/v1/api?x=1' }).path, '/v1/api/instance/foo?x=1');
    const all: RouteAction = { cluster: 'c', regex_rewrite: { pattern: { regex: 'one' }, substitution: 'two' } };
    assert.equal(fwd(all, { path: '/xxx/one/yyy/one/zzz?one' }).path, '/xxx/two/yyy/two/zzz?one');
  });

  it('rejects prefix_rewrite together with regex_rewrite', () => {
    assert.throws(() => fwd({ cluster: 'c', prefix_rewrite: '/a', regex_rewrite: { pattern: { regex: 'a' }, substitution: 'b' } }), ConfigRejected);
  });

  it('host_rewrite_literal and auto_host_rewrite', () => {
    assert.equal(fwd({ cluster: 'c', host_rewrite_literal: 'internal.svc' }, { authority: 'public.com' }).authority, 'internal.svc');
    const auto = fwd({ cluster: 'c', auto_host_rewrite: { value: true } }, { authority: 'public.com' });
    assert.equal(auto.autoHostRewrite, true);
    assert.equal(auto.authority, 'public.com');
    assert.equal(fwd({ cluster: 'c', auto_host_rewrite: { value: false } }).autoHostRewrite, undefined);
  });
});

describe('RouteAction: weighted clusters', () => {
  const weighted: RouteAction = {
    weighted_clusters: {
      clusters: [
        { name: 'a', weight: { value: 20 } },
        { name: 'b', weight: { value: 80 } },
        { name: 'never', weight: { value: 0 } },
      ],
    },
  };

  it('picks by weight over the random draw boundaries', () => {
    const t = routes([{ match: { prefix: '/' }, route: weighted }]);
    assert.equal(forward(t.route(req(), () => 0)).cluster, 'a');
    assert.equal(forward(t.route(req(), () => 0.1999)).cluster, 'a');
    assert.equal(forward(t.route(req(), () => 0.2)).cluster, 'b');
    assert.equal(forward(t.route(req(), () => 0.9999999)).cluster, 'b');
  });

  it('splits 10,000 draws within ±2% of the weights', () => {
    const t = routes([{ match: { prefix: '/' }, route: weighted }]);
    let seed = 42;
    // A seeded LCG keeps the test deterministic while exercising the whole [0,1) range.
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const c = forward(t.route(req(), random)).cluster;
      counts[c] = (counts[c] ?? 0) + 1;
    }
    assert.ok(Math.abs((counts['a'] ?? 0) / 10_000 - 0.2) <= 0.02, JSON.stringify(counts));
    assert.ok(Math.abs((counts['b'] ?? 0) / 10_000 - 0.8) <= 0.02, JSON.stringify(counts));
    assert.equal(counts['never'], undefined);
  });

  it('per-cluster header mutations come first and host_rewrite_literal applies', () => {
    const t = routes([
      {
        match: { prefix: '/' },
        request_headers_to_add: [{ header: { key: 'x-route', value: 'r' } }],
        route: {
          weighted_clusters: {
            clusters: [
              {
                name: 'a',
                weight: { value: 1 },
                request_headers_to_add: [{ header: { key: 'x-cluster', value: 'a' } }],
                response_headers_to_remove: ['x-secret'],
                host_rewrite_literal: 'a.internal',
              },
            ],
          },
        },
      },
    ]);
    const d = forward(t.route(req()));
    assert.deepEqual(
      d.requestHeaders.map((m) => m.set.map((s) => s.name)),
      [['x-cluster'], ['x-route']],
    );
    assert.deepEqual(d.responseHeaders, [{ set: [], remove: ['x-secret'] }]);
    assert.equal(d.authority, 'a.internal');
  });

  it('rejects weights summing to zero', () => {
    assert.throws(() => routes([{ match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: 'a', weight: { value: 0 } }] } } }]), ConfigRejected);
  });
});

describe('RouteAction: retry policy', () => {
  it('applies Envoy defaults', () => {
    const r = fwd({ cluster: 'c', retry_policy: { retry_on: '5xx, reset' } }).retry!;
    assert.deepEqual([...r.retryOn], ['5xx', 'reset']);
    assert.equal(r.numRetries, 1);
    assert.equal(r.perTryTimeoutMs, 0);
    assert.deepEqual(r.retriableStatusCodes, []);
    assert.deepEqual(r.backoff, { baseMs: 25, maxMs: 250 });
  });

  it('reads every field; num_retries 0 is explicit', () => {
    const r = fwd({
      cluster: 'c',
      retry_policy: {
        retry_on: 'retriable-status-codes',
        num_retries: { value: 0 },
        per_try_timeout: { nanos: 250_000_000 },
        retriable_status_codes: [409, 418],
        retry_back_off: { base_interval: { nanos: 100_000_000 } },
      },
    }).retry!;
    assert.equal(r.numRetries, 0);
    assert.equal(r.perTryTimeoutMs, 250);
    assert.deepEqual(r.retriableStatusCodes, [409, 418]);
    assert.deepEqual(r.backoff, { baseMs: 100, maxMs: 1000 });
    const m = fwd({ cluster: 'c', retry_policy: { retry_back_off: { base_interval: { seconds: 1 }, max_interval: { seconds: 3 } } } }).retry!;
    assert.deepEqual(m.backoff, { baseMs: 1000, maxMs: 3000 });
  });

  it('the route policy replaces the virtual host policy entirely', () => {
    const vhost = { retry_policy: { retry_on: 'connect-failure', num_retries: { value: 5 } } };
    assert.equal(fwd({ cluster: 'c' }, {}, { prefix: '/' }, vhost).retry!.numRetries, 5);
    const own = fwd({ cluster: 'c', retry_policy: { retry_on: '5xx' } }, {}, { prefix: '/' }, vhost).retry!;
    assert.equal(own.numRetries, 1);
    assert.deepEqual([...own.retryOn], ['5xx']);
  });

  it('rejects a max_interval below the base_interval', () => {
    assert.throws(
      () => fwd({ cluster: 'c', retry_policy: { retry_back_off: { base_interval: { seconds: 2 }, max_interval: { seconds: 1 } } } }),
      ConfigRejected,
    );
  });
});

describe('RouteAction: mirrors', () => {
  it('fractions from runtime_fraction default_value; 1 without one', () => {
    const d = fwd({
      cluster: 'c',
      request_mirror_policies: [
        { cluster: 'm1' },
        { cluster: 'm2', runtime_fraction: { default_value: { numerator: 25 } } },
        { cluster: 'm3', runtime_fraction: { default_value: { numerator: 5, denominator: 'TEN_THOUSAND' } } },
        { cluster: 'm4', runtime_fraction: { default_value: { numerator: 10, denominator: 'MILLION' } } },
        { cluster: 'm5', runtime_fraction: { runtime_key: 'k' } },
      ],
    });
    assert.deepEqual(
      d.mirrors.map((m) => [m.cluster, m.fraction]),
      [
        ['m1', 1],
        ['m2', 0.25],
        ['m3', 0.0005],
        ['m4', 0.00001],
        ['m5', 0],
      ],
    );
  });

  it('route policies replace virtual host ones, which replace route configuration ones', () => {
    const t = (action: RouteAction, vhost: Partial<VirtualHost>) =>
      forward(routes([{ match: { prefix: '/' }, route: action }], vhost, { request_mirror_policies: [{ cluster: 'from-rc' }] }).route(req()));
    assert.deepEqual(t({ cluster: 'c' }, {}).mirrors.map((m) => m.cluster), ['from-rc']);
    assert.deepEqual(t({ cluster: 'c' }, { request_mirror_policies: [{ cluster: 'from-vh' }] }).mirrors.map((m) => m.cluster), ['from-vh']);
    assert.deepEqual(
      t({ cluster: 'c', request_mirror_policies: [{ cluster: 'own' }] }, { request_mirror_policies: [{ cluster: 'from-vh' }] }).mirrors.map((m) => m.cluster),
      ['own'],
    );
  });
});

describe('RouteAction: hash policy', () => {
  it('header, query parameter and source ip', () => {
    assert.equal(fwd({ cluster: 'c', hash_policy: [{ header: { header_name: 'x-user' } }] }, { headers: { 'x-user': 'u1' } }).hashKey, 'u1');
    assert.equal(fwd({ cluster: 'c', hash_policy: [{ header: { header_name: ':authority' } }] }, { authority: 'h.com' }).hashKey, 'h.com');
    assert.equal(fwd({ cluster: 'c', hash_policy: [{ query_parameter: { name: 'session' } }] }, { path: '/a?session=s9&session=x' }).hashKey, 's9');
    assert.equal(fwd({ cluster: 'c', hash_policy: [{ connection_properties: { source_ip: true } }] }, { remoteAddress: '10.1.2.3:4567' }).hashKey, '10.1.2.3');
    assert.equal(fwd({ cluster: 'c', hash_policy: [{ connection_properties: { source_ip: true } }] }, { remoteAddress: '[2001:db8::1]:80' }).hashKey, '2001:db8::1');
  });

  it('no producing policy: no key', () => {
    assert.equal(fwd({ cluster: 'c', hash_policy: [{ header: { header_name: 'x-user' } }] }).hashKey, undefined);
  });

  it('every producing policy contributes until a terminal one produced', () => {
    const both = fwd(
      { cluster: 'c', hash_policy: [{ header: { header_name: 'x-a' } }, { header: { header_name: 'x-b' } }] },
      { headers: { 'x-a': '1', 'x-b': '2' } },
    ).hashKey;
    const onlyA = fwd({ cluster: 'c', hash_policy: [{ header: { header_name: 'x-a' } }] }, { headers: { 'x-a': '1' } }).hashKey;
    assert.notEqual(both, onlyA);
    const terminal = fwd(
      { cluster: 'c', hash_policy: [{ header: { header_name: 'x-a' }, terminal: true }, { header: { header_name: 'x-b' } }] },
      { headers: { 'x-a': '1', 'x-b': '2' } },
    ).hashKey;
    assert.equal(terminal, '1');
    // A terminal policy that produced nothing does not stop the next one.
    const skipped = fwd(
      { cluster: 'c', hash_policy: [{ header: { header_name: 'x-none' }, terminal: true }, { header: { header_name: 'x-b' } }] },
      { headers: { 'x-b': '2' } },
    ).hashKey;
    assert.equal(skipped, '2');
  });
});

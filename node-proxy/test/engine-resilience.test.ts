// Retries, timeouts, circuit breakers and outlier detection in the embedded
// engine, observed at real backends.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EngineUnderTest, hcmListener, httpBackend, request, routes, staticCluster, waitFor, type Backend } from './engine-harness.js';

describe('embedded engine: retries and timeouts', () => {
  const e = new EngineUnderTest();
  let flaky: Backend;
  let slow: Backend;
  let port: number;
  let failuresLeft = 0;

  before(async () => {
    [flaky, slow] = await Promise.all([httpBackend('flaky'), httpBackend('slow')]);
    flaky.handler = (_req, res) => {
      if (failuresLeft-- > 0) {
        res.statusCode = 503;
        return res.end('busy');
      }
      res.end('ok');
    };
    let slowCalls = 0;
    slow.handler = (req, res) => {
      // The first attempt of each /per-try request hangs; retries answer at once.
      const delay = req.path.startsWith('/per-try') ? (slowCalls++ % 2 === 0 ? 1000 : 0) : 1000;
      setTimeout(() => res.end('late'), delay);
    };
    await e.start({
      clusters: [staticCluster('flaky', [flaky.port]), staticCluster('slow', [slow.port])],
      listeners: [hcmListener('http', 'main')],
      routes: [
        routes('main', [
          { match: { prefix: '/retry' }, route: { cluster: 'flaky', retry_policy: { retry_on: '5xx', num_retries: { value: 3 }, retry_back_off: { base_interval: { nanos: 5_000_000 } } } } },
          { match: { prefix: '/no-retry' }, route: { cluster: 'flaky' } },
          { match: { prefix: '/per-try' }, route: { cluster: 'slow', timeout: { seconds: '5' }, retry_policy: { retry_on: 'reset', num_retries: { value: 2 }, per_try_timeout: { nanos: 200_000_000 } } } },
          { match: { prefix: '/timeout' }, route: { cluster: 'slow', timeout: { nanos: 300_000_000 } } },
        ]),
      ],
    });
    port = e.port('http');
  });
  after(async () => {
    await e.stop();
    await Promise.all([flaky.close(), slow.close()]);
  });

  it('retries 5xx: two failures then success are three attempts at the backend', async () => {
    failuresLeft = 2;
    const before = flaky.seen.length;
    const r = await request(port, '/retry');
    assert.equal(r.status, 200);
    assert.equal(flaky.seen.length - before, 3);
    assert.equal(e.stat('envoy_cluster_upstream_rq_retry', { envoy_cluster_name: 'flaky' }), 2);
  });

  it('gives up after num_retries and returns the last upstream answer', async () => {
    failuresLeft = 10;
    const before = flaky.seen.length;
    const r = await request(port, '/retry');
    assert.equal(r.status, 503);
    assert.equal(flaky.seen.length - before, 4, '1 try + 3 retries');
    failuresLeft = 0;
  });

  it('does not retry without a retry policy', async () => {
    failuresLeft = 1;
    const before = flaky.seen.length;
    assert.equal((await request(port, '/no-retry')).status, 503);
    assert.equal(flaky.seen.length - before, 1);
  });

  it('a per-try timeout abandons the slow attempt and the retry answers', async () => {
    const before = slow.seen.length;
    const r = await request(port, '/per-try');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'late');
    await waitFor('both attempts seen', () => slow.seen.length - before >= 2);
  });

  it('the route timeout answers 504', async () => {
    const t0 = Date.now();
    const r = await request(port, '/timeout');
    assert.equal(r.status, 504);
    assert.ok(Date.now() - t0 < 900, 'answered at the route timeout, not when the backend did');
    assert.ok(e.stat('envoy_cluster_upstream_rq_timeout', { envoy_cluster_name: 'slow' }) >= 1);
  });
});

describe('embedded engine: circuit breakers and outlier detection', () => {
  const e = new EngineUnderTest();
  let hold: Backend;
  let good: Backend;
  let bad: Backend;
  let port: number;
  const waiting: (() => void)[] = [];

  before(async () => {
    [hold, good, bad] = await Promise.all([httpBackend('hold'), httpBackend('good'), httpBackend('bad')]);
    hold.handler = (_req, res) => waiting.push(() => res.end('released'));
    let badFails = true;
    bad.handler = (_req, res) => {
      res.statusCode = badFails ? 500 : 200;
      res.end('bad');
    };
    (bad as Backend & { heal(): void }).heal = () => void (badFails = false);
    await e.start({
      clusters: [
        staticCluster('hold', [hold.port], { circuit_breakers: { thresholds: [{ max_connections: { value: 1 }, max_pending_requests: { value: 1 }, max_requests: { value: 1 } }] } }),
        staticCluster('pair', [good.port, bad.port], {
          outlier_detection: { consecutive_5xx: { value: 3 }, base_ejection_time: { nanos: 500_000_000 }, interval: { nanos: 100_000_000 }, max_ejection_percent: { value: 50 } },
        }),
      ],
      listeners: [hcmListener('http', 'main')],
      routes: [routes('main', [{ match: { prefix: '/hold' }, route: { cluster: 'hold' } }, { match: { prefix: '/' }, route: { cluster: 'pair' } }])],
    });
    port = e.port('http');
  });
  after(async () => {
    for (const w of waiting) w();
    await e.stop();
    await Promise.all([hold.close(), good.close(), bad.close()]);
  });

  it('overflow beyond max_requests and max_pending_requests is answered 503 and counted', async () => {
    const first = request(port, '/hold');
    await waitFor('the first request at the backend', () => waiting.length === 1);
    const second = request(port, '/hold'); // pending
    await new Promise((r) => setTimeout(r, 50));
    const third = await request(port, '/hold');
    assert.equal(third.status, 503);
    assert.equal(third.headers['x-envoy-overloaded'] ?? 'true', 'true');
    const overflow = e.stat('envoy_cluster_upstream_rq_pending_overflow', { envoy_cluster_name: 'hold' }) + e.stat('envoy_cluster_upstream_cx_overflow', { envoy_cluster_name: 'hold' });
    assert.ok(overflow >= 1, 'an overflow counter moved');
    waiting.shift()!();
    assert.equal((await first).status, 200);
    await waitFor('the pending request reached the backend', () => waiting.length === 1);
    waiting.shift()!();
    assert.equal((await second).status, 200);
  });

  it('ejects a host after consecutive 5xx, then brings it back', async () => {
    for (let i = 0; i < 20; i++) await request(port, '/x');
    await waitFor('ejection', () => e.stat('envoy_cluster_outlier_detection_ejections_enforced_total', { envoy_cluster_name: 'pair' }) >= 1);
    const badBefore = bad.seen.length;
    for (let i = 0; i < 20; i++) assert.equal((await request(port, '/x')).body, 'good');
    assert.equal(bad.seen.length, badBefore, 'no traffic to the ejected host');
    (bad as Backend & { heal(): void }).heal();
    await waitFor('the host is back', async () => (await request(port, '/x')).body === 'bad', 5000);
  });
});

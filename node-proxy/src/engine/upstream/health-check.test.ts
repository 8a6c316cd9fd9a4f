// Active health checks against real backends.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { HealthCheck } from '../../../../api/src/generated/envoy/config/core/v3/HealthCheck.js';
import { assignment, harness, httpBackend, ms, send, staticCluster, tally, waitFor, type Backend } from './testing.js';

describe('active health checks', () => {
  let a: Backend;
  let b: Backend;
  let aHealthy = true;
  const hcPaths: string[] = [];
  const hcHosts: string[] = [];
  const h = harness();
  const handler = (healthy: () => boolean) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, self: Backend) => {
    req.resume();
    if (req.url === '/healthz') {
      hcPaths.push(req.url);
      hcHosts.push(String(req.headers.host));
      res.statusCode = healthy() ? 200 : 503;
      return res.end();
    }
    res.end(String(self.port));
  };
  before(async () => {
    a = await httpBackend(handler(() => aHealthy));
    b = await httpBackend(handler(() => true));
  });
  after(async () => {
    await h.cm.close();
    await a.close();
    await b.close();
  });

  const hc = (extra: Partial<HealthCheck> = {}): HealthCheck => ({
    timeout: ms(500),
    interval: ms(40),
    no_traffic_interval: ms(40),
    unhealthy_threshold: { value: 2 },
    healthy_threshold: { value: 2 },
    http_health_check: { path: '/healthz' },
    ...extra,
  });
  const spread = async (name: string, n = 20) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push((await send(h.cluster(name))).body);
    return tally(out);
  };

  it('routes only to hosts that pass; a failing host is taken out at once and returns after healthy_threshold passes', async () => {
    aHealthy = true;
    h.apply([staticCluster('hc', [{ port: a.port }, { port: b.port }], { health_checks: [hc()] })]);
    // The first request waits for the initial round of checks.
    assert.equal((await spread('hc')).size, 2);
    assert.equal(h.stat('envoy_cluster_membership_healthy', 'hc'), 2);
    assert.ok(hcHosts.includes('hc'), 'Host defaults to the cluster name');

    aHealthy = false;
    await waitFor('a unhealthy', () => h.stat('envoy_cluster_membership_healthy', 'hc') === 1);
    assert.deepEqual([...(await spread('hc')).keys()], [String(b.port)]);
    assert.ok(h.stat('envoy_cluster_health_check_failure', 'hc') >= 1);

    aHealthy = true;
    await waitFor('a healthy again', () => h.stat('envoy_cluster_membership_healthy', 'hc') === 2);
    assert.equal((await spread('hc')).size, 2);
    assert.ok(h.stat('envoy_cluster_health_check_success', 'hc') >= 4);
  });

  it('a new cluster waits for its first round: a host failing it never gets traffic', async () => {
    aHealthy = false;
    h.apply([staticCluster('warm', [{ port: a.port }, { port: b.port }], { health_checks: [hc({ interval: ms(10_000), no_traffic_interval: ms(10_000) })] })]);
    assert.deepEqual([...(await spread('warm')).keys()], [String(b.port)]);
    aHealthy = true;
  });

  it('expected_statuses replaces the default of 200 only', async () => {
    aHealthy = false; // answers 503
    h.apply([
      staticCluster('expect', [{ port: a.port }, { port: b.port }], {
        health_checks: [hc({ http_health_check: { path: '/healthz', host: 'probe.local', expected_statuses: [{ start: 200, end: 201 }, { start: 503, end: 504 }] } })],
      }),
    ]);
    assert.equal((await spread('expect')).size, 2);
    assert.equal(hcHosts.at(-1), 'probe.local');
    aHealthy = true;
  });

  it('TCP checks need unhealthy_threshold connect failures; EDS hosts added later are checked before use', async () => {
    const t = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => t.listen(0, '127.0.0.1', r));
    const port = (t.address() as net.AddressInfo).port;
    const eds = { name: 'tcp', type: 'EDS' as const, eds_cluster_config: {}, connect_timeout: ms(500), health_checks: [hc({ http_health_check: undefined, tcp_health_check: {} })] };
    h.apply([eds], [assignment('tcp', [{ port: b.port }, { port }])]);
    await waitFor('both healthy', () => h.stat('envoy_cluster_membership_healthy', 'tcp') === 2);
    await new Promise<void>((r) => t.close(() => r()));
    await waitFor('closed port unhealthy', () => h.stat('envoy_cluster_membership_healthy', 'tcp') === 1);
    assert.ok(h.stat('envoy_cluster_health_check_network_failure', 'tcp') >= 2);
    // A new host starts unhealthy until its first check passes.
    h.apply([eds], [assignment('tcp', [{ port: b.port }, { port }, { port: a.port }])]);
    assert.equal(h.stat('envoy_cluster_membership_healthy', 'tcp'), 1);
    assert.equal(h.stat('envoy_cluster_membership_total', 'tcp'), 3);
    await waitFor('new host healthy', () => h.stat('envoy_cluster_membership_healthy', 'tcp') === 2);
  });

  it('a passing health check returns an outlier-ejected host', async () => {
    let fail = true;
    const flaky = await httpBackend((req, res) => {
      req.resume();
      res.statusCode = req.url === '/healthz' ? 200 : fail ? 500 : 200;
      res.end('flaky');
    });
    try {
      h.apply([
        staticCluster('both', [{ port: flaky.port }, { port: b.port }], {
          health_checks: [hc({ interval: ms(100), no_traffic_interval: ms(100) })],
          outlier_detection: { consecutive_5xx: { value: 2 }, base_ejection_time: ms(60_000), interval: ms(60_000), max_ejection_percent: { value: 50 } },
        }),
      ]);
      for (let i = 0; i < 6 && h.stat('envoy_cluster_outlier_detection_ejections_active', 'both') === 0; i++) await send(h.cluster('both'));
      assert.equal(h.stat('envoy_cluster_outlier_detection_ejections_active', 'both'), 1);
      fail = false;
      // successful_active_health_check_uneject_host defaults to true.
      await waitFor('unejected by the health check', () => h.stat('envoy_cluster_outlier_detection_ejections_active', 'both') === 0, 2000);
    } finally {
      await flaky.close();
    }
  });
});

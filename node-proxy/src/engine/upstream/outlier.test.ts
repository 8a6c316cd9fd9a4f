// Outlier detection against real backends.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { OutlierDetection } from '../../../../api/src/generated/envoy/config/cluster/v3/OutlierDetection.js';
import { harness, httpBackend, ms, send, sleep, staticCluster, tally, waitFor, type Backend } from './testing.js';

describe('outlier detection', () => {
  let good: Backend;
  let bad: Backend;
  let badStatus = 500;
  const h = harness();
  before(async () => {
    good = await httpBackend();
    bad = await httpBackend((req, res) => {
      req.resume();
      res.statusCode = badStatus;
      res.end(String(bad.port));
    });
  });
  after(async () => {
    await h.cm.close();
    await good.close();
    await bad.close();
  });

  const cluster = (name: string, od: OutlierDetection, ports = [good.port, bad.port]) => staticCluster(name, ports.map((port) => ({ port })), { outlier_detection: od });
  const stat = (name: string, cluster: string) => h.stat(`envoy_cluster_outlier_detection_${name}`, cluster);
  /** Sends requests until `bad` has answered `n` more times; returns the statuses seen. */
  const hitBad = async (name: string, n: number) => {
    const target = bad.requests + n;
    let guard = 0;
    while (bad.requests < target && guard++ < 100) await send(h.cluster(name));
  };

  it('ejects a backend after five consecutive 5xx, then returns it after base_ejection_time', async () => {
    badStatus = 500;
    h.apply([cluster('od', { consecutive_5xx: { value: 5 }, interval: ms(50), base_ejection_time: ms(300), max_ejection_percent: { value: 50 } })]);
    await hitBad('od', 5);
    assert.equal(stat('ejections_enforced_total', 'od'), 1);
    assert.equal(stat('ejections_active', 'od'), 1);
    assert.equal(stat('ejections_enforced_consecutive_5xx', 'od'), 1);
    const before = bad.requests;
    const ports: string[] = [];
    for (let i = 0; i < 20; i++) ports.push((await send(h.cluster('od'))).body);
    assert.deepEqual([...tally(ports).keys()], [String(good.port)], 'no traffic to the ejected host');
    assert.equal(bad.requests, before);
    // base_ejection_time × 1, noticed by the next interval sweep.
    await waitFor('unejected', () => stat('ejections_active', 'od') === 0, 2000);
    const after: string[] = [];
    for (let i = 0; i < 10; i++) after.push((await send(h.cluster('od'))).body);
    assert.ok(after.includes(String(bad.port)), 'the host takes traffic again');
  });

  it('a success in between resets the count', async () => {
    h.apply([cluster('reset', { consecutive_5xx: { value: 3 }, interval: ms(1000), max_ejection_percent: { value: 100 } }, [bad.port])]);
    badStatus = 500;
    await send(h.cluster('reset'));
    await send(h.cluster('reset'));
    badStatus = 200;
    await send(h.cluster('reset'));
    badStatus = 500;
    await send(h.cluster('reset'));
    await send(h.cluster('reset'));
    assert.equal(stat('ejections_enforced_total', 'reset'), 0);
    await send(h.cluster('reset'));
    assert.equal(stat('ejections_enforced_total', 'reset'), 1);
  });

  it('with the default max_ejection_percent (10%) no host of two is ejected', async () => {
    badStatus = 500;
    h.apply([cluster('ten', { consecutive_5xx: { value: 2 } })]);
    await hitBad('ten', 2);
    assert.equal(stat('ejections_enforced_total', 'ten'), 0);
    assert.equal(stat('ejections_overflow', 'ten'), 1);
  });

  it('consecutive gateway failures are detected but, by default, not enforced', async () => {
    badStatus = 503;
    h.apply([cluster('gw', { consecutive_5xx: { value: 50 }, consecutive_gateway_failure: { value: 3 }, max_ejection_percent: { value: 100 } })]);
    await hitBad('gw', 3);
    assert.equal(stat('ejections_detected_consecutive_gateway_failure', 'gw'), 1);
    assert.equal(stat('ejections_enforced_total', 'gw'), 0);
    h.apply([cluster('gw2', { consecutive_5xx: { value: 50 }, consecutive_gateway_failure: { value: 3 }, enforcing_consecutive_gateway_failure: { value: 100 }, max_ejection_percent: { value: 100 } })]);
    await hitBad('gw2', 3);
    assert.equal(stat('ejections_enforced_consecutive_gateway_failure', 'gw2'), 1);
  });

  it('connect failures count as 5xx', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    h.apply([cluster('dead', { consecutive_5xx: { value: 3 }, max_ejection_percent: { value: 50 } }, [good.port, deadPort])]);
    let failures = 0;
    for (let i = 0; i < 20 && stat('ejections_enforced_total', 'dead') === 0; i++) await send(h.cluster('dead')).catch(() => failures++);
    assert.equal(failures, 3);
    assert.equal(stat('ejections_enforced_total', 'dead'), 1);
    for (let i = 0; i < 10; i++) assert.equal((await send(h.cluster('dead'))).body, String(good.port));
  });

  it('keeps ejection state across a cluster update', async () => {
    badStatus = 500;
    const od = { consecutive_5xx: { value: 2 }, interval: ms(60_000), base_ejection_time: ms(60_000), max_ejection_percent: { value: 50 } };
    h.apply([cluster('keep', od)]);
    await hitBad('keep', 2);
    assert.equal(stat('ejections_active', 'keep'), 1);
    h.apply([{ ...cluster('keep', od), connect_timeout: ms(2000) }]);
    await sleep(10);
    const before = bad.requests;
    for (let i = 0; i < 10; i++) await send(h.cluster('keep'));
    assert.equal(bad.requests, before);
    assert.equal(stat('ejections_active', 'keep'), 1);
  });
});

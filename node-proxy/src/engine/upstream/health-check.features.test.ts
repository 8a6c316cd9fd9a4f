// Feature-matrix proof for HealthCheck.timeout: a host that answers its
// health check later than the timeout is taken out of rotation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HealthCheck } from '../../../../api/src/generated/envoy/config/core/v3/HealthCheck.js';
import { harness, httpBackend, ms, send, staticCluster, tally, waitFor, type Backend } from './testing.js';

describe('active health checks: timeout', () => {
  let slow: Backend;
  let fast: Backend;
  const h = harness();
  before(async () => {
    const handler = (delayMs: number) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, self: Backend) => {
      req.resume();
      if (req.url === '/healthz') return void setTimeout(() => res.end(), delayMs);
      res.end(String(self.port));
    };
    slow = await httpBackend(handler(400));
    fast = await httpBackend(handler(0));
  });
  after(async () => {
    await h.cm.close();
    await slow.close();
    await fast.close();
  });

  const hc = (timeoutMs: number): HealthCheck => ({
    timeout: ms(timeoutMs),
    interval: ms(50),
    unhealthy_threshold: { value: 1 },
    healthy_threshold: { value: 1 },
    http_health_check: { path: '/healthz' },
  });

  it('timeout fails a check the host answers too late; a longer timeout passes it', async () => {
    h.apply([staticCluster('short', [{ port: slow.port }, { port: fast.port }], { health_checks: [hc(100)] })]);
    const ports: string[] = [];
    for (let i = 0; i < 10; i++) ports.push((await send(h.cluster('short'))).body);
    assert.deepEqual([...tally(ports).keys()], [String(fast.port)], 'the slow host never passed its first check');
    assert.equal(h.stat('envoy_cluster_membership_healthy', 'short'), 1);

    h.apply([staticCluster('long', [{ port: slow.port }, { port: fast.port }], { health_checks: [hc(2000)] })]);
    await waitFor('both healthy', () => h.stat('envoy_cluster_membership_healthy', 'long') === 2, 5000);
    const both: string[] = [];
    for (let i = 0; i < 10; i++) both.push((await send(h.cluster('long'))).body);
    assert.equal(tally(both).size, 2);
  });
});

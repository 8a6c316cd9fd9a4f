// Feature-matrix proofs that the load-balancer settings of a Cluster resource
// reach the balancer: ring sizes (UInt64Value) and choice_count, read from
// the decoded resource rather than handed to the balancer directly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster } from '../../../../api/src/generated/envoy/config/cluster/v3/Cluster.js';
import { decoded } from '../testing/decoded.js';
import { parseClusterConfig } from './cluster-config.js';
import { createLoadBalancer } from './lb/index.js';
import type { LeastRequestLb } from './lb/least-request.js';
import type { RingHashLb } from './lb/ring-hash.js';

const cluster = (c: Cluster) => parseClusterConfig(c.name ?? 'c', decoded('envoy.config.cluster.v3.Cluster', c));
const hosts = (n: number, weight = 1) => Array.from({ length: n }, (_, i) => ({ key: `10.0.0.${i + 1}:80`, weight, activeRequests: 0 }));

describe('Cluster load-balancer settings', () => {
  it('ring_hash_lb_config sizes the ring from minimum_ring_size and maximum_ring_size', () => {
    const small = cluster({ name: 'r', lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: { value: '64' }, hash_function: 'XX_HASH' } });
    const lb = createLoadBalancer(small.lb) as RingHashLb<ReturnType<typeof hosts>[number]>;
    lb.refresh(hosts(2));
    assert.equal(lb.size, 64);
    const capped = cluster({ name: 'r', lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: { value: '64' }, maximum_ring_size: { value: '40' } } });
    const c = createLoadBalancer(capped.lb) as RingHashLb<ReturnType<typeof hosts>[number]>;
    c.refresh(hosts(2));
    assert.equal(c.size, 40);
    const dflt = createLoadBalancer(cluster({ name: 'r', lb_policy: 'RING_HASH' }).lb) as RingHashLb<ReturnType<typeof hosts>[number]>;
    dflt.refresh(hosts(2));
    assert.equal(dflt.size, 1024, "Envoy's default minimum");
  });

  it('least_request_lb_config choice_count is the number of hosts sampled', () => {
    const cfg = cluster({ name: 'l', lb_policy: 'LEAST_REQUEST', least_request_lb_config: { choice_count: { value: 10 } } });
    assert.equal(cfg.lb.choiceCount, 10);
    // With ten choices the one idle host among two busy ones is found nearly always.
    let draws = 0;
    const lb = createLoadBalancer(cfg.lb, () => ((draws = (draws * 7 + 3) % 97), draws / 97)) as LeastRequestLb<ReturnType<typeof hosts>[number]>;
    const hs = [
      { key: 'busy-1', weight: 1, activeRequests: 5 },
      { key: 'idle', weight: 1, activeRequests: 0 },
      { key: 'busy-2', weight: 1, activeRequests: 5 },
    ];
    lb.refresh(hs);
    let idle = 0;
    for (let i = 0; i < 200; i++) if (lb.pick({})?.key === 'idle') idle++;
    assert.ok(idle >= 190, `idle picked ${idle}/200`);
    assert.equal(cluster({ name: 'l', lb_policy: 'LEAST_REQUEST' }).lb.choiceCount, 2, "Envoy's default");
  });
});

// The load balancer for a cluster's lb_policy.
import type { LbConfig } from '../cluster-config.js';
import { LeastRequestLb } from './least-request.js';
import { RandomLb } from './random.js';
import { RingHashLb } from './ring-hash.js';
import { RoundRobinLb } from './round-robin.js';
import type { LbHost, LoadBalancer, Random } from './types.js';

export type { LbHost, LoadBalancer, Random } from './types.js';

/** CLUSTER_PROVIDED is not a balancer: ORIGINAL_DST clusters pick the host themselves. */
export function createLoadBalancer<H extends LbHost>(cfg: LbConfig, random: Random = Math.random): LoadBalancer<H> {
  switch (cfg.policy) {
    case 'LEAST_REQUEST':
      return new LeastRequestLb<H>(cfg.choiceCount, cfg.activeRequestBias, random);
    case 'RING_HASH':
      return new RingHashLb<H>(cfg.ringMin, cfg.ringMax, random);
    case 'RANDOM':
      return new RandomLb<H>(random);
    default:
      return new RoundRobinLb<H>(random);
  }
}

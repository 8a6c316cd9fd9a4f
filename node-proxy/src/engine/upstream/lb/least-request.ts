// LEAST_REQUEST as Envoy: with equal weights, the best of `choice_count`
// random picks (with replacement) by active requests; with unequal weights,
// EDF on weight / (active + 1)^active_request_bias, recomputed as each host
// is re-added.
import type { LbContext } from '../../types.js';
import { EdfScheduler } from './edf.js';
import { allEqualWeights, type LbHost, type LoadBalancer, type Random } from './types.js';

export class LeastRequestLb<H extends LbHost> implements LoadBalancer<H> {
  private hosts: readonly H[] = [];
  private edf?: EdfScheduler<H>;

  constructor(
    private readonly choiceCount = 2,
    private readonly bias = 1,
    private readonly random: Random = Math.random,
  ) {}

  refresh(hosts: readonly H[]): void {
    this.hosts = hosts;
    this.edf = undefined;
    if (hosts.length > 1 && !allEqualWeights(hosts)) {
      const bias = this.bias;
      const edf = new EdfScheduler<H>((h) => (bias === 0 ? h.weight : h.weight / Math.pow(h.activeRequests + 1, bias)));
      for (const h of hosts) edf.add(h);
      this.edf = edf;
    }
  }

  pick(_ctx: LbContext): H | undefined {
    const hosts = this.hosts;
    if (!hosts.length) return undefined;
    if (this.edf) return this.edf.pickAndAdd();
    let best: H | undefined;
    for (let i = 0; i < this.choiceCount; i++) {
      const h = hosts[Math.floor(this.random() * hosts.length)]!;
      if (!best || h.activeRequests < best.activeRequests) best = h;
    }
    return best;
  }
}

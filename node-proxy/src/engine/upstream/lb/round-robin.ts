// ROUND_ROBIN as Envoy: plain rotation when all weights are equal, EDF
// (smooth weighted) otherwise; the start is randomised so that many proxies
// do not all begin with the same host.
import type { LbContext } from '../../types.js';
import { EdfScheduler } from './edf.js';
import { allEqualWeights, type LbHost, type LoadBalancer, type Random } from './types.js';

export class RoundRobinLb<H extends LbHost> implements LoadBalancer<H> {
  private hosts: readonly H[] = [];
  private index = 0;
  private edf?: EdfScheduler<H>;

  constructor(private readonly random: Random = Math.random) {}

  refresh(hosts: readonly H[]): void {
    this.hosts = hosts;
    this.edf = undefined;
    this.index = Math.floor(this.random() * Math.max(1, hosts.length));
    if (hosts.length > 1 && !allEqualWeights(hosts)) {
      const edf = new EdfScheduler<H>((h) => h.weight);
      for (const h of hosts) edf.add(h);
      for (let i = this.index; i > 0; i--) edf.pickAndAdd();
      this.edf = edf;
    }
  }

  pick(_ctx: LbContext): H | undefined {
    if (!this.hosts.length) return undefined;
    if (this.edf) return this.edf.pickAndAdd();
    return this.hosts[this.index++ % this.hosts.length];
  }
}

// RANDOM as Envoy: uniform over the hosts, weights ignored.
import type { LbContext } from '../../types.js';
import type { LbHost, LoadBalancer, Random } from './types.js';

export class RandomLb<H extends LbHost> implements LoadBalancer<H> {
  private hosts: readonly H[] = [];
  constructor(private readonly random: Random = Math.random) {}
  refresh(hosts: readonly H[]): void {
    this.hosts = hosts;
  }
  pick(_ctx: LbContext): H | undefined {
    return this.hosts.length ? this.hosts[Math.floor(this.random() * this.hosts.length)] : undefined;
  }
}

// What a load balancer needs of a host, so policies can be tested without sockets.
import type { LbContext } from '../../types.js';

export interface LbHost {
  /** address:port ([v6]:port); ring hash hashes this, as Envoy hashes the host's address. */
  readonly key: string;
  /** load_balancing_weight, ≥ 1. */
  readonly weight: number;
  /** Requests currently assigned to the host (Envoy's host rq_active). */
  readonly activeRequests: number;
}

export interface LoadBalancer<H extends LbHost> {
  /** Rebuilds for the hosts traffic may go to now (healthy ones, or all in panic). */
  refresh(hosts: readonly H[]): void;
  pick(ctx: LbContext): H | undefined;
}

export type Random = () => number;

export function allEqualWeights(hosts: readonly LbHost[]): boolean {
  return hosts.every((h) => h.weight === hosts[0]!.weight);
}

// A cluster's priority-0 host set: membership from EDS/STATIC, the hosts the
// load balancer may use now, and Envoy's panic threshold (below 50% healthy
// among non-excluded hosts, every non-excluded host is used).
import type { LbContext } from '../types.js';
import type { LbConfig } from './cluster-config.js';
import type { ClusterStats } from './cluster-stats.js';
import { Host, hostKey, type HostSpec } from './hosts.js';
import { createLoadBalancer, type LoadBalancer, type Random } from './lb/index.js';

const PANIC_THRESHOLD = 50;

export class HostSet {
  private readonly byKey = new Map<string, Host>();
  private lb: LoadBalancer<Host>;
  private dirty = true;
  private panic = false;

  constructor(
    lb: LbConfig,
    private readonly stats: ClusterStats,
    private readonly random: Random = Math.random,
  ) {
    this.lb = createLoadBalancer<Host>(lb, random);
  }

  get hosts(): IterableIterator<Host> {
    return this.byKey.values();
  }

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): Host | undefined {
    return this.byKey.get(key);
  }

  setLb(lb: LbConfig): void {
    this.lb = createLoadBalancer<Host>(lb, this.random);
    this.dirty = true;
  }

  /** Replaces membership; hosts that stay keep their object (and with it their pools and health). */
  update(specs: readonly HostSpec[], onNew: (h: Host) => void): { added: Host[]; removed: Host[] } {
    const added: Host[] = [];
    const next = new Map<string, Host>();
    let modified = false;
    for (const spec of specs) {
      const key = hostKey(spec.address, spec.port);
      let host = this.byKey.get(key);
      if (!host) {
        host = new Host(spec.address, spec.port);
        onNew(host);
        added.push(host);
      } else if (host.weight !== spec.weight || host.edsHealth !== spec.health) {
        modified = true;
      }
      host.apply(spec);
      next.set(key, host);
    }
    const removed = [...this.byKey.values()].filter((h) => !next.has(h.key));
    // Order matters to round robin and ring building; an unchanged update keeps the balancer as is.
    const reordered = [...this.byKey.keys()].join() !== [...next.keys()].join();
    this.byKey.clear();
    for (const [k, h] of next) this.byKey.set(k, h);
    if (modified || reordered || added.length || removed.length) this.changed();
    return { added, removed };
  }

  /** Health or weights changed: rebuild before the next pick. */
  changed(): void {
    this.dirty = true;
    let healthy = 0;
    let excluded = 0;
    for (const h of this.byKey.values()) {
      if (h.excluded) excluded++;
      else if (h.healthy) healthy++;
    }
    this.stats.membershipTotal.set(this.byKey.size);
    this.stats.membershipHealthy.set(healthy);
    this.stats.membershipExcluded.set(excluded);
  }

  pick(ctx: LbContext): Host | undefined {
    if (this.dirty) this.rebuild();
    if (this.panic) this.stats.lbHealthyPanic.inc();
    return this.lb.pick(ctx);
  }

  private rebuild(): void {
    this.dirty = false;
    const usable = [...this.byKey.values()].filter((h) => !h.excluded);
    const healthy = usable.filter((h) => h.healthy);
    this.panic = usable.length > 0 && (100 * healthy.length) / usable.length < PANIC_THRESHOLD;
    this.lb.refresh(this.panic ? usable : healthy);
  }
}

// RING_HASH as Envoy's RingHashLoadBalancer: every host gets ring entries
// "<address:port>_<i>" hashed with xxHash64, in proportion to its weight,
// scaled so the lightest host has a whole number of entries and the ring has
// at least minimum_ring_size (capped at maximum_ring_size) entries. A request
// goes to the first entry at or after its key's hash; no key hashes randomly.
import type { LbContext } from '../../types.js';
import { xxHash64 } from '../xxhash64.js';
import type { LbHost, LoadBalancer, Random } from './types.js';

export class RingHashLb<H extends LbHost> implements LoadBalancer<H> {
  private hashes = new BigUint64Array(0);
  private owners: H[] = [];

  constructor(
    private readonly minRingSize = 1024,
    private readonly maxRingSize = 8 * 1024 * 1024,
    private readonly random: Random = Math.random,
  ) {}

  refresh(hosts: readonly H[]): void {
    const entries: { hash: bigint; host: H }[] = [];
    const total = hosts.reduce((s, h) => s + h.weight, 0);
    if (hosts.length && total > 0) {
      const minNormalized = Math.min(...hosts.map((h) => h.weight / total));
      const scale = Math.min(Math.ceil(minNormalized * this.minRingSize) / minNormalized, this.maxRingSize);
      let current = 0;
      let target = 0;
      for (const host of hosts) {
        target += scale * (host.weight / total);
        for (let i = 0; current < target; i++, current++) entries.push({ hash: xxHash64(`${host.key}_${i}`), host });
      }
    }
    entries.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    this.hashes = BigUint64Array.from(entries.map((e) => e.hash));
    this.owners = entries.map((e) => e.host);
  }

  /** The ring's size, for tests and the admin view. */
  get size(): number {
    return this.owners.length;
  }

  pick(ctx: LbContext): H | undefined {
    if (!this.owners.length) return undefined;
    const h = ctx.hashKey !== undefined ? xxHash64(ctx.hashKey) : this.randomHash();
    return this.owners[this.lowerBound(h)];
  }

  /** The first entry whose hash is ≥ h, wrapping to 0 (ketama). */
  private lowerBound(h: bigint): number {
    let lo = 0;
    let hi = this.hashes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.hashes[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.hashes.length ? 0 : lo;
  }

  private randomHash(): bigint {
    const hi = BigInt(Math.floor(this.random() * 2 ** 32));
    const lo = BigInt(Math.floor(this.random() * 2 ** 32));
    return (hi << 32n) | lo;
  }
}

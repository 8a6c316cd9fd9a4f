// The policies on plain host objects: exact distributions, no sockets. The
// same behaviours through real backends are in ../cluster.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { xxHash64 } from '../xxhash64.js';
import { EdfScheduler } from './edf.js';
import { LeastRequestLb } from './least-request.js';
import { RandomLb } from './random.js';
import { RingHashLb } from './ring-hash.js';
import { RoundRobinLb } from './round-robin.js';

interface H {
  key: string;
  weight: number;
  activeRequests: number;
}
const host = (key: string, weight = 1, activeRequests = 0): H => ({ key, weight, activeRequests });

function count<T extends { key: string }>(n: number, pick: () => T | undefined): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const k = pick()!.key;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** A deterministic PRNG (mulberry32) so statistical assertions cannot flake. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('EDF scheduler', () => {
  it('interleaves smoothly in proportion to weight', () => {
    const edf = new EdfScheduler<{ key: string; w: number }>((x) => x.w);
    edf.add({ key: 'a', w: 3 });
    edf.add({ key: 'b', w: 1 });
    const seq = Array.from({ length: 8 }, () => edf.pickAndAdd()!.key).join('');
    assert.equal([...seq].filter((c) => c === 'a').length, 6, seq);
    assert.ok(!seq.includes('bb') && seq.includes('b'), seq);
  });
});

describe('ROUND_ROBIN', () => {
  it('rotates evenly with equal weights', () => {
    const lb = new RoundRobinLb<H>(seeded(1));
    lb.refresh([host('a'), host('b'), host('c')]);
    const c = count(3000, () => lb.pick({}));
    assert.deepEqual([...c.values()], [1000, 1000, 1000]);
  });

  it('distributes 1:2:3 by weight over 6,000 picks within 1%', () => {
    const lb = new RoundRobinLb<H>(seeded(2));
    lb.refresh([host('a', 1), host('b', 2), host('c', 3)]);
    const c = count(6000, () => lb.pick({}));
    for (const [k, want] of [['a', 1000], ['b', 2000], ['c', 3000]] as const) assert.ok(Math.abs(c.get(k)! - want) <= 60, `${k}: ${c.get(k)} ≈ ${want}`);
  });
});

describe('LEAST_REQUEST', () => {
  it('prefers the idle host (power of two choices: the busy one wins only when drawn twice, ~25%)', () => {
    const busy = host('busy', 1, 5);
    const idle = host('idle', 1, 0);
    const lb = new LeastRequestLb<H>(2, 1, seeded(3));
    lb.refresh([busy, idle]);
    const c = count(4000, () => lb.pick({}));
    const share = c.get('idle')! / 4000;
    assert.ok(share > 0.7 && share < 0.8, `idle share ${share}`);
  });

  it('with choice_count 10 almost always finds the idle host', () => {
    const lb = new LeastRequestLb<H>(10, 1, seeded(4));
    lb.refresh([host('busy', 1, 3), host('idle', 1, 0)]);
    const c = count(1000, () => lb.pick({}));
    assert.ok(c.get('idle')! >= 990, `idle ${c.get('idle')}`);
  });

  it('with unequal weights divides weight by active requests + 1', () => {
    // weights 2 and 1, but the heavy host has 3 active: 2/4 vs 1/1 → 1:2.
    const lb = new LeastRequestLb<H>(2, 1, seeded(5));
    lb.refresh([host('heavy', 2, 3), host('light', 1, 0)]);
    const c = count(3000, () => lb.pick({}));
    assert.ok(Math.abs(c.get('light')! - 2000) <= 30, `light ${c.get('light')}`);
  });
});

describe('RING_HASH', () => {
  const hosts = [host('10.0.0.1:80'), host('10.0.0.2:80'), host('10.0.0.3:80')];

  it('builds a ring of minimum_ring_size entries from xxHash64("<address>_<i>")', () => {
    const lb = new RingHashLb<H>(1024, 8 << 20, seeded(6));
    lb.refresh(hosts);
    assert.equal(lb.size, 1026); // ceil(1/3 × 1024) = 342 per host
    // The key hashing to exactly a host's first entry goes to that host.
    const probe = new RingHashLb<H>(3, 3);
    probe.refresh([host('10.0.0.9:80')]);
    assert.equal(probe.size, 3);
    assert.ok(xxHash64('10.0.0.9:80_0') > 0n);
  });

  it('maps a key to the same host every time, and mostly keeps it there when another host leaves', () => {
    const lb = new RingHashLb<H>(1024, 8 << 20, seeded(7));
    lb.refresh(hosts);
    const before = new Map<string, string>();
    for (let i = 0; i < 600; i++) {
      const k = `user-${i}`;
      const h = lb.pick({ hashKey: k })!.key;
      assert.equal(lb.pick({ hashKey: k })!.key, h);
      before.set(k, h);
    }
    // The two remaining hosts get 512 entries each instead of 342, so a few of their keys move too.
    lb.refresh(hosts.slice(0, 2));
    let stayed = 0;
    let others = 0;
    for (const [k, h] of before) {
      if (h === '10.0.0.3:80') continue;
      others++;
      if (lb.pick({ hashKey: k })!.key === h) stayed++;
    }
    assert.ok(stayed / others > 0.7, `${stayed}/${others} stayed`);
  });

  it('spreads keys over hosts (each within 25% of an even share)', () => {
    const lb = new RingHashLb<H>(1024, 8 << 20, seeded(8));
    lb.refresh(hosts);
    const c = count(3000, (() => {
      let i = 0;
      return () => lb.pick({ hashKey: `k${i++}` });
    })());
    for (const h of hosts) assert.ok(Math.abs(c.get(h.key)! - 1000) < 250, `${h.key}: ${c.get(h.key)}`);
  });

  it('gives a heavier host proportionally more of the ring', () => {
    const lb = new RingHashLb<H>(1024, 8 << 20, seeded(9));
    lb.refresh([host('10.0.0.1:80', 1), host('10.0.0.2:80', 3)]);
    assert.equal(lb.size, 1024); // 256 + 768 entries
    let i = 0;
    const c = count(4000, () => lb.pick({ hashKey: `k${i++}` }));
    const share = c.get('10.0.0.2:80')! / 4000;
    assert.ok(share > 0.65 && share < 0.85, `heavy share ${share}`);
  });

  it('scales a lopsided ring so the lightest host gets whole entries, up to maximum_ring_size', () => {
    // 1% of 1024 is 10.24: scaled to 11 entries for the light host, 1,100 in all…
    const lb = new RingHashLb<H>(1024, 8 << 20, seeded(12));
    lb.refresh([host('10.0.0.1:80', 1), host('10.0.0.2:80', 99)]);
    assert.equal(lb.size, 1100);
    // …unless maximum_ring_size is smaller.
    const capped = new RingHashLb<H>(1024, 1000, seeded(12));
    capped.refresh([host('10.0.0.1:80', 1), host('10.0.0.2:80', 99)]);
    assert.equal(capped.size, 1000);
  });

  it('without a key picks a random host', () => {
    const lb = new RingHashLb<H>(1024, 8 << 20, seeded(10));
    lb.refresh(hosts);
    const c = count(3000, () => lb.pick({}));
    assert.equal(c.size, 3);
  });
});

describe('RANDOM', () => {
  it('is uniform and ignores weights', () => {
    const lb = new RandomLb<H>(seeded(11));
    lb.refresh([host('a', 1), host('b', 9)]);
    const c = count(4000, () => lb.pick({}));
    assert.ok(Math.abs(c.get('a')! - 2000) < 150, `a ${c.get('a')}`);
  });
});

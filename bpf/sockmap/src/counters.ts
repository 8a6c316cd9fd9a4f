// Reading nm_counters (per-CPU array, enum nm_counter → count): one value is
// the sum of its CPUs' slots. The agent's status, `bpf status` and the tests
// all read it this way.
import type { BpfMap } from './maps.js';
import { COUNTERS, type CounterName, type Counters } from './structs.js';

/** One counter, summed over CPUs (0 when the slot cannot be read). */
export function readCounter(map: BpfMap, name: CounterName): bigint {
  const key = Buffer.alloc(4);
  key.writeUInt32LE(COUNTERS.indexOf(name));
  const v = map.lookup(key);
  let sum = 0n;
  if (v) for (let off = 0; off + 8 <= v.length; off += 8) sum += v.readBigUInt64LE(off);
  return sum;
}

/** Every counter, summed over CPUs. */
export function readCounters(map: BpfMap): Counters {
  return Object.fromEntries(COUNTERS.map((name) => [name, readCounter(map, name)])) as Counters;
}

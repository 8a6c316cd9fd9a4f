// google.protobuf.Duration in decoded form ({seconds: '5', nanos: 0}) to milliseconds.
import type { Decoded } from './types.js';

export function durationMs(d: Decoded | undefined, fallback = 0): number {
  if (!d) return fallback;
  return Number(d.seconds ?? 0) * 1000 + Number(d.nanos ?? 0) / 1e6;
}

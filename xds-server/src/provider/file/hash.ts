// Content hashes of parsed objects, so a rescan can tell "same objects" from
// "changed objects" without deep comparisons, and cheaply for big directories.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so equal values always serialize identically. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

export function contentHash(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex');
}

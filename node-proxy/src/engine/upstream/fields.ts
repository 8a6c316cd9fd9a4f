// Reading the decoded message shape (api/src/any.ts decodeMessage): defaults
// are omitted, so "absent" and "present but zero" differ (a Duration `{}` is
// 0 s, a wrapper `{}` is 0), and nested Any stays encoded.
import { decodeMessage } from '../../../../api/src/any.js';
import { messageName } from '../../../../api/src/type-urls.js';
import type { Decoded } from '../types.js';

export function obj(v: unknown): Decoded {
  return v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) ? (v as Decoded) : {};
}

export function has(v: unknown): boolean {
  return !!v && typeof v === 'object';
}

export function list(v: unknown): Decoded[] {
  return Array.isArray(v) ? (v as Decoded[]) : [];
}

/** google.protobuf.Duration in ms; `def` when absent. */
export function durationMs(v: unknown, def: number): number {
  if (!has(v)) return def;
  const d = v as { seconds?: string | number; nanos?: number };
  return Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

/** A numeric wrapper (UInt32Value, UInt64Value as string, DoubleValue); `def` when absent. */
export function wrapped(v: unknown, def: number): number {
  if (!has(v)) return def;
  return Number((v as { value?: number | string }).value ?? 0);
}

export function wrappedBool(v: unknown, def: boolean): boolean {
  if (!has(v)) return def;
  return (v as { value?: boolean }).value === true;
}

/** Decodes a nested google.protobuf.Any; undefined when absent. */
export function unpackAny(v: unknown): { name: string; message: Decoded } | undefined {
  if (!has(v)) return undefined;
  const a = v as { type_url?: string; value?: Uint8Array };
  if (!a.type_url) return undefined;
  const name = messageName(a.type_url);
  return { name, message: decodeMessage(name, a.value ?? new Uint8Array()) };
}

/** A stable text form of a decoded message, to tell whether a part of the configuration changed. */
export function fingerprint(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, x: unknown) => {
    if (x && typeof x === 'object' && (x as { type?: string }).type === 'Buffer' && Array.isArray((x as { data?: unknown }).data))
      return Buffer.from((x as { data: number[] }).data).toString('base64');
    return x;
  });
}

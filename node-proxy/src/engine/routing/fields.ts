// Typed reads of decoded Envoy messages (api/src/any.ts decodeMessage shape).
// Defaults are omitted on the wire, so every reader takes the proto3 default
// as its fallback; wrapper types (BoolValue, UInt32Value) arrive as {value}
// objects whose *presence* matters (`{}` is an explicit false / 0).
import type { Decoded } from '../types.js';

/** A configuration Envoy would reject; compile functions throw it. */
export class ConfigRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigRejected';
  }
}

export function msg(d: Decoded | undefined, key: string): Decoded | undefined {
  const v = d?.[key];
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) ? (v as Decoded) : undefined;
}

export function msgs(d: Decoded | undefined, key: string): Decoded[] {
  const v = d?.[key];
  return Array.isArray(v) ? (v.filter((x) => x !== null && typeof x === 'object') as Decoded[]) : [];
}

export function str(d: Decoded | undefined, key: string, fallback = ''): string {
  const v = d?.[key];
  return typeof v === 'string' ? v : fallback;
}

export function strs(d: Decoded | undefined, key: string): string[] {
  const v = d?.[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function has(d: Decoded | undefined, key: string): boolean {
  return d !== undefined && d[key] !== undefined && d[key] !== null;
}

export function bool(d: Decoded | undefined, key: string): boolean {
  return d?.[key] === true;
}

/** int32/uint32 fields arrive as numbers, 64-bit ones as strings. */
export function num(d: Decoded | undefined, key: string, fallback = 0): number {
  const v = d?.[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') return Number(v);
  return fallback;
}

export function nums(d: Decoded | undefined, key: string): number[] {
  const v = d?.[key];
  return Array.isArray(v) ? v.map((x) => Number(x)).filter((x) => Number.isFinite(x)) : [];
}

/** 64-bit integer fields, exactly. */
export function bigint(d: Decoded | undefined, key: string): bigint {
  const v = d?.[key];
  return typeof v === 'string' || typeof v === 'number' ? BigInt(v) : 0n;
}

/** A google.protobuf.BoolValue: undefined when unset, false for `{}`. */
export function wrappedBool(d: Decoded | undefined, key: string): boolean | undefined {
  const w = msg(d, key);
  return w ? w['value'] === true : undefined;
}

/** A google.protobuf.UInt32Value (or other numeric wrapper): undefined when unset, 0 for `{}`. */
export function wrappedNum(d: Decoded | undefined, key: string): number | undefined {
  const w = msg(d, key);
  return w ? num(w, 'value') : undefined;
}

/** A google.protobuf.Duration in milliseconds; undefined when unset. */
export function durationMs(d: Decoded | undefined, key: string): number | undefined {
  const dur = msg(d, key);
  if (!dur) return undefined;
  return num(dur, 'seconds') * 1000 + num(dur, 'nanos') / 1e6;
}

/** A oneof's chosen member name (decodeMessage's virtual field). */
export function oneof(d: Decoded | undefined, name: string): string | undefined {
  const v = d?.[name];
  return typeof v === 'string' ? v : undefined;
}

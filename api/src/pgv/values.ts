// Normalisation of the value shapes a field can arrive in. Decoded protobufjs
// messages carry 64-bit integers as Long objects and bytes as Buffers, while
// plain objects (toObject output, hand-written fixtures) may use numbers,
// strings, bigints or base64 text. Every rule compares normalised values, so
// 64-bit bounds are exact whatever the input shape.

const NANOS_PER_SECOND = 1_000_000_000n;

interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

function isLongLike(v: unknown): v is LongLike {
  return typeof v === 'object' && v !== null && typeof (v as LongLike).low === 'number' && typeof (v as LongLike).high === 'number';
}

/** Exact integer value of a 64-bit field or rule bound; NaN-like inputs become undefined. */
export function toBigInt(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : undefined;
  if (typeof v === 'string') {
    try {
      return BigInt(v.trim());
    } catch {
      return undefined;
    }
  }
  if (isLongLike(v)) {
    const x = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
    return v.unsigned ? x : BigInt.asIntN(64, x);
  }
  if (v === undefined || v === null) return 0n;
  return undefined;
}

export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === undefined || v === null) return 0;
  if (typeof v === 'bigint') return Number(v);
  if (isLongLike(v)) return Number(toBigInt(v));
  return Number(v);
}

/** Bytes as Uint8Array; strings are read as base64 the way protobufjs' fromObject does. */
export function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return Buffer.from(v, 'base64');
  if (Array.isArray(v)) return Uint8Array.from(v as number[]);
  return new Uint8Array(0);
}

/** Bytes written in a .proto option are text literals, so they are taken as UTF-8. */
export function optionBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  return Buffer.from(String(v ?? ''), 'utf8');
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function bytesKey(a: Uint8Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
}

export function bytesIndexOf(hay: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength));
}

export function bytesStartWith(a: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > a.length) return false;
  for (let i = 0; i < prefix.length; i++) if (a[i] !== prefix[i]) return false;
  return true;
}

export function bytesEndWith(a: Uint8Array, suffix: Uint8Array): boolean {
  const off = a.length - suffix.length;
  if (off < 0) return false;
  for (let i = 0; i < suffix.length; i++) if (a[off + i] !== suffix[i]) return false;
  return true;
}

/** PGV measures string lengths in runes, not UTF-16 units. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

export function utf8Length(s: string): number {
  // Pure ASCII is the overwhelmingly common case; skip the encoder for it.
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

const DURATION_TEXT = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/**
 * Seconds and nanos of a Duration/Timestamp-shaped value, or undefined if the
 * value is not one. JSON-style "1.5s" strings are accepted for hand-written objects.
 */
export function secondsNanos(v: unknown): { seconds: bigint; nanos: bigint } | undefined {
  if (typeof v === 'string') {
    const m = DURATION_TEXT.exec(v);
    if (!m) return undefined;
    const sign = m[1] ? -1n : 1n;
    const frac = (m[3] ?? '').padEnd(9, '0');
    return { seconds: sign * BigInt(m[2] ?? '0'), nanos: sign * BigInt(frac || '0') };
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as { seconds?: unknown; nanos?: unknown };
  const seconds = toBigInt(o.seconds);
  const nanos = toBigInt(o.nanos);
  if (seconds === undefined || nanos === undefined) return undefined;
  return { seconds, nanos };
}

export function totalNanos(sn: { seconds: bigint; nanos: bigint }): bigint {
  return sn.seconds * NANOS_PER_SECOND + sn.nanos;
}

/** google.protobuf.Duration's documented range, which PGV checks before any bound. */
export function isValidDuration(sn: { seconds: bigint; nanos: bigint }): boolean {
  if (sn.seconds < -315_576_000_000n || sn.seconds > 315_576_000_000n) return false;
  if (sn.nanos <= -NANOS_PER_SECOND || sn.nanos >= NANOS_PER_SECOND) return false;
  return !((sn.seconds > 0n && sn.nanos < 0n) || (sn.seconds < 0n && sn.nanos > 0n));
}

/** 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z, as google.protobuf.Timestamp requires. */
export function isValidTimestamp(sn: { seconds: bigint; nanos: bigint }): boolean {
  return sn.seconds >= -62_135_596_800n && sn.seconds <= 253_402_300_799n && sn.nanos >= 0n && sn.nanos < NANOS_PER_SECOND;
}

export function formatNanos(n: bigint): string {
  const neg = n < 0n;
  const abs = neg ? -n : n;
  const s = abs / NANOS_PER_SECOND;
  const frac = abs % NANOS_PER_SECOND;
  const fracText = frac === 0n ? '' : '.' + frac.toString().padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${s}${fracText}s`;
}

export function nowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** Rule values such as `in`/`not_in` may be a single literal or a list in the option text. */
export function asList(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

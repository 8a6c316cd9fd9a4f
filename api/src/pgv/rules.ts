// Compiles one PGV rule message (StringRules, UInt32Rules, DurationRules, …)
// into a closure, once per field, so validating a message only runs the
// checks its options actually declare.
import type protobuf from 'protobufjs';
import {
  HEADER_STRING_LOOSE,
  HTTP_HEADER_NAME_STRICT,
  HTTP_HEADER_VALUE_STRICT,
  isAddress,
  isEmail,
  isHostname,
  isIp,
  isIPv4,
  isIPv6Address,
  isUri,
  isUriRef,
  isUuid,
  re2ToRegExp,
} from './wellknown.js';
import {
  asList,
  bytesEndWith,
  bytesEqual,
  bytesIndexOf,
  bytesKey,
  bytesStartWith,
  codePointLength,
  formatNanos,
  isValidDuration,
  isValidTimestamp,
  nowNanos,
  optionBytes,
  secondsNanos,
  toBigInt,
  toBytes,
  toNumber,
  totalNanos,
  utf8Length,
} from './values.js';

export interface Reporter {
  report(rule: string, message: string): void;
}

export type Check = (value: unknown, r: Reporter) => void;
export type RuleObject = Record<string, unknown>;

type Cmp = number | bigint;
type TypedCheck<T> = (v: T, r: Reporter) => void;

export function isRuleObject(v: unknown): v is RuleObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function has(r: RuleObject, key: string): boolean {
  return r[key] !== undefined && r[key] !== null;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/** Runs `checks` on the normalised value; `isEmpty` implements ignore_empty. */
function combine<T>(
  r: RuleObject,
  normalise: (v: unknown) => T,
  checks: TypedCheck<T>[],
  isEmpty: (v: T) => boolean,
): Check | null {
  if (checks.length === 0) return null;
  const ignoreEmpty = r['ignore_empty'] === true;
  return (value, rep) => {
    const v = normalise(value);
    if (ignoreEmpty && isEmpty(v)) return;
    for (const c of checks) c(v, rep);
  };
}

/**
 * lt/lte/gt/gte with PGV's semantics: when the upper bound is above the lower
 * bound the value must lie inside the range, otherwise outside it (an
 * exclusive range). An inside-range failure names the bound that was crossed;
 * an outside-range failure names the upper-bound key.
 */
export function compileRange<T extends Cmp>(
  kind: string,
  b: { lt?: T | undefined; lte?: T | undefined; gt?: T | undefined; gte?: T | undefined },
  fmt: (x: T) => string,
): TypedCheck<T> | null {
  const { lt, lte, gt, gte } = b;
  const hiKey = lt !== undefined ? 'lt' : 'lte';
  const hi = lt ?? lte;
  const loKey = gt !== undefined ? 'gt' : 'gte';
  const lo = gt ?? gte;
  const hiOpen = lt !== undefined;
  const loOpen = gt !== undefined;
  const hiText = (x: T): string => `${hiOpen ? '<' : '<='} ${fmt(x)}`;
  if (hi === undefined && lo === undefined) return null;
  if (hi === undefined) {
    const l = lo as T;
    const msg = `value must be greater than ${loOpen ? '' : 'or equal to '}${fmt(l)}`;
    return (v, rep) => {
      if (loOpen ? v <= l : v < l) rep.report(`${kind}.${loKey}`, msg);
    };
  }
  if (lo === undefined) {
    const msg = `value must be less than ${hiOpen ? '' : 'or equal to '}${fmt(hi)}`;
    return (v, rep) => {
      if (hiOpen ? v >= hi : v > hi) rep.report(`${kind}.${hiKey}`, msg);
    };
  }
  const below = (v: T): boolean => (loOpen ? v <= lo : v < lo);
  const above = (v: T): boolean => (hiOpen ? v >= hi : v > hi);
  if (hi > lo) {
    const msg = `value must be inside range ${loOpen ? '(' : '['}${fmt(lo)}, ${fmt(hi)}${hiOpen ? ')' : ']'}`;
    return (v, rep) => {
      if (below(v)) rep.report(`${kind}.${loKey}`, msg);
      else if (above(v)) rep.report(`${kind}.${hiKey}`, msg);
    };
  }
  const msg = `value must be outside range ${hiOpen ? '[' : '('}${fmt(hi)}, ${fmt(lo)}${loOpen ? ']' : ')'} (${hiText(hi)} or ${loOpen ? '>' : '>='} ${fmt(lo)})`;
  return (v, rep) => {
    if (above(v) && below(v)) rep.report(`${kind}.${hiKey}`, msg);
  };
}

function setChecks<T>(kind: string, r: RuleObject, conv: (x: unknown) => T, key: (x: T) => unknown, fmt: (x: T) => string): TypedCheck<T>[] {
  const out: TypedCheck<T>[] = [];
  if (has(r, 'const')) {
    const c = conv(r['const']);
    const ck = key(c);
    out.push((v, rep) => {
      if (key(v) !== ck) rep.report(`${kind}.const`, `value must equal ${fmt(c)}`);
    });
  }
  const inList = asList(r['in']).map(conv);
  if (inList.length > 0) {
    const set = new Set(inList.map(key));
    const text = `[${inList.map(fmt).join(', ')}]`;
    out.push((v, rep) => {
      if (!set.has(key(v))) rep.report(`${kind}.in`, `value must be in list ${text}`);
    });
  }
  const notIn = asList(r['not_in']).map(conv);
  if (notIn.length > 0) {
    const set = new Set(notIn.map(key));
    const text = `[${notIn.map(fmt).join(', ')}]`;
    out.push((v, rep) => {
      if (set.has(key(v))) rep.report(`${kind}.not_in`, `value must not be in list ${text}`);
    });
  }
  return out;
}

const BIG_KINDS = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
export const NUMERIC_KINDS = new Set([
  'float', 'double', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', ...BIG_KINDS,
]);

function compileNumeric(kind: string, r: RuleObject): Check | null {
  const identity = <T>(x: T): T => x;
  if (BIG_KINDS.has(kind)) {
    const conv = (x: unknown): bigint => toBigInt(x) ?? 0n;
    const opt = (k: string): bigint | undefined => (has(r, k) ? conv(r[k]) : undefined);
    const checks = setChecks<bigint>(kind, r, conv, identity, String);
    const range = compileRange<bigint>(kind, { lt: opt('lt'), lte: opt('lte'), gt: opt('gt'), gte: opt('gte') }, String);
    if (range) checks.push(range);
    return combine(r, conv, checks, (v) => v === 0n);
  }
  const opt = (k: string): number | undefined => (has(r, k) ? toNumber(r[k]) : undefined);
  const checks = setChecks<number>(kind, r, toNumber, identity, String);
  const range = compileRange<number>(kind, { lt: opt('lt'), lte: opt('lte'), gt: opt('gt'), gte: opt('gte') }, String);
  if (range) checks.push(range);
  return combine(r, toNumber, checks, (v) => v === 0);
}

function compileString(r: RuleObject): Check | null {
  const k = 'string';
  const checks: TypedCheck<string>[] = setChecks<string>(k, r, (x) => String(x), (x) => x, quote);
  const size = (key: string, measure: (s: string) => number, cmp: 'eq' | 'min' | 'max', unit: string): void => {
    if (!has(r, key)) return;
    const n = toNumber(r[key]);
    const text = cmp === 'eq' ? `value length must be ${n} ${unit}` : `value length must be at ${cmp === 'min' ? 'least' : 'most'} ${n} ${unit}`;
    checks.push((s, rep) => {
      const len = measure(s);
      if (cmp === 'eq' ? len !== n : cmp === 'min' ? len < n : len > n) rep.report(`${k}.${key}`, text);
    });
  };
  size('len', codePointLength, 'eq', 'runes');
  size('min_len', codePointLength, 'min', 'runes');
  size('max_len', codePointLength, 'max', 'runes');
  size('len_bytes', utf8Length, 'eq', 'bytes');
  size('min_bytes', utf8Length, 'min', 'bytes');
  size('max_bytes', utf8Length, 'max', 'bytes');
  if (has(r, 'pattern')) {
    const src = String(r['pattern']);
    const re = re2ToRegExp(src);
    if (re) checks.push((s, rep) => void (re.test(s) || rep.report(`${k}.pattern`, `value does not match regex pattern ${quote(src)}`)));
  }
  const text = (key: string, test: (s: string, t: string) => boolean, msg: string): void => {
    if (!has(r, key)) return;
    const t = String(r[key]);
    checks.push((s, rep) => void (test(s, t) || rep.report(`${k}.${key}`, `${msg} ${quote(t)}`)));
  };
  text('prefix', (s, t) => s.startsWith(t), 'value does not have prefix');
  text('suffix', (s, t) => s.endsWith(t), 'value does not have suffix');
  text('contains', (s, t) => s.includes(t), 'value does not contain substring');
  text('not_contains', (s, t) => !s.includes(t), 'value contains substring');
  const known = (key: string, test: (s: string) => boolean, msg: string): void => {
    if (r[key] === true) checks.push((s, rep) => void (test(s) || rep.report(`${k}.${key}`, msg)));
  };
  known('email', isEmail, 'value must be a valid email address');
  known('hostname', isHostname, 'value must be a valid hostname');
  known('ip', isIp, 'value must be a valid IP address');
  known('ipv4', isIPv4, 'value must be a valid IPv4 address');
  known('ipv6', isIPv6Address, 'value must be a valid IPv6 address');
  known('uri', isUri, 'value must be a valid absolute URI');
  known('uri_ref', isUriRef, 'value must be a valid URI reference');
  known('address', isAddress, 'value must be a valid hostname, or ip address');
  known('uuid', isUuid, 'value must be a valid UUID');
  const wkr = r['well_known_regex'];
  if (wkr !== undefined && wkr !== null) {
    const strict = r['strict'] !== false;
    const name = wkr === 1 ? 'HTTP_HEADER_NAME' : wkr === 2 ? 'HTTP_HEADER_VALUE' : String(wkr);
    const re =
      name === 'HTTP_HEADER_NAME' ? (strict ? HTTP_HEADER_NAME_STRICT : HEADER_STRING_LOOSE)
      : name === 'HTTP_HEADER_VALUE' ? (strict ? HTTP_HEADER_VALUE_STRICT : HEADER_STRING_LOOSE)
      : undefined;
    if (re) {
      const msg = `value does not match regex pattern for ${name}${strict ? '' : ' (strict: false)'}`;
      checks.push((s, rep) => void (re.test(s) || rep.report(`${k}.well_known_regex`, msg)));
    }
  }
  return combine(r, (v) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v)), checks, (s) => s === '');
}

function compileBytes(r: RuleObject): Check | null {
  const k = 'bytes';
  const fmt = (b: Uint8Array): string => `0x${bytesKey(b)}`;
  const checks: TypedCheck<Uint8Array>[] = setChecks<Uint8Array>(k, r, optionBytes, bytesKey, fmt);
  const size = (key: string, cmp: 'eq' | 'min' | 'max'): void => {
    if (!has(r, key)) return;
    const n = toNumber(r[key]);
    const text = cmp === 'eq' ? `value length must be ${n} bytes` : `value length must be at ${cmp === 'min' ? 'least' : 'most'} ${n} bytes`;
    checks.push((b, rep) => {
      if (cmp === 'eq' ? b.length !== n : cmp === 'min' ? b.length < n : b.length > n) rep.report(`${k}.${key}`, text);
    });
  };
  size('len', 'eq');
  size('min_len', 'min');
  size('max_len', 'max');
  if (has(r, 'pattern')) {
    const src = String(r['pattern']);
    const re = re2ToRegExp(src);
    const dec = new TextDecoder('utf-8');
    if (re) checks.push((b, rep) => void (re.test(dec.decode(b)) || rep.report(`${k}.pattern`, `value does not match regex pattern ${quote(src)}`)));
  }
  const part = (key: string, test: (b: Uint8Array, t: Uint8Array) => boolean, msg: string): void => {
    if (!has(r, key)) return;
    const t = optionBytes(r[key]);
    checks.push((b, rep) => void (test(b, t) || rep.report(`${k}.${key}`, `${msg} ${fmt(t)}`)));
  };
  part('prefix', bytesStartWith, 'value does not have prefix');
  part('suffix', bytesEndWith, 'value does not have suffix');
  part('contains', (b, t) => bytesIndexOf(b, t) >= 0, 'value does not contain');
  const ipLen = (key: string, ok: (n: number) => boolean, msg: string): void => {
    if (r[key] === true) checks.push((b, rep) => void (ok(b.length) || rep.report(`${k}.${key}`, msg)));
  };
  ipLen('ip', (n) => n === 4 || n === 16, 'value must be a valid IP address (4 or 16 bytes)');
  ipLen('ipv4', (n) => n === 4, 'value must be a valid IPv4 address (4 bytes)');
  ipLen('ipv6', (n) => n === 16, 'value must be a valid IPv6 address (16 bytes)');
  // `const` compares by content; setChecks keyed it by hex already, but make exactness explicit for len-0 consts.
  if (has(r, 'const') && optionBytes(r['const']).length === 0) {
    checks.push((b, rep) => void (bytesEqual(b, new Uint8Array(0)) || rep.report(`${k}.const`, 'value must be empty')));
  }
  return combine(r, toBytes, checks, (b) => b.length === 0);
}

/** Enum values may be numbers (decoded) or names (plain objects); unknown names become NaN. */
export function enumNumber(enumType: protobuf.Enum | null, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && enumType) {
    const n = enumType.values[v];
    return n === undefined ? Number.NaN : n;
  }
  return v === undefined || v === null ? 0 : Number(v);
}

function compileEnum(r: RuleObject, enumType: protobuf.Enum | null): Check | null {
  const k = 'enum';
  const conv = (x: unknown): number => enumNumber(enumType, x);
  const checks = setChecks<number>(k, r, conv, (x) => x, String);
  if (r['defined_only'] === true && enumType) {
    const defined = new Set(Object.values(enumType.values));
    const name = enumType.fullName.replace(/^\./, '');
    checks.push((v, rep) => void (defined.has(v) || rep.report(`${k}.defined_only`, `value ${v} must be one of the defined enum values of ${name}`)));
  }
  return combine(r, conv, checks, () => false);
}

function compileBool(r: RuleObject): Check | null {
  if (!has(r, 'const')) return null;
  const c = r['const'] === true;
  return (v, rep) => {
    if ((v === true) !== c) rep.report('bool.const', `value must equal ${c}`);
  };
}

function durationOpt(r: RuleObject, k: string): bigint | undefined {
  if (!has(r, k)) return undefined;
  const sn = secondsNanos(r[k]);
  return sn ? totalNanos(sn) : 0n;
}

function compileDuration(r: RuleObject): Check | null {
  const k = 'duration';
  const conv = (x: unknown): bigint => {
    const sn = secondsNanos(x);
    return sn ? totalNanos(sn) : 0n;
  };
  const checks = setChecks<bigint>(k, r, conv, (x) => x, formatNanos);
  const range = compileRange<bigint>(k, { lt: durationOpt(r, 'lt'), lte: durationOpt(r, 'lte'), gt: durationOpt(r, 'gt'), gte: durationOpt(r, 'gte') }, formatNanos);
  if (range) checks.push(range);
  if (checks.length === 0) return null;
  return (value, rep) => {
    const sn = secondsNanos(value);
    if (!sn || !isValidDuration(sn)) {
      rep.report(`${k}.valid`, 'value is not a valid duration');
      return;
    }
    const n = totalNanos(sn);
    for (const c of checks) c(n, rep);
  };
}

function compileTimestamp(r: RuleObject): Check | null {
  const k = 'timestamp';
  const checks: TypedCheck<bigint>[] = setChecks<bigint>(k, r, (x) => durationOpt({ v: x }, 'v') ?? 0n, (x) => x, (x) => new Date(Number(x / 1_000_000n)).toISOString());
  const range = compileRange<bigint>(k, { lt: durationOpt(r, 'lt'), lte: durationOpt(r, 'lte'), gt: durationOpt(r, 'gt'), gte: durationOpt(r, 'gte') }, (x) => new Date(Number(x / 1_000_000n)).toISOString());
  if (range) checks.push(range);
  const within = durationOpt(r, 'within');
  if (r['lt_now'] === true) checks.push((v, rep) => void (v < nowNanos() || rep.report(`${k}.lt_now`, 'value must be less than now')));
  if (r['gt_now'] === true) checks.push((v, rep) => void (v > nowNanos() || rep.report(`${k}.gt_now`, 'value must be greater than now')));
  if (within !== undefined) {
    checks.push((v, rep) => {
      const d = v - nowNanos();
      if ((d < 0n ? -d : d) > within) rep.report(`${k}.within`, `value must be within ${formatNanos(within)} of now`);
    });
  }
  if (checks.length === 0) return null;
  return (value, rep) => {
    const sn = secondsNanos(value);
    if (!sn || !isValidTimestamp(sn)) {
      rep.report(`${k}.valid`, 'value is not a valid timestamp');
      return;
    }
    const n = totalNanos(sn);
    for (const c of checks) c(n, rep);
  };
}

/** The type URL of an Any, in decoded (`type_url`) or JSON (`@type`) shape. */
export function anyTypeUrl(v: unknown): string {
  if (typeof v !== 'object' || v === null) return '';
  const o = v as { type_url?: unknown; '@type'?: unknown; typeUrl?: unknown };
  const u = o.type_url ?? o['@type'] ?? o.typeUrl;
  return typeof u === 'string' ? u : '';
}

function compileAny(r: RuleObject): Check | null {
  const k = 'any';
  const inList = asList(r['in']).map(String);
  const notIn = asList(r['not_in']).map(String);
  const checks: TypedCheck<string>[] = [];
  if (inList.length > 0) {
    const set = new Set(inList);
    checks.push((u, rep) => void (set.has(u) || rep.report(`${k}.in`, `type URL must be in list [${inList.join(', ')}]`)));
  }
  if (notIn.length > 0) {
    const set = new Set(notIn);
    checks.push((u, rep) => void (!set.has(u) || rep.report(`${k}.not_in`, `type URL must not be in list [${notIn.join(', ')}]`)));
  }
  if (checks.length === 0) return null;
  return (value, rep) => {
    const u = anyTypeUrl(value);
    for (const c of checks) c(u, rep);
  };
}

/**
 * The check for one rule family (`kind` is the FieldRules oneof member, e.g.
 * "string", "uint32", "duration"), or null when the rules are empty or of a
 * family this validator applies elsewhere (message, repeated, map).
 */
export function compileKind(kind: string, r: RuleObject, enumType: protobuf.Enum | null): Check | null {
  if (NUMERIC_KINDS.has(kind)) return compileNumeric(kind, r);
  switch (kind) {
    case 'string':
      return compileString(r);
    case 'bytes':
      return compileBytes(r);
    case 'bool':
      return compileBool(r);
    case 'enum':
      return compileEnum(r, enumType);
    case 'duration':
      return compileDuration(r);
    case 'timestamp':
      return compileTimestamp(r);
    case 'any':
      return compileAny(r);
    default:
      return null;
  }
}

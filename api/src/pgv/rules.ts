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
  bytesEndWith,
  bytesIndexOf,
  bytesKey,
  bytesStartWith,
  codePointLength,
  optionBytes,
  toBigInt,
  toBytes,
  toNumber,
  utf8Length,
} from './values.js';
import { combine, compileRange, has, quote, setChecks, type Check, type RuleObject, type TypedCheck } from './core.js';
import { compileAny, compileDuration, compileTimestamp } from './wkt.js';

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

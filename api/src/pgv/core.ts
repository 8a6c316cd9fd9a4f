// Shared plumbing for the rule compilers: the reporter interface, the
// const/in/not_in and lt/lte/gt/gte checks every scalar family shares, and
// ignore_empty handling.
import { asList } from './values.js';

export interface Reporter {
  report(rule: string, message: string): void;
}

export type Check = (value: unknown, r: Reporter) => void;
export type RuleObject = Record<string, unknown>;

type Cmp = number | bigint;
export type TypedCheck<T> = (v: T, r: Reporter) => void;

export function isRuleObject(v: unknown): v is RuleObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function has(r: RuleObject, key: string): boolean {
  return r[key] !== undefined && r[key] !== null;
}

export function quote(s: string): string {
  return JSON.stringify(s);
}

/** Runs `checks` on the normalised value; `isEmpty` implements ignore_empty. */
export function combine<T>(
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

export function setChecks<T>(kind: string, r: RuleObject, conv: (x: unknown) => T, key: (x: T) => unknown, fmt: (x: T) => string): TypedCheck<T>[] {
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

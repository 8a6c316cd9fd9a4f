// Rules for the well-known message types PGV treats as values:
// google.protobuf.Duration, Timestamp and Any. Durations and timestamps are
// compared as exact nanosecond bigints.
import { asList, formatNanos, isValidDuration, isValidTimestamp, nowNanos, secondsNanos, totalNanos } from './values.js';
import { compileRange, has, setChecks, type Check, type RuleObject, type TypedCheck } from './core.js';

function nanosOf(x: unknown): bigint {
  const sn = secondsNanos(x);
  return sn ? totalNanos(sn) : 0n;
}

function durationOpt(r: RuleObject, k: string): bigint | undefined {
  return has(r, k) ? nanosOf(r[k]) : undefined;
}

export function compileDuration(r: RuleObject): Check | null {
  const k = 'duration';
  const checks = setChecks<bigint>(k, r, nanosOf, (x) => x, formatNanos);
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

export function compileTimestamp(r: RuleObject): Check | null {
  const k = 'timestamp';
  const iso = (x: bigint): string => new Date(Number(x / 1_000_000n)).toISOString();
  const checks: TypedCheck<bigint>[] = setChecks<bigint>(k, r, nanosOf, (x) => x, iso);
  const range = compileRange<bigint>(k, { lt: durationOpt(r, 'lt'), lte: durationOpt(r, 'lte'), gt: durationOpt(r, 'gt'), gte: durationOpt(r, 'gte') }, iso);
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

export function compileAny(r: RuleObject): Check | null {
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

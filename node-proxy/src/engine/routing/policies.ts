// Retry, mirror and hash policies of a route, with Envoy's defaults.
import type { Decoded, MirrorPolicy, RequestHead, RetryPolicy } from '../types.js';
import { bool, ConfigRejected, durationMs, msg, nums, num, oneof, str, wrappedNum } from './fields.js';
import { splitAddress } from './host.js';
import { asciiLower, parseQuery, rawRequestHeader } from './matchers.js';
import { compileRegexRewrite } from './regex.js';

/** envoy.config.route.v3.RetryPolicy: num_retries defaults to 1, back-off to 25 ms base and 10× base max. */
export function compileRetryPolicy(p: Decoded): RetryPolicy {
  const retryOn = new Set(
    str(p, 'retry_on')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  let baseMs = 25;
  let maxMs = 250;
  const backoff = msg(p, 'retry_back_off');
  if (backoff) {
    baseMs = durationMs(backoff, 'base_interval') ?? 0;
    if (baseMs <= 0) throw new ConfigRejected('retry_back_off: base_interval must be greater than zero');
    maxMs = durationMs(backoff, 'max_interval') ?? baseMs * 10;
    if (maxMs < baseMs) throw new ConfigRejected('retry_back_off: max_interval must be greater than or equal to the base_interval');
  }
  return {
    retryOn,
    numRetries: wrappedNum(p, 'num_retries') ?? 1,
    perTryTimeoutMs: durationMs(p, 'per_try_timeout') ?? 0,
    retriableStatusCodes: nums(p, 'retriable_status_codes'),
    backoff: { baseMs, maxMs },
  };
}

/** A mirror policy; `disableShadowHostSuffixAppend` is additive to the contract. */
export interface RouteMirrorPolicy extends MirrorPolicy {
  disableShadowHostSuffixAppend?: boolean;
}

const DENOMINATORS: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

/** envoy.type.v3.FractionalPercent → 0..1. */
export function fraction(fp: Decoded | undefined): number {
  const den = DENOMINATORS[str(fp, 'denominator', 'HUNDRED')];
  if (!den) throw new ConfigRejected(`unknown FractionalPercent denominator ${str(fp, 'denominator')}`);
  return Math.min(1, num(fp, 'numerator') / den);
}

export function compileMirrorPolicy(p: Decoded): RouteMirrorPolicy {
  const cluster = str(p, 'cluster');
  if (!cluster) throw new ConfigRejected('request_mirror_policies: cluster is required (cluster_header is not supported)');
  const rf = msg(p, 'runtime_fraction');
  // A runtime_fraction without default_value means 0%: nodemesh has no runtime to supply the key.
  const policy: RouteMirrorPolicy = { cluster, fraction: rf ? fraction(msg(rf, 'default_value')) : 1 };
  if (bool(p, 'disable_shadow_host_suffix_append')) policy.disableShadowHostSuffixAppend = true;
  return policy;
}

export type HashPolicy = (req: RequestHead) => string | undefined;

/**
 * hash_policy list → one key. Like Envoy, every policy that produces a value
 * contributes (Envoy folds their hashes together) until a terminal policy has
 * produced one; the key is their values joined, so a single policy's key is
 * exactly the header, parameter or address it hashed.
 */
export function compileHashPolicies(list: readonly Decoded[]): HashPolicy | undefined {
  const methods = list.map(compileHashMethod).filter((m) => m !== undefined);
  if (!methods.length) return undefined;
  return (req) => {
    const parts: string[] = [];
    for (const m of methods) {
      const v = m.evaluate(req);
      if (v !== undefined) parts.push(v);
      if (m.terminal && parts.length) break;
    }
    return parts.length ? parts.join('\u0000') : undefined;
  };
}

interface HashMethod {
  terminal: boolean;
  evaluate: (req: RequestHead) => string | undefined;
}

function compileHashMethod(p: Decoded): HashMethod | undefined {
  const terminal = bool(p, 'terminal');
  switch (oneof(p, 'policy_specifier')) {
    case 'header': {
      const h = msg(p, 'header');
      const name = asciiLower(str(h, 'header_name'));
      const rewrite = compileRegexRewrite(msg(h, 'regex_rewrite'));
      return {
        terminal,
        evaluate: (req) => {
          const v = rawRequestHeader(req, name);
          if (v === undefined || (Array.isArray(v) && !v.length)) return undefined;
          // Envoy sorts several values so their order does not change the hash.
          const values = (Array.isArray(v) ? [...v].sort() : [v]).map((x) => (rewrite ? rewrite.apply(x) : x));
          return values.join('\u0000');
        },
      };
    }
    case 'query_parameter': {
      const name = str(msg(p, 'query_parameter'), 'name');
      return { terminal, evaluate: (req) => parseQuery(req.path).get(name) };
    }
    case 'connection_properties':
      if (!bool(msg(p, 'connection_properties'), 'source_ip')) return undefined;
      return { terminal, evaluate: (req) => (req.remoteAddress ? splitAddress(req.remoteAddress).ip : undefined) };
    default:
      throw new ConfigRejected(`hash_policy: unsupported ${oneof(p, 'policy_specifier') ?? '(none)'}`);
  }
}

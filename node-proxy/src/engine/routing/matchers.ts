// StringMatcher, HeaderMatcher and QueryParameterMatcher, shared by route
// matching and RBAC. Semantics follow Envoy's StringMatcherImpl and
// HeaderUtility::HeaderData: case folding is ASCII only (absl), several
// values of one header are matched as one string joined by ',', and a missing
// header only matches `present_match: false` (or its inversion of true).
import type { Decoded, Headers, RequestHead } from '../types.js';
import { bigint, bool, ConfigRejected, has, msg, oneof, str } from './fields.js';
import { compileRegexMatcher } from './regex.js';

export type StringMatch = (value: string) => boolean;

/** A header's value as Envoy's getAllOfHeaderAsString sees it; undefined when absent. */
export type HeaderLookup = (name: string) => string | undefined;

export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (c) => c.toLowerCase());
}

/** envoy.type.matcher.v3.StringMatcher. */
export function compileStringMatcher(m: Decoded | undefined): StringMatch {
  const ignoreCase = bool(m, 'ignore_case');
  const fold = ignoreCase ? asciiLower : (s: string) => s;
  switch (oneof(m, 'match_pattern')) {
    case 'exact': {
      const want = fold(str(m, 'exact'));
      return (v) => fold(v) === want;
    }
    case 'prefix': {
      const want = fold(str(m, 'prefix'));
      return (v) => fold(v).startsWith(want);
    }
    case 'suffix': {
      const want = fold(str(m, 'suffix'));
      return (v) => fold(v).endsWith(want);
    }
    case 'contains': {
      const want = fold(str(m, 'contains'));
      return (v) => fold(v).includes(want);
    }
    case 'safe_regex': {
      // ignore_case has no effect on regexes (string.proto).
      const re = compileRegexMatcher(msg(m, 'safe_regex'));
      return (v) => re.fullMatch(v);
    }
    default:
      throw new ConfigRejected(`StringMatcher: unsupported match pattern ${oneof(m, 'match_pattern') ?? '(none)'}`);
  }
}

/** The path without query and fragment, as Envoy's PathUtil::removeQueryAndFragment. */
export function pathOnly(path: string): string {
  const q = path.search(/[?#]/);
  return q < 0 ? path : path.slice(0, q);
}

/** Query parameters as Envoy's QueryParamsMulti::parseQueryString (not percent-decoded); first value per name. */
export function parseQuery(path: string): Map<string, string> {
  const params = new Map<string, string>();
  const q = path.indexOf('?');
  if (q < 0) return params;
  for (const part of path.slice(q + 1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (!params.has(name)) params.set(name, eq < 0 ? '' : part.slice(eq + 1));
  }
  return params;
}

export function joinHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * A request header's raw value: pseudo-headers come from the head; `host` is
 * absent because Envoy's codecs turn it into :authority before any filter.
 */
export function rawRequestHeader(req: RequestHead, name: string): string | string[] | undefined {
  switch (name) {
    case ':method':
      return req.method;
    case ':authority':
      return req.authority;
    case ':path':
      return req.path;
    case ':scheme':
      return req.scheme;
    case 'host':
      return undefined;
    default:
      return req.headers[name];
  }
}

export function requestLookup(req: RequestHead): HeaderLookup {
  return (name) => joinHeader(rawRequestHeader(req, name));
}

export function headersLookup(headers: Headers): HeaderLookup {
  return (name) => joinHeader(headers[name]);
}

const INT64 = /^\s*[+-]?\d+\s*$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** envoy.config.route.v3.HeaderMatcher → predicate over a header lookup. */
export function compileHeaderMatcher(m: Decoded): (get: HeaderLookup) => boolean {
  const name = asciiLower(str(m, 'name'));
  const invert = bool(m, 'invert_match');
  const missingAsEmpty = bool(m, 'treat_missing_header_as_empty');
  const kind = oneof(m, 'header_match_specifier');
  let test: (v: string) => boolean;
  let present = true;
  switch (kind) {
    case 'exact_match': {
      const want = str(m, 'exact_match');
      // An empty exact_match means "present", as Envoy's HeaderDataExactMatch.
      test = (v) => want === '' || v === want;
      break;
    }
    case 'safe_regex_match': {
      const re = compileRegexMatcher(msg(m, 'safe_regex_match'));
      test = (v) => re.fullMatch(v);
      break;
    }
    case 'range_match': {
      const r = msg(m, 'range_match');
      const start = bigint(r, 'start');
      const end = bigint(r, 'end');
      test = (v) => {
        if (!INT64.test(v)) return false;
        const n = BigInt(v.trim());
        return n >= INT64_MIN && n <= INT64_MAX && n >= start && n < end;
      };
      break;
    }
    case 'prefix_match': {
      const want = str(m, 'prefix_match');
      test = (v) => v.startsWith(want);
      break;
    }
    case 'suffix_match': {
      const want = str(m, 'suffix_match');
      test = (v) => v.endsWith(want);
      break;
    }
    case 'contains_match': {
      const want = str(m, 'contains_match');
      test = (v) => v.includes(want);
      break;
    }
    case 'string_match':
      test = compileStringMatcher(msg(m, 'string_match'));
      break;
    case 'present_match':
    case undefined:
      present = kind === undefined || bool(m, 'present_match');
      test = () => present;
      break;
    default:
      throw new ConfigRejected(`HeaderMatcher ${name}: unsupported ${kind}`);
  }
  const isPresentMatch = kind === 'present_match' || kind === undefined;
  return (get) => {
    const value = get(name);
    if (value === undefined && !missingAsEmpty) {
      return isPresentMatch && (invert ? present : !present);
    }
    return test(value ?? '') !== invert;
  };
}

/** envoy.config.route.v3.QueryParameterMatcher: the first value of the parameter decides. */
export function compileQueryParameterMatcher(m: Decoded): (params: Map<string, string>) => boolean {
  const name = str(m, 'name');
  const match = has(m, 'string_match') ? compileStringMatcher(msg(m, 'string_match')) : undefined;
  return (params) => {
    const v = params.get(name);
    if (v === undefined) return false;
    return match ? match(v) : true;
  };
}

// RouteMatch. Path specifiers match the path without query and fragment
// (Envoy's PathMatcher strips them for prefix, path and safe_regex alike);
// case_sensitive (default true) folds ASCII case for all but safe_regex.
// A match yields the "matched path" prefix_rewrite replaces: the configured
// prefix or path, or the whole query-less path for regex routes.
import type { Decoded, RequestHead } from '../types.js';
import { ConfigRejected, msg, msgs, oneof, str, wrappedBool } from './fields.js';
import {
  asciiLower,
  compileHeaderMatcher,
  compileQueryParameterMatcher,
  parseQuery,
  pathOnly,
  type HeaderLookup,
} from './matchers.js';
import { compileRegexMatcher } from './regex.js';

export type PathSpecifier = 'prefix' | 'path' | 'safe_regex' | 'path_separated_prefix';

export interface RouteMatcher {
  readonly specifier: PathSpecifier;
  readonly caseSensitive: boolean;
  /** The matched path (see above), or undefined when the route does not match. */
  match(req: RequestHead, headers: HeaderLookup): string | undefined;
}

export function compileRouteMatch(m: Decoded | undefined): RouteMatcher {
  const specifier = oneof(m, 'path_specifier');
  const caseSensitive = wrappedBool(m, 'case_sensitive') ?? true;
  const fold = caseSensitive ? (s: string) => s : asciiLower;
  const headerMatchers = msgs(m, 'headers').map(compileHeaderMatcher);
  const queryMatchers = msgs(m, 'query_parameters').map(compileQueryParameterMatcher);

  let path: (p: string) => string | undefined;
  switch (specifier) {
    case 'prefix': {
      const prefix = str(m, 'prefix');
      const want = fold(prefix);
      path = (p) => (fold(p).startsWith(want) ? prefix : undefined);
      break;
    }
    case 'path': {
      const exact = str(m, 'path');
      const want = fold(exact);
      path = (p) => (fold(p) === want ? exact : undefined);
      break;
    }
    case 'path_separated_prefix': {
      const prefix = str(m, 'path_separated_prefix');
      if (prefix.endsWith('/') || /[?#]/.test(prefix))
        throw new ConfigRejected(`path_separated_prefix ${JSON.stringify(prefix)} must not end with '/' or contain '?' or '#'`);
      const want = fold(prefix);
      // Matches "/foo" and "/foo/…" but not "/foobar".
      path = (p) => (fold(p).startsWith(want) && (p.length === want.length || p[want.length] === '/') ? prefix : undefined);
      break;
    }
    case 'safe_regex': {
      const re = compileRegexMatcher(msg(m, 'safe_regex'));
      path = (p) => (re.fullMatch(p) ? p : undefined);
      break;
    }
    default:
      throw new ConfigRejected(`RouteMatch: unsupported path specifier ${specifier ?? '(none)'}`);
  }

  return {
    specifier,
    caseSensitive,
    match(req, headers) {
      const matched = path(pathOnly(req.path));
      if (matched === undefined) return undefined;
      for (const h of headerMatchers) if (!h(headers)) return undefined;
      if (queryMatchers.length) {
        const params = parseQuery(req.path);
        for (const q of queryMatchers) if (!q(params)) return undefined;
      }
      return matched;
    },
  };
}

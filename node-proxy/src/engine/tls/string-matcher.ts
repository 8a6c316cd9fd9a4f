// envoy.type.matcher.v3.StringMatcher, as SAN matchers use it.
import type { Decoded } from '../types.js';

export type StringMatch = (value: string) => boolean;

export function compileStringMatcher(m: Decoded): StringMatch {
  const ignoreCase = m.ignore_case === true;
  const norm = (s: string) => (ignoreCase ? s.toLowerCase() : s);
  if (typeof m.exact === 'string') {
    const want = norm(m.exact);
    return (v) => norm(v) === want;
  }
  if (typeof m.prefix === 'string') {
    const want = norm(m.prefix);
    return (v) => norm(v).startsWith(want);
  }
  if (typeof m.suffix === 'string') {
    const want = norm(m.suffix);
    return (v) => norm(v).endsWith(want);
  }
  if (typeof m.contains === 'string') {
    const want = norm(m.contains);
    return (v) => norm(v).includes(want);
  }
  const re = (m.safe_regex as Decoded | undefined)?.regex;
  if (typeof re === 'string') {
    // RE2 semantics: the whole value must match; ignore_case does not apply to regexes in Envoy.
    const rx = new RegExp(`^(?:${re})$`);
    return (v) => rx.test(v);
  }
  // An empty matcher matches nothing, as Envoy's (it would be rejected by validation).
  return () => false;
}

// Envoy's regexes are RE2, translated by api/src/re2.ts; a pattern RE2 or
// JavaScript cannot take is a ConfigRejected (Envoy would NACK it).
// Substitutions use RE2's rewrite syntax (\0-\9, \\) and GlobalReplace's
// rule for empty matches.
import type { Decoded } from '../types.js';
import { buildRegExp, Re2Error, translateRe2 } from '../../../../api/src/re2.js';
import { ConfigRejected, msg, str } from './fields.js';

/** Compiled RE2 pattern: full matching (matchers) and GlobalReplace (rewrites). */
export class Re2 {
  private readonly full: RegExp;
  private readonly global: RegExp;
  readonly groups: number;

  constructor(readonly pattern: string) {
    try {
      const { source, flags } = translateRe2(pattern);
      this.full = buildRegExp(`(?<![\\s\\S])(?:${source})(?![\\s\\S])`, flags, pattern);
      this.global = buildRegExp(source, flags + 'g', pattern);
    } catch (err) {
      throw err instanceof Re2Error ? new ConfigRejected(err.message) : err;
    }
    this.groups = (new RegExp(`${this.global.source}|`, this.global.flags.replace('g', '')).exec('')?.length ?? 1) - 1;
  }

  /** RE2::FullMatch: the whole input must match. */
  fullMatch(s: string): boolean {
    return this.full.test(s);
  }

  /** RE2::GlobalReplace. Throws ConfigRejected for a rewrite RE2 would refuse. */
  replaceAll(s: string, rewrite: string): string {
    return this.replaceParts(s, parseRewrite(rewrite, this.groups, this.pattern));
  }

  /** GlobalReplace with a pre-parsed rewrite: literals and group numbers. */
  replaceParts(s: string, parts: readonly (string | number)[]): string {
    const re = this.global;
    let out = '';
    let p = 0;
    let lastEnd = -1;
    let count = 0;
    while (p <= s.length) {
      re.lastIndex = p;
      const m = re.exec(s);
      if (!m) break;
      const start = m.index;
      if (p < start) out += s.slice(p, start);
      if (m[0].length === 0 && start === lastEnd) {
        // RE2 disallows an empty match where the previous one ended: skip one code point.
        const step = (s.codePointAt(start) ?? 0) > 0xffff ? 2 : 1;
        if (start < s.length) out += s.slice(start, start + step);
        p = start + step;
        continue;
      }
      for (const part of parts) out += typeof part === 'number' ? (m[part] ?? '') : part;
      p = start + m[0].length;
      lastEnd = p;
      count++;
    }
    if (count === 0) return s;
    if (p < s.length) out += s.slice(p);
    return out;
  }
}

function parseRewrite(rewrite: string, groups: number, pattern: string): (string | number)[] {
  const parts: (string | number)[] = [];
  let lit = '';
  for (let i = 0; i < rewrite.length; i++) {
    const c = rewrite[i]!;
    if (c !== '\\') {
      lit += c;
      continue;
    }
    const n = rewrite[++i];
    if (n === '\\') lit += '\\';
    else if (n !== undefined && /[0-9]/.test(n)) {
      const g = Number(n);
      if (g > groups)
        throw new ConfigRejected(`substitution ${JSON.stringify(rewrite)} refers to group ${g}, but ${JSON.stringify(pattern)} has ${groups}`);
      if (lit) parts.push(lit);
      lit = '';
      parts.push(g);
    } else throw new ConfigRejected(`substitution ${JSON.stringify(rewrite)}: invalid rewrite pattern`);
  }
  if (lit) parts.push(lit);
  return parts;
}

/** envoy.type.matcher.v3.RegexMatcher → Re2. */
export function compileRegexMatcher(m: Decoded | undefined): Re2 {
  return new Re2(str(m, 'regex'));
}

export interface RegexRewrite {
  re: Re2;
  substitution: string;
  apply(s: string): string;
}

/** envoy.type.matcher.v3.RegexMatchAndSubstitute; the substitution is validated now, as RE2 would. */
export function compileRegexRewrite(m: Decoded | undefined): RegexRewrite | undefined {
  if (!m) return undefined;
  const re = compileRegexMatcher(msg(m, 'pattern'));
  const substitution = str(m, 'substitution');
  const parts = parseRewrite(substitution, re.groups, re.pattern);
  return { re, substitution, apply: (s) => re.replaceParts(s, parts) };
}

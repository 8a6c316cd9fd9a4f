// Envoy's regexes are RE2. JavaScript's RegExp is close to a superset, so an
// RE2 pattern is translated (named groups, \A \z, \Q…\E, POSIX classes,
// leading flag groups) and the RE2-only-rejects (backreferences, lookaround)
// are refused, since Envoy would NACK them. Substitutions use RE2's rewrite
// syntax (\0-\9, \\) and GlobalReplace's rule for empty matches.
import type { Decoded } from '../types.js';
import { ConfigRejected, msg, str } from './fields.js';

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** RE2 syntax → JavaScript source and flags. Throws ConfigRejected for what RE2 refuses or JS cannot express. */
export function translateRe2(pattern: string): { source: string; flags: string } {
  let flags = '';
  let p = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(p);
  if (lead) {
    if (lead[1]!.includes('U')) throw new ConfigRejected(`regex ${JSON.stringify(pattern)}: ungreedy flag (?U) is not supported`);
    flags = [...new Set(lead[1]!.split(''))].join('');
    p = p.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) throw new ConfigRejected(`regex ${JSON.stringify(pattern)}: trailing backslash`);
      if (n === 'Q') {
        const end = p.indexOf('\\E', i + 2);
        const lit = end < 0 ? p.slice(i + 2) : p.slice(i + 2, end);
        out += escapeLiteral(lit);
        i = end < 0 ? p.length : end + 1;
        continue;
      }
      if (!inClass && n === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && n === 'z') out += '(?![\\s\\S])';
      else if (/[1-9]/.test(n)) throw new ConfigRejected(`regex ${JSON.stringify(pattern)}: backreferences are not RE2`);
      else if (n === 'C' || n === 'Z') throw new ConfigRejected(`regex ${JSON.stringify(pattern)}: \\${n} is not supported`);
      else if (n === 'x' && p[i + 2] === '{') {
        const end = p.indexOf('}', i + 3);
        out += `\\u{${p.slice(i + 3, end)}}`;
        i = end;
        continue;
      } else if ((n === 'p' || n === 'P') && p[i + 2] !== '{') {
        out += `\\${n}{${p[i + 2] ?? ''}}`;
        i += 2;
        continue;
      } else out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(i));
      if (posix) {
        const set = POSIX[posix[2]!];
        if (!set || posix[1]) throw new ConfigRejected(`regex ${JSON.stringify(pattern)}: unsupported class [:${posix[1]}${posix[2]}:]`);
        out += set;
        i += posix[0].length - 1;
        continue;
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal in RE2.
      if (p[i + 1] === '^') out += p[++i];
      if (p[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && p[i + 1] === '?') {
      const rest = p.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (rest.startsWith(':') || (rest.startsWith('<') && !/^<[=!]/.test(rest))) {
        out += c;
        continue;
      }
      throw new ConfigRejected(`regex ${JSON.stringify(pattern)}: group (?${rest.slice(0, 2)}… is not supported`);
    }
    out += c;
  }
  return { source: out, flags };
}

function build(source: string, flags: string, pattern: string): RegExp {
  // Prefer Unicode mode (RE2 works on code points); patterns with escapes that
  // Unicode mode refuses (e.g. \-) fall back to the legacy mode.
  try {
    return new RegExp(source, flags + 'u');
  } catch {
    try {
      return new RegExp(source, flags);
    } catch (e) {
      throw new ConfigRejected(`regex ${JSON.stringify(pattern)}: ${(e as Error).message}`);
    }
  }
}

/** Compiled RE2 pattern: full matching (matchers) and GlobalReplace (rewrites). */
export class Re2 {
  private readonly full: RegExp;
  private readonly global: RegExp;
  readonly groups: number;

  constructor(readonly pattern: string) {
    const { source, flags } = translateRe2(pattern);
    this.full = build(`(?<![\\s\\S])(?:${source})(?![\\s\\S])`, flags, pattern);
    this.global = build(source, flags + 'g', pattern);
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

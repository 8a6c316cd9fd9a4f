// RE2 (the regex language of Envoy and its protos' validation rules) in
// JavaScript. RegExp is close to a superset, so a pattern is translated (named
// groups, \A \z, \Q…\E, POSIX classes, leading flag groups) and the
// constructs RE2 refuses (backreferences, lookaround) are refused too. One
// translator for the whole project: the PGV validator and the embedded
// engine's route matching must agree on what a pattern means.

export class Re2Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Re2Error';
  }
}

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

/** RE2 syntax → JavaScript source and flags. Throws Re2Error for what RE2 refuses or JavaScript cannot express. */
export function translateRe2(pattern: string): { source: string; flags: string } {
  let flags = '';
  let p = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(p);
  if (lead) {
    if (lead[1]!.includes('U')) throw new Re2Error(`regex ${JSON.stringify(pattern)}: ungreedy flag (?U) is not supported`);
    flags = [...new Set(lead[1]!.split(''))].join('');
    p = p.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) throw new Re2Error(`regex ${JSON.stringify(pattern)}: trailing backslash`);
      if (n === 'Q') {
        const end = p.indexOf('\\E', i + 2);
        const lit = end < 0 ? p.slice(i + 2) : p.slice(i + 2, end);
        out += escapeLiteral(lit);
        i = end < 0 ? p.length : end + 1;
        continue;
      }
      if (!inClass && n === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && n === 'z') out += '(?![\\s\\S])';
      else if (/[1-9]/.test(n)) throw new Re2Error(`regex ${JSON.stringify(pattern)}: backreferences are not RE2`);
      else if (n === 'C' || n === 'Z') throw new Re2Error(`regex ${JSON.stringify(pattern)}: \\${n} is not supported`);
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
        if (!set || posix[1]) throw new Re2Error(`regex ${JSON.stringify(pattern)}: unsupported class [:${posix[1]}${posix[2]}:]`);
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
      throw new Re2Error(`regex ${JSON.stringify(pattern)}: group (?${rest.slice(0, 2)}… is not supported`);
    }
    out += c;
  }
  return { source: out, flags };
}

/** Builds the translated source, preferring Unicode mode. Throws Re2Error. */
export function buildRegExp(source: string, flags: string, pattern: string): RegExp {
  // Prefer Unicode mode (RE2 works on code points); patterns with escapes that
  // Unicode mode refuses (e.g. \-) fall back to the legacy mode.
  try {
    return new RegExp(source, flags + 'u');
  } catch {
    try {
      return new RegExp(source, flags);
    } catch (e) {
      throw new Re2Error(`regex ${JSON.stringify(pattern)}: ${(e as Error).message}`);
    }
  }
}

/** `pattern` as a RegExp, or undefined when it is not RE2 or has no JavaScript equivalent. */
export function re2ToRegExp(pattern: string): RegExp | undefined {
  try {
    const { source, flags } = translateRe2(pattern);
    return buildRegExp(source, flags, pattern);
  } catch {
    return undefined;
  }
}

/** Why an RE2 pattern cannot be used by nodemesh's proxies (Envoy evaluates RE2; the embedded engine translates it), or undefined. */
export function re2Problem(pattern: string): string | undefined {
  try {
    const { source, flags } = translateRe2(pattern);
    buildRegExp(source, flags, pattern);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

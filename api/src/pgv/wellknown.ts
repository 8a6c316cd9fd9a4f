// The `well_known` string formats and known regexes of protoc-gen-validate,
// plus the RE2 → ECMAScript translation for `pattern` rules. Semantics follow
// PGV's C++ validators (the ones Envoy links) where they differ from Go's.
import { isIPv4, isIPv6 } from 'node:net';

/** PGV's regex for HTTP_HEADER_NAME with strict = true (RFC 7230 token, optional ':' for pseudo-headers). */
export const HTTP_HEADER_NAME_STRICT = /^:?[0-9a-zA-Z!#$%&'*+-.^_|~`]+$/;
/** PGV's regex for HTTP_HEADER_VALUE with strict = true: no control characters except HTAB. */
export const HTTP_HEADER_VALUE_STRICT = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
/** With strict = false both known regexes fall back to this: no NUL, LF or CR. */
export const HEADER_STRING_LOOSE = /^[^\u0000\u000A\u000D]*$/;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isUuid(s: string): boolean {
  return UUID.test(s);
}

export function isIp(s: string): boolean {
  return isIPv4(s) || isIPv6Address(s);
}

/** Zone identifiers ("fe80::1%eth0") are not addresses for inet_pton, which PGV uses. */
export function isIPv6Address(s: string): boolean {
  return !s.includes('%') && isIPv6(s);
}

export { isIPv4 };

/** Hostname per PGV: ≤253 chars, dot-separated labels of 1–63 [A-Za-z0-9-], no edge hyphens; one trailing dot allowed. */
export function isHostname(host: string): boolean {
  if (host.length > 253) return false;
  const s = host.endsWith('.') ? host.slice(0, -1) : host;
  for (const part of s.split('.')) {
    if (part.length === 0 || part.length > 63) return false;
    if (part.charCodeAt(0) === 0x2d || part.charCodeAt(part.length - 1) === 0x2d) return false;
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d;
      if (!ok) return false;
    }
  }
  return true;
}

export function isAddress(s: string): boolean {
  return isIp(s) || isHostname(s);
}

const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL_PART = new RegExp(`^(?:${ATOM}(?:\\.${ATOM})*|"(?:[^"\\\\\\r\\n]|\\\\.)*")$`);

/**
 * Email as PGV checks it: an RFC 5322 address (a "Name <addr>" form is
 * unwrapped, as Go's mail.ParseAddress does), ≤254 chars, local part ≤64,
 * domain a valid hostname.
 */
export function isEmail(input: string): boolean {
  let addr = input.trim();
  const angle = /^[^<>]*<([^<>]*)>$/.exec(addr);
  if (angle) addr = angle[1] ?? '';
  if (addr.length > 254) return false;
  const at = addr.lastIndexOf('@');
  if (at <= 0) return false;
  const local = addr.slice(0, at);
  const domain = addr.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) return false;
  return isHostname(domain);
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
// Characters Go's url.Parse refuses anywhere, and a '%' not starting a valid escape.
const URI_FORBIDDEN = /[\u0000-\u001F\u007F]|%(?![0-9A-Fa-f]{2})/;

/** uri_ref: parses as a URI reference (Go url.Parse semantics, best effort). */
export function isUriRef(s: string): boolean {
  if (URI_FORBIDDEN.test(s)) return false;
  if (SCHEME.test(s)) return hostOk(s.slice(s.indexOf(':') + 1));
  if (s.startsWith(':')) return false;
  // Without a scheme the first path segment must not contain ':'.
  const end = s.search(/[/?#]/);
  const firstSegment = end < 0 ? s : s.slice(0, end);
  if (firstSegment.includes(':')) return false;
  return hostOk(s);
}

/** uri: an absolute URI (it has a scheme). */
export function isUri(s: string): boolean {
  return SCHEME.test(s) && isUriRef(s);
}

function hostOk(rest: string): boolean {
  if (!rest.startsWith('//')) return true;
  const authority = rest.slice(2).split(/[/?#]/, 1)[0] ?? '';
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  return !/[\s<>"{}|\\^`]/.test(host);
}

const POSIX_CLASSES: Record<string, string> = {
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

// Characters that may (and, under the `u` flag, must) stay escaped in JS.
const JS_SYNTAX = new Set('^$\\.*+?()[]{}|/'.split(''));

/**
 * Translates an RE2 pattern into an ECMAScript RegExp with the `u` flag (so
 * `.` and classes work on code points, like RE2 on UTF-8). Covers what Envoy
 * and xDS protos use and the common RE2-only syntax: leading (?flags),
 * (?P<name>…), \A, \z, \Q…\E, [[:class:]], \pL, \x{…}. Returns undefined for
 * constructs ECMAScript cannot express, so the caller can skip the rule rather
 * than enforce a different language.
 */
export function re2ToRegExp(pattern: string): RegExp | undefined {
  let src = pattern;
  let flags = 'u';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    const f = lead[1] ?? '';
    if (f.includes('U')) return undefined;
    for (const ch of f) if (!flags.includes(ch)) flags += ch;
    src = src.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) return undefined;
      i++;
      if (n === 'Q') {
        const end = src.indexOf('\\E', i + 1);
        const lit = end < 0 ? src.slice(i + 1) : src.slice(i + 1, end);
        out += lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? src.length : end + 1;
      } else if (n === 'A') {
        if (inClass) return undefined;
        out += '^';
      } else if (n === 'z') {
        if (inClass) return undefined;
        out += '$';
      } else if (n === 'C') {
        out += inClass ? '\\s\\S' : '[\\s\\S]';
      } else if ((n === 'p' || n === 'P') && src[i + 1] !== '{') {
        const cls = src[i + 1];
        if (cls === undefined) return undefined;
        out += `\\${n}{${cls}}`;
        i++;
      } else if (n === 'x' && src[i + 1] === '{') {
        const end = src.indexOf('}', i);
        if (end < 0) return undefined;
        out += `\\u{${src.slice(i + 2, end)}}`;
        i = end;
      } else if (/[A-Za-z0-9]/.test(n)) {
        if (/[1-9]/.test(n)) return undefined; // RE2 has no backreferences; octal is too rare to emulate
        out += '\\' + n;
      } else if (JS_SYNTAX.has(n) || (inClass && n === '-')) {
        out += '\\' + n;
      } else {
        out += n;
      }
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2);
        if (end < 0) return undefined;
        let name = src.slice(i + 2, end);
        const negated = name.startsWith('^');
        if (negated) return undefined;
        name = name.trim();
        const body = POSIX_CLASSES[name];
        if (body === undefined) return undefined;
        out += body;
        i = end + 1;
        continue;
      }
      if (c === '[') {
        out += '\\[';
        continue;
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal in RE2 but ends an empty class in JS.
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      if (src.startsWith('(?P<', i)) {
        out += '(?<';
        i += 3;
        continue;
      }
      // Inline flag groups like (?i:…) are not available before Node 23.
      const named = src.startsWith('(?<', i) && src[i + 3] !== '=' && src[i + 3] !== '!';
      if (!src.startsWith('(?:', i) && !named) return undefined;
    }
    out += c;
  }
  try {
    return new RegExp(out, flags);
  } catch {
    return undefined;
  }
}

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

// RE2 patterns of PGV `pattern` rules: one translator for the project.
export { re2ToRegExp } from '../re2.js';

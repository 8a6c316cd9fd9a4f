// The Location of a redirect, as Envoy's Http::Utility::newUri. The request's
// port is dropped when port_redirect is set, or when the scheme changes and the
// port is the default of the request's protocol (x-forwarded-proto, else the
// scheme), so http://a:80 → https://a but http://a:8080 → https://a:8080.
import type { Decoded, RequestHead } from '../types.js';
import { bool, num, oneof, str, msg } from './fields.js';
import { joinHeader } from './matchers.js';
import { compileRegexRewrite, type RegexRewrite } from './regex.js';

export interface RedirectConfig {
  scheme?: string;
  host?: string;
  /** ":8080", or empty. */
  port: string;
  path?: string;
  prefixRewrite?: string;
  regexRewrite?: RegexRewrite;
  stripQuery: boolean;
  status: number;
}

const CODES: Record<string, number> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

export function compileRedirect(r: Decoded): RedirectConfig {
  const schemeKind = oneof(r, 'scheme_rewrite_specifier');
  const pathKind = oneof(r, 'path_rewrite_specifier');
  const cfg: RedirectConfig = {
    port: num(r, 'port_redirect') ? `:${num(r, 'port_redirect')}` : '',
    stripQuery: bool(r, 'strip_query'),
    status: CODES[str(r, 'response_code', 'MOVED_PERMANENTLY')] ?? 301,
  };
  if (schemeKind === 'scheme_redirect' && str(r, 'scheme_redirect')) cfg.scheme = str(r, 'scheme_redirect');
  else if (schemeKind === 'https_redirect' && bool(r, 'https_redirect')) cfg.scheme = 'https';
  if (str(r, 'host_redirect')) cfg.host = str(r, 'host_redirect');
  if (pathKind === 'path_redirect' && str(r, 'path_redirect')) cfg.path = str(r, 'path_redirect');
  if (pathKind === 'prefix_rewrite' && str(r, 'prefix_rewrite')) cfg.prefixRewrite = str(r, 'prefix_rewrite');
  if (pathKind === 'regex_rewrite') cfg.regexRewrite = compileRegexRewrite(msg(r, 'regex_rewrite'));
  return cfg;
}

function requestHost(req: RequestHead, scheme: string, newPort: string): string {
  const host = req.authority;
  if (!host) return host;
  let end: number;
  if (host.startsWith('[')) {
    end = host.lastIndexOf(']:');
    if (end >= 0) end += 1;
  } else end = host.lastIndexOf(':');
  if (end < 0) return host;
  const port = host.slice(end);
  const proto = joinHeader(req.headers['x-forwarded-proto']) ?? req.scheme;
  let remove = newPort !== '';
  if (scheme !== proto) {
    remove ||= proto === 'https' && port === ':443';
    remove ||= proto === 'http' && port === ':80';
  }
  return remove ? host.slice(0, end) : host;
}

/** The Location for `req` whose path is already rewritten to `path`; `cfg` undefined for direct responses. */
export function newUri(req: RequestHead, path: string, cfg?: RedirectConfig): string {
  const scheme = cfg?.scheme ?? req.scheme;
  const port = cfg?.port ?? '';
  const host = cfg?.host ?? requestHost(req, scheme, port);
  let finalPath = path;
  const pathHasQuery = cfg?.path?.includes('?') ?? false;
  if (cfg?.path !== undefined) {
    // path_redirect's own query wins over the request's and survives strip_query.
    const q = path.indexOf('?');
    finalPath = pathHasQuery || q < 0 ? cfg.path : cfg.path + path.slice(q);
  }
  if (!finalPath.startsWith('/')) finalPath = '/' + finalPath;
  if (cfg && !pathHasQuery && cfg.stripQuery) {
    const q = finalPath.indexOf('?');
    if (q >= 0) finalPath = finalPath.slice(0, q);
  }
  return `${scheme}://${host}${port}${finalPath}`;
}

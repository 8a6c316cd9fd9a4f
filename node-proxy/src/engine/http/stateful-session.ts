// envoy.filters.http.stateful_session: keeps a client on the upstream host
// that served it, by a cookie or a header carrying that host's address
// (base64 of "address:port", Envoy's encoding). The route's per-filter config
// (StatefulSessionPerRoute) replaces or disables the filter's own. The host
// is an override of the load balancer's pick (LbContext.overrideHost): used
// while it is a healthy member of the cluster; otherwise the balancer picks
// and the client is told the new host, unless `strict`, where Envoy fails the
// request with 503 instead.
import { decodeMessage } from '../../../../api/src/any.js';
import { messageName } from '../../../../api/src/type-urls.js';
import { ConfigRejected } from '../routing/fields.js';
import type { Decoded, Headers, RequestHead, TypedConfig } from '../types.js';

export const STATEFUL_SESSION = 'envoy.extensions.filters.http.stateful_session.v3.StatefulSession';
export const STATEFUL_SESSION_PER_ROUTE = 'envoy.extensions.filters.http.stateful_session.v3.StatefulSessionPerRoute';
export const COOKIE_SESSION_STATE = 'envoy.extensions.http.stateful_session.cookie.v3.CookieBasedSessionState';
export const HEADER_SESSION_STATE = 'envoy.extensions.http.stateful_session.header.v3.HeaderBasedSessionState';

/** One compiled session state: where the host is read from and how the client is told a new one. */
export interface SessionPolicy {
  strict: boolean;
  /** The host (address:port) the request asks for, if it carries a well-formed one. */
  requested(req: RequestHead): string | undefined;
  /** Adds to the response what makes the next request ask for `host`. */
  remember(host: string, response: Headers): void;
}

interface CookieSpec {
  name: string;
  path: string;
  ttlSeconds: number;
}

function decodeHost(value: string): string | undefined {
  const host = Buffer.from(value, 'base64').toString('utf8');
  // address:port, an IPv6 address in brackets; anything else is ignored, as Envoy does.
  return /^(\[[0-9a-fA-F:.]+\]|[0-9.]+|[A-Za-z0-9.-]+):\d{1,5}$/.test(host) ? host : undefined;
}

const encodeHost = (host: string) => Buffer.from(host, 'utf8').toString('base64');

function cookieValue(req: RequestHead, name: string): string | undefined {
  const raw = req.headers['cookie'];
  for (const line of Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) {
    for (const part of line.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
      return part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    }
  }
  return undefined;
}

function appendHeader(headers: Headers, name: string, value: string): void {
  const prev = headers[name];
  headers[name] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
}

function durationSeconds(d: Decoded | undefined): number {
  if (!d) return 0;
  return Number(d['seconds'] ?? 0) + Number(d['nanos'] ?? 0) / 1e9;
}

function compileState(session: Decoded, where: string): SessionPolicy | undefined {
  const strict = session['strict'] === true;
  const state = session['session_state'] as Decoded | undefined;
  // No session_state: the filter is present but keeps no session (Envoy Gateway installs it so, and enables it per route).
  if (!state) return undefined;
  const any = state['typed_config'] as { type_url?: string; value?: Uint8Array } | undefined;
  const type = messageName(any?.type_url ?? '');
  const cfg = decodeMessage(type, any?.value ?? new Uint8Array(0)) as Decoded;
  if (type === COOKIE_SESSION_STATE) {
    const c = (cfg['cookie'] ?? {}) as Decoded;
    const spec: CookieSpec = { name: String(c['name'] ?? ''), path: String(c['path'] ?? ''), ttlSeconds: durationSeconds(c['ttl'] as Decoded | undefined) };
    if (!spec.name) throw new ConfigRejected(`${where}: cookie.name must not be empty`);
    return {
      strict,
      requested: (req) => {
        const v = cookieValue(req, spec.name);
        return v === undefined ? undefined : decodeHost(v);
      },
      remember: (host, response) => {
        // Envoy's makeSetCookieValue: Max-Age only for a non-zero ttl (else a session cookie), Path when set, always HttpOnly.
        let value = `${spec.name}="${encodeHost(host)}"`;
        if (spec.ttlSeconds > 0) value += `; Max-Age=${Math.floor(spec.ttlSeconds)}`;
        if (spec.path) value += `; Path=${spec.path}`;
        appendHeader(response, 'set-cookie', `${value}; HttpOnly`);
      },
    };
  }
  if (type === HEADER_SESSION_STATE) {
    const name = String(cfg['name'] ?? '').toLowerCase();
    if (!name) throw new ConfigRejected(`${where}: header name must not be empty`);
    return {
      strict,
      requested: (req) => {
        const v = req.headers[name];
        const first = Array.isArray(v) ? v[0] : v;
        return first === undefined ? undefined : decodeHost(first);
      },
      remember: (host, response) => void (response[name] = encodeHost(host)),
    };
  }
  throw new ConfigRejected(`${where}: session state ${type || '(none)'} is not implemented`);
}

/** The filter as configured in the connection manager. */
export class StatefulSessionFilter {
  private readonly own: SessionPolicy | undefined;

  constructor(
    readonly name: string,
    config: Decoded,
  ) {
    this.own = compileState(config, `http filter ${name}`);
  }

  /** The policy for one route: its per-route config by this filter's name, else the filter's own. */
  policy(perRoute: Readonly<Record<string, TypedConfig>> | undefined): SessionPolicy | undefined {
    const o = perRoute?.[this.name];
    if (!o || o.type !== STATEFUL_SESSION_PER_ROUTE) return this.own;
    if (o.config['disabled'] === true) return undefined;
    const session = o.config['stateful_session'] as Decoded | undefined;
    return session ? compilePerRoute(this.name, session) : this.own;
  }
}

// Per-route sessions are compiled once per (filter, config) object, not per request.
const perRouteCache = new WeakMap<Decoded, SessionPolicy | null>();
function compilePerRoute(name: string, session: Decoded): SessionPolicy | undefined {
  let p = perRouteCache.get(session);
  if (p === undefined) {
    p = compileState(session, `per-route config of ${name}`) ?? null;
    perRouteCache.set(session, p);
  }
  return p ?? undefined;
}

/** Validates a route's per-filter config for this filter at route compile time (so a bad one is NACKed, not a 500). */
export function checkPerRouteSession(config: Decoded, where: string): void {
  const session = config['stateful_session'] as Decoded | undefined;
  if (session) compileState(session, where);
}

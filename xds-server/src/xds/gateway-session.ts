// Gateway API session persistence → Envoy's stateful_session filter, as
// Envoy Gateway programs it: the connection manager of a gateway port carries
// the filter with no session of its own (so it does nothing by default), and
// each route whose rule asks for persistence enables it through its
// typed_per_filter_config. The cookie is scoped to the path the route
// matches, so two rules' sessions do not overwrite each other's cookie.
import { packAny, type PackedAny } from '../../../api/src/any.js';
import type { HttpFilter } from '../../../api/src/generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpFilter.js';
import type { HttpMatchIR, SessionPersistenceIR } from '../model/gateway.js';

export const STATEFUL_SESSION_FILTER = 'envoy.filters.http.stateful_session';
const STATEFUL_SESSION = 'envoy.extensions.filters.http.stateful_session.v3.StatefulSession';
const PER_ROUTE = 'envoy.extensions.filters.http.stateful_session.v3.StatefulSessionPerRoute';
const COOKIE = 'envoy.extensions.http.stateful_session.cookie.v3.CookieBasedSessionState';
const HEADER = 'envoy.extensions.http.stateful_session.header.v3.HeaderBasedSessionState';

/** The connection manager's filter: present, inert until a route enables it. */
export function statefulSessionFilter(): HttpFilter {
  return { name: STATEFUL_SESSION_FILTER, typed_config: packAny(STATEFUL_SESSION, {}) };
}

/** The path a session cookie is scoped to: the route's literal path, or `/` for a regular expression. */
export function cookiePath(m: HttpMatchIR): string {
  const p = m.path;
  if (!p || p.type === 'RegularExpression') return '/';
  return p.value;
}

/** typed_per_filter_config of a route whose rule has session persistence. */
export function sessionPerRoute(s: SessionPersistenceIR, match: HttpMatchIR): Record<string, PackedAny> {
  const state =
    s.type === 'Header'
      ? { name: 'envoy.http.stateful_session.header', typed_config: packAny(HEADER, { name: s.name }) }
      : {
          name: 'envoy.http.stateful_session.cookie',
          typed_config: packAny(COOKIE, {
            cookie: {
              name: s.name,
              path: cookiePath(match),
              // A session cookie (no Max-Age) unless the lifetime is Permanent.
              ...(s.cookieTtlSeconds !== undefined && { ttl: { seconds: s.cookieTtlSeconds } }),
            },
          }),
        };
  return { [STATEFUL_SESSION_FILTER]: packAny(PER_ROUTE, { stateful_session: { session_state: state } }) };
}

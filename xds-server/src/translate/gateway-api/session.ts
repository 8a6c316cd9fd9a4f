// HTTPRoute rule sessionPersistence (GEP-1619) → SessionPersistenceIR. What
// the node proxies can honour: cookie sessions (a session cookie, or with
// lifetimeType Permanent one that lives absoluteTimeout) and header sessions.
// A session that must expire on the proxy's side while the client still
// holds it (idleTimeout; absoluteTimeout of a Session cookie or a header) is
// not supported: the rule is reported UnsupportedValue rather than served
// with a different lifetime than asked for.
import { createHash } from 'node:crypto';
import { durationMs } from '../../../../crds/src/gateway-api/common.js';
import type { SessionPersistenceSpec } from '../../../../crds/src/gateway-api/session-persistence.js';
import type { SessionPersistenceIR } from '../../model/gateway.js';
import type { Problem } from './status.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The name used when the rule names none: stable per route rule, so clients keep their session across updates. */
export function defaultSessionName(namespace: string, route: string, rule: number): string {
  return `nm-session-${createHash('sha256').update(`${namespace}/${route}/${rule}`).digest('hex').slice(0, 12)}`;
}

export function compileSessionPersistence(
  s: SessionPersistenceSpec,
  where: { namespace: string; route: string; rule: number; path: string },
): { ir?: SessionPersistenceIR; problems: Problem[] } {
  const problems: Problem[] = [];
  const unsupported = (field: string, message: string) => problems.push({ reason: 'UnsupportedValue', message, path: `${where.path}.${field}` });
  if (s.idleTimeout !== undefined) unsupported('idleTimeout', 'idle timeouts of persistent sessions are not supported (the proxy keeps no session state of its own)');
  const permanent = s.type === 'Cookie' && s.cookieConfig?.lifetimeType === 'Permanent';
  if (s.absoluteTimeout !== undefined && !permanent) {
    unsupported('absoluteTimeout', `absoluteTimeout is supported for cookies of lifetimeType Permanent only (it becomes the cookie's Max-Age): the proxy cannot expire a ${s.type === 'Header' ? 'header session' : 'session cookie'}`);
  }
  // Both a cookie name (RFC 6265) and a header name (RFC 9110) are tokens.
  if (s.sessionName && !TOKEN.test(s.sessionName)) unsupported('sessionName', `${JSON.stringify(s.sessionName)} cannot name a ${s.type === 'Header' ? 'header' : 'cookie'}: use letters, digits and !#$%&'*+-.^_\`|~`);
  if (problems.length > 0) return { problems };
  const name = s.sessionName || defaultSessionName(where.namespace, where.route, where.rule);
  const ir: SessionPersistenceIR = { type: s.type, name };
  if (permanent) ir.cookieTtlSeconds = Math.max(1, Math.ceil((durationMs(s.absoluteTimeout!) ?? 0) / 1000));
  return { ir, problems };
}

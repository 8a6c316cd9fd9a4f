// Hostname rules of the Gateway API: wildcards are suffix matches
// (`*.example.com` matches `a.example.com` and `a.b.example.com`, never
// `example.com`), a route's hostnames are intersected with its listener's,
// and more specific hostnames take precedence. '*' stands for "any host"
// (a listener or route without hostnames).

export const ANY_HOST = '*';

/** Does wildcard `pattern` (`*.suffix`) match `host` (exact or itself a narrower wildcard)? */
function wildcardMatches(pattern: string, host: string): boolean {
  return pattern.startsWith('*.') && host.endsWith(pattern.slice(1));
}

/** Does `pattern` (exact, wildcard or '*') cover every request host `host` stands for? */
export function covers(pattern: string, host: string): boolean {
  return pattern === ANY_HOST || pattern === host || wildcardMatches(pattern, host);
}

/**
 * The hostnames a route serves on a listener (HTTPRoute spec.hostnames
 * semantics): route hostnames matched by the listener's, narrowed to the
 * listener's when the route's is the wider wildcard. Empty: no intersection,
 * so the route does not attach to that listener.
 */
export function intersectHostnames(listenerHostname: string | undefined, routeHostnames: readonly string[]): string[] {
  const listener = listenerHostname ?? ANY_HOST;
  if (routeHostnames.length === 0) return [listener];
  const out = new Set<string>();
  for (const r of routeHostnames) {
    if (covers(listener, r)) out.add(r);
    else if (wildcardMatches(r, listener)) out.add(listener);
  }
  return [...out];
}

/**
 * Precedence key of a hostname, larger first: characters of a matching
 * non-wildcard hostname, then characters of the hostname (the spec's
 * tie-breakers between routes with overlapping hostnames).
 */
export function hostnameRank(host: string): [number, number] {
  if (host === ANY_HOST) return [0, 0];
  return host.startsWith('*.') ? [0, host.length] : [host.length, host.length];
}

/** Most specific first: exact names, then wildcards (longer suffix first), then '*'; ties alphabetically. */
export function compareHostSpecificity(a: string, b: string): number {
  const [an, al] = hostnameRank(a);
  const [bn, bl] = hostnameRank(b);
  return bn - an || bl - al || (a < b ? -1 : a > b ? 1 : 0);
}

// Virtual host selection, as Envoy's RouteMatcher::findVirtualHost: the
// lower-cased authority is looked up exactly, then against suffix wildcards
// ("*.foo.com", "*-bar.foo.com") longest first, then prefix wildcards
// ("foo.*") longest first, then "*". The authority keeps its port: a domain
// without a port does not match "foo.com:8080" (Envoy users list both forms,
// or set ignore_port_in_host_matching, which strips the port before lookup).
import { ConfigRejected } from './fields.js';
import { asciiLower } from './matchers.js';
import { portStart } from './host.js';

export interface VhostIndex<T> {
  find(authority: string): T | undefined;
}

type ByLength<T> = Map<number, Map<string, T>>;

export function buildVhostIndex<T>(
  vhosts: readonly { domains: readonly string[]; value: T }[],
  opts: { routeConfig: string; ignorePort?: boolean },
): VhostIndex<T> {
  const exact = new Map<string, T>();
  const suffixes: ByLength<T> = new Map();
  const prefixes: ByLength<T> = new Map();
  let fallback: T | undefined;
  let hasFallback = false;

  const add = (table: ByLength<T>, key: string, value: T) => {
    let m = table.get(key.length);
    if (!m) table.set(key.length, (m = new Map()));
    if (m.has(key)) return false;
    m.set(key, value);
    return true;
  };

  for (const vh of vhosts) {
    for (const raw of vh.domains) {
      const domain = asciiLower(raw);
      let fresh: boolean;
      if (domain === '*') {
        if (hasFallback) throw new ConfigRejected(`Only a single wildcard domain is permitted in route ${opts.routeConfig}`);
        fallback = vh.value;
        hasFallback = fresh = true;
      } else if (domain.startsWith('*')) fresh = add(suffixes, domain.slice(1), vh.value);
      else if (domain.endsWith('*')) fresh = add(prefixes, domain.slice(0, -1), vh.value);
      else {
        fresh = !exact.has(domain);
        exact.set(domain, vh.value);
      }
      if (!fresh)
        throw new ConfigRejected(
          `Only unique values for domains are permitted. Duplicate entry of domain ${domain} in route ${opts.routeConfig}`,
        );
    }
  }

  const longestFirst = (t: ByLength<T>) => [...t.entries()].sort(([a], [b]) => b - a);
  const suffixList = longestFirst(suffixes);
  const prefixList = longestFirst(prefixes);

  const wildcard = (host: string, list: [number, Map<string, T>][], cut: (h: string, len: number) => string) => {
    for (const [len, table] of list) {
      // ">=": "*.foo.com" must not match ".foo.com" itself.
      if (len >= host.length) continue;
      const hit = table.get(cut(host, len));
      if (hit !== undefined) return hit;
    }
    return undefined;
  };

  return {
    find(authority: string): T | undefined {
      let host = authority;
      if (opts.ignorePort) {
        const p = portStart(host);
        if (p >= 0) host = host.slice(0, p);
      }
      host = asciiLower(host);
      return (
        exact.get(host) ??
        wildcard(host, suffixList, (h, l) => h.slice(h.length - l)) ??
        wildcard(host, prefixList, (h, l) => h.slice(0, l)) ??
        fallback
      );
    },
  };
}

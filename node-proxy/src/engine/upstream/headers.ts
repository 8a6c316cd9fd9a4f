// Hop-by-hop headers (RFC 9110 §7.6.1) are per connection: Envoy's codecs
// drop them in both directions, and HTTP/2 forbids them outright.
import type { Headers } from '../types.js';

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'http2-settings']);

/** Request headers for the upstream: no pseudo-headers, hop-by-hop ones, or those Connection names; `te: trailers` survives (gRPC needs it). */
export function upstreamRequestHeaders(h: Headers): Headers {
  const out: Headers = {};
  const named = connectionTokens(h.connection);
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || k.startsWith(':')) continue;
    const name = k.toLowerCase();
    if (named.has(name)) continue;
    if (name === 'te') {
      if (String(v).toLowerCase().split(',').some((t) => t.trim() === 'trailers')) out.te = 'trailers';
      continue;
    }
    // :authority replaces Host; the pool sets it.
    if (HOP.has(name) || name === 'host') continue;
    out[name] = v;
  }
  return out;
}

/** Response headers for the downstream side: the same minus pseudo-headers (:status). */
export function upstreamResponseHeaders(h: Record<string, string | string[] | number | undefined>): Headers {
  const out: Headers = {};
  const named = connectionTokens(h.connection as string | string[] | undefined);
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || k.startsWith(':')) continue;
    const name = k.toLowerCase();
    if (HOP.has(name) || named.has(name)) continue;
    out[name] = typeof v === 'number' ? String(v) : v;
  }
  return out;
}

function connectionTokens(v: string | string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const part of Array.isArray(v) ? v : v ? [v] : []) for (const t of part.split(',')) if (t.trim()) out.add(t.trim().toLowerCase());
  return out;
}

// Host and address strings: where a port starts in an authority (Envoy's
// HeaderUtility::getPortStart), and ip[:port] as peers are given to us.
import { isIP } from 'node:net';

/** Index of the ':' before a numeric port in `host`, or -1 (IPv6 literals must be bracketed). */
export function portStart(host: string): number {
  const colon = host.lastIndexOf(':');
  if (colon < 0) return -1;
  const v6End = host.lastIndexOf(']');
  if (v6End >= 0 && v6End > colon) return -1;
  return /^\d+$/.test(host.slice(colon + 1)) && Number(host.slice(colon + 1)) <= 0xffffffff ? colon : -1;
}

export interface SplitAddress {
  ip: string;
  port?: number;
}

/**
 * "1.2.3.4:80", "[::1]:80", "::1" or "1.2.3.4" → ip and optional port. A bare
 * IPv6 address is recognised before looking for a port. IPv4-mapped IPv6
 * addresses (dual-stack sockets) are reported as IPv4, as Envoy does for
 * IPv4-compatible listeners.
 */
export function splitAddress(addr: string): SplitAddress {
  if (isIP(addr)) return { ip: unmap(addr) };
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(addr);
  if (m) return m[2] === undefined ? { ip: unmap(m[1]!) } : { ip: unmap(m[1]!), port: Number(m[2]) };
  const c = addr.lastIndexOf(':');
  if (c > 0 && /^\d+$/.test(addr.slice(c + 1))) return { ip: unmap(addr.slice(0, c)), port: Number(addr.slice(c + 1)) };
  return { ip: addr };
}

function unmap(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

/** ip:port with IPv6 bracketed, as Envoy prints addresses. */
export function formatAddress(ip: string, port?: number): string {
  const host = isIP(ip) === 6 ? `[${ip}]` : ip;
  return port === undefined ? host : `${host}:${port}`;
}

/** Envoy's shadow authority: "-shadow" before any port ("a:80" → "a-shadow:80"). */
export function shadowHost(authority: string): string {
  const p = portStart(authority);
  return p < 0 ? `${authority}-shadow` : `${authority.slice(0, p)}-shadow${authority.slice(p)}`;
}

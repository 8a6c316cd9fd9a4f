// envoy.config.core.v3.CidrRange matching over IPv4 and IPv6. Addresses are
// compared as bigints; an address only matches ranges of its own family, and
// IPv4-mapped IPv6 peers (dual-stack sockets) count as IPv4.
import { isIPv4, isIPv6 } from 'node:net';
import { ConfigRejected } from '../routing/fields.js';

export interface CidrRange {
  v6: boolean;
  /** The range's address with host bits cleared. */
  base: bigint;
  len: number;
}

export function parseIp(addr: string): { v6: boolean; value: bigint } | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  const a = mapped ? mapped[1]! : addr;
  if (isIPv4(a)) return { v6: false, value: a.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  if (!isIPv6(a)) return undefined;
  let text = a.replace(/%.*$/, '');
  // An embedded dotted quad becomes the last two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [, b0, b1, b2, b3] = quad.map(Number) as [number, number, number, number, number];
    text = text.slice(0, quad.index) + ((b0 << 8) | b1).toString(16) + ':' + ((b2 << 8) | b3).toString(16);
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return { v6: true, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

function mask(v: bigint, len: number, bits: number): bigint {
  return len === 0 ? 0n : v & (((1n << BigInt(len)) - 1n) << BigInt(bits - len));
}

/** A CidrRange message; prefix_len defaults to 0 (the whole family). Throws for what Envoy rejects. */
export function parseCidr(addressPrefix: string, prefixLen: number): CidrRange {
  const ip = parseIp(addressPrefix);
  if (!ip) throw new ConfigRejected(`malformed IP address: ${addressPrefix}`);
  const bits = ip.v6 ? 128 : 32;
  if (prefixLen < 0 || prefixLen > bits) throw new ConfigRejected(`invalid prefix length ${prefixLen} for ${addressPrefix}`);
  return { v6: ip.v6, base: mask(ip.value, prefixLen, bits), len: prefixLen };
}

export function cidrContains(range: CidrRange, addr: string): boolean {
  const ip = parseIp(addr);
  if (!ip || ip.v6 !== range.v6) return false;
  return mask(ip.value, range.len, range.v6 ? 128 : 32) === range.base;
}

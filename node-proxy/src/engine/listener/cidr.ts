// CIDR ranges (envoy.config.core.v3.CidrRange) over IPv4 and IPv6, as bigints
// so both families share one comparison.
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  v6: boolean;
  base: bigint;
  len: number;
}

export function parseIp(addr: string): { v6: boolean; value: bigint } | undefined {
  let a = addr;
  if (a.startsWith('::ffff:') && isIPv4(a.slice(7))) a = a.slice(7);
  if (isIPv4(a)) return { v6: false, value: a.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  if (!isIPv6(a)) return undefined;
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4 forms other than the one above).
  const expand = (parts: string[]) =>
    parts.flatMap((p) => (isIPv4(p) ? [((Number(p.split('.')[0]) << 8) | Number(p.split('.')[1])).toString(16), ((Number(p.split('.')[2]) << 8) | Number(p.split('.')[3])).toString(16)] : [p]));
  const hh = expand(h);
  const tt = expand(t);
  const groups = tail === undefined ? hh : [...hh, ...Array(8 - hh.length - tt.length).fill('0'), ...tt];
  return { v6: true, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n) };
}

export function parseCidr(prefix: string, len: number): Cidr | undefined {
  const ip = parseIp(prefix);
  if (!ip) return undefined;
  const bits = ip.v6 ? 128 : 32;
  const l = Math.max(0, Math.min(len, bits));
  return { v6: ip.v6, base: mask(ip.value, l, bits), len: l };
}

export function cidrContains(c: Cidr, addr: string): boolean {
  const ip = parseIp(addr);
  if (!ip || ip.v6 !== c.v6) return false;
  return mask(ip.value, c.len, c.v6 ? 128 : 32) === c.base;
}

function mask(v: bigint, len: number, bits: number): bigint {
  if (len === 0) return 0n;
  const m = ((1n << BigInt(len)) - 1n) << BigInt(bits - len);
  return v & m;
}

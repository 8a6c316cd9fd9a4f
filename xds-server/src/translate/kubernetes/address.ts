// Endpoint address ordering and identity. IPv6 addresses have many spellings
// (fd00::1, FD00:0::1), so duplicates are found on a canonical form.
import { isIPv4, isIPv6 } from 'node:net';

/** Lowercase, zero-compressed IPv6; IPv4 unchanged. */
export function canonicalAddress(address: string): string {
  if (!isIPv6(address)) return address;
  // The WHATWG URL parser serializes IPv6 hosts in RFC 5952 form.
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

function ipv6Groups(address: string): number[] {
  const [head = '', tail] = canonicalAddress(address).split('::');
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function numeric(address: string): number[] {
  if (isIPv4(address)) return [4, ...address.split('.').map(Number)];
  if (isIPv6(address)) return [6, ...ipv6Groups(address)];
  return [];
}

/** Numeric order, IPv4 before IPv6; anything else after, by string. */
export function compareAddresses(a: string, b: string): number {
  const x = numeric(a);
  const y = numeric(b);
  if (x.length === 0 || y.length === 0) {
    if (x.length !== y.length) return x.length === 0 ? 1 : -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

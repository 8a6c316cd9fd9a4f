// IP address syntax as the API server accepts it: node's isIP already rejects
// IPv4 octets with leading zeros (which Kubernetes also rejects for new
// objects); IPv6 zone suffixes ("fe80::1%eth0") are rejected explicitly because
// Go's net.ParseIP does not accept them.
import { isIP } from 'node:net';

export type IPFamily = 'IPv4' | 'IPv6';

/** The family of a valid IP address, or undefined when `value` is not one. */
export function ipFamilyOf(value: string): IPFamily | undefined {
  if (value.includes('%')) return undefined;
  switch (isIP(value)) {
    case 4:
      return 'IPv4';
    case 6:
      return 'IPv6';
    default:
      return undefined;
  }
}

export function ipErrors(value: string, family?: IPFamily): string[] {
  const actual = ipFamilyOf(value);
  if (actual === undefined) return [`invalid value ${JSON.stringify(value)}: must be a valid IP address (e.g. 10.9.8.7 or 2001:db8::ffff)`];
  if (family !== undefined && actual !== family) return [`invalid value ${JSON.stringify(value)}: must be a valid ${family} address`];
  return [];
}

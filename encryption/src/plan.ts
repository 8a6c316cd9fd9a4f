// Pure reconcile planning: from the set of Nodes to the WireGuard peers, the
// routes and the strict-mode destinations this node should have, and from
// (actual, desired) to the exact `wg set` / `ip route` argument arrays that
// close the gap. No I/O here; datapath.ts runs what this returns.
import { addressBytes, type NodeDoc } from '../../crds/src/node.js';
import { ipFamilyOf } from '../../crds/src/ip.js';
import type { WgPeerDump } from './wg-dump.js';

export interface PeerConfig {
  /** The Node this peer entry belongs to. */
  node: string;
  publicKey: string;
  /** ip:port, [ip6]:port for IPv6. */
  endpoint: string;
  /**
   * Exactly the peer node's pod CIDRs — nothing wider (no 0.0.0.0/0, no
   * cluster CIDR). WireGuard's cryptokey routing checks every decrypted
   * packet's inner SOURCE address against the AllowedIPs of the peer whose
   * key decrypted it and drops it otherwise. So a packet that arrives from
   * this tunnel with source 10.2.0.7 provably came from the holder of node-2's
   * private key: no other node, and nobody on the underlay, can inject
   * traffic that claims to be a node-2 workload. That is what lets the
   * IP → identity map of mutual auth trust source addresses (the weakness
   * Cilium's CFP-28986 describes for unencrypted native routing).
   *
   * Empty for a staged key (a peer's nextPublicKey during its rotation): the
   * handshake can complete ahead of time, but only the active key's peer
   * entry owns the CIDRs, since one address can belong to one peer only.
   */
  allowedIPs: string[];
  staged: boolean;
}

export interface DesiredState {
  peers: PeerConfig[];
  /** Remote pod CIDRs routed through the tunnel (the active peers' AllowedIPs). */
  routes: string[];
  /** Every remote pod CIDR known, routed or not: what strict mode must never send in clear. */
  remotePodCIDRs: string[];
  /** Nodes left out, and why (printed by the agent, shown by status). */
  problems: string[];
}

export interface SelfNode {
  name: string;
  podCIDRs: readonly string[];
}

/** Canonical text of a CIDR as wg and ip print it (IPv6 compressed, lower case). */
export function canonicalCidr(cidr: string): string {
  const [addr = '', given] = cidr.split('/');
  // `ip -j route` prints host routes without a prefix length.
  const bits = given ?? (ipFamilyOf(addr) === 'IPv6' ? '128' : '32');
  if (ipFamilyOf(addr) === 'IPv6') return `${new URL(`http://[${addr}]`).hostname.slice(1, -1)}/${bits}`;
  return `${addr}/${bits}`;
}

function prefixBits(cidr: string): { bytes: number[]; bits: number } {
  const [addr = '', bits = '0'] = cidr.split('/');
  return { bytes: addressBytes(addr), bits: Number(bits) };
}

/** Whether two prefixes share any address (one contains the other). */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = prefixBits(a);
  const y = prefixBits(b);
  if (x.bytes.length !== y.bytes.length) return false;
  const bits = Math.min(x.bits, y.bits);
  for (let i = 0; i < x.bytes.length && i * 8 < bits; i++) {
    const keep = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - keep)) & 0xff;
    if ((x.bytes[i]! & mask) !== (y.bytes[i]! & mask)) return false;
  }
  return true;
}

export function formatEndpoint(ip: string, port: number): string {
  return ipFamilyOf(ip) === 'IPv6' ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * What this node should have, given every Node object (its own included or
 * not). Nodes are taken in name order so that a conflict (two nodes claiming
 * overlapping pod CIDRs) is resolved the same way on every node: the first
 * claim wins and the later node is left out with a problem.
 */
export function desiredState(self: SelfNode, nodes: readonly NodeDoc[]): DesiredState {
  const peers: PeerConfig[] = [];
  const routes: string[] = [];
  const remote: string[] = [];
  const problems: string[] = [];
  const claimed: Array<{ cidr: string; node: string }> = self.podCIDRs.map((c) => ({ cidr: canonicalCidr(c), node: self.name }));
  const keys = new Map<string, string>();
  for (const node of [...nodes].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const name = node.metadata.name;
    if (name === self.name) continue;
    const cidrs = node.spec.podCIDRs.map(canonicalCidr);
    const clash = cidrs.flatMap((c) => claimed.filter((k) => cidrsOverlap(k.cidr, c)).map((k) => `${c} overlaps ${k.cidr} of ${k.node}`));
    if (clash.length > 0) {
      problems.push(`node ${name} left out: ${clash.join('; ')}`);
      continue;
    }
    remote.push(...cidrs);
    claimed.push(...cidrs.map((cidr) => ({ cidr, node: name })));
    const wg = node.spec.wireGuard;
    if (wg === undefined) {
      problems.push(`node ${name} publishes no WireGuard key: its pods are not reachable through the tunnel`);
      continue;
    }
    const dup = keys.get(wg.publicKey);
    if (dup !== undefined) {
      problems.push(`node ${name} left out: public key already used by node ${dup}`);
      continue;
    }
    keys.set(wg.publicKey, name);
    const endpoint = formatEndpoint(node.spec.tunnelEndpoint, wg.listenPort);
    peers.push({ node: name, publicKey: wg.publicKey, endpoint, allowedIPs: cidrs, staged: false });
    routes.push(...cidrs);
    if (wg.nextPublicKey !== undefined && wg.nextPublicKey !== wg.publicKey && !keys.has(wg.nextPublicKey)) {
      keys.set(wg.nextPublicKey, name);
      peers.push({ node: name, publicKey: wg.nextPublicKey, endpoint, allowedIPs: [], staged: true });
    }
  }
  return { peers, routes, remotePodCIDRs: remote, problems };
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

/**
 * The `wg set` arguments that turn `actual` into `desired`, or undefined when
 * they already agree. One invocation is one UAPI/netlink transaction.
 * Additions and changes come before removals: when a rotating peer's CIDRs
 * move from its old key to its new one, setting them on the new key takes
 * them from the old one in the same step, and only then is the old key
 * removed, so the CIDRs never belong to nobody.
 */
export function wgPeerArgs(ifname: string, actual: readonly WgPeerDump[], desired: readonly PeerConfig[]): string[] | undefined {
  const have = new Map(actual.map((p) => [p.publicKey, p]));
  const want = new Set(desired.map((p) => p.publicKey));
  const args: string[] = [];
  for (const p of desired) {
    const a = have.get(p.publicKey);
    if (a !== undefined && a.endpoint === p.endpoint && sameSet(a.allowedIPs.map(canonicalCidr), p.allowedIPs)) continue;
    args.push('peer', p.publicKey, 'endpoint', p.endpoint, 'allowed-ips', p.allowedIPs.join(','));
  }
  for (const a of actual) if (!want.has(a.publicKey)) args.push('peer', a.publicKey, 'remove');
  return args.length === 0 ? undefined : ['set', ifname, ...args];
}

/** A route on the tunnel interface, as `ip -j route show dev <if>` reports it. */
export interface RouteDump {
  dst: string;
  metric?: number;
  protocol?: string;
  metrics?: Array<{ mtu?: number }>;
}

/** Routes nodemesh installs have this metric: lower than a CNI's native route to the same CIDR, so the tunnel wins while it exists. */
export const TUNNEL_ROUTE_METRIC = 10;

/**
 * `ip` argument arrays that make the routes on `ifname` exactly `desired`,
 * each with the tunnel MTU (so locally originated packets are sized for the
 * tunnel before they reach it, instead of relying on PMTU discovery).
 * Kernel-made routes (link-local IPv6) are left alone.
 */
export function routeCommands(ifname: string, actual: readonly RouteDump[], desired: readonly string[], mtu: number): string[][] {
  const cmds: string[][] = [];
  const ours = actual.filter((r) => r.protocol !== 'kernel');
  const have = new Map(ours.map((r) => [canonicalCidr(r.dst), r]));
  const want = new Set(desired.map(canonicalCidr));
  for (const dst of want) {
    const r = have.get(dst);
    const rmtu = r?.metrics?.find((m) => m.mtu !== undefined)?.mtu;
    if (r !== undefined && r.metric === TUNNEL_ROUTE_METRIC && rmtu === mtu) continue;
    cmds.push(['route', 'replace', dst, 'dev', ifname, 'metric', String(TUNNEL_ROUTE_METRIC), 'mtu', String(mtu)]);
  }
  for (const [dst, r] of have) {
    if (want.has(dst) && r.metric === TUNNEL_ROUTE_METRIC) continue;
    cmds.push(['route', 'del', dst, 'dev', ifname, ...(r.metric === undefined ? [] : ['metric', String(r.metric)])]);
  }
  return cmds;
}

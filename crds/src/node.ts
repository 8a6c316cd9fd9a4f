// nodemesh.io/v1alpha1 Node: one mesh node as its encryption agent publishes it
// in file mode (under Kubernetes the same fields would live in a Node
// annotation or a CRD). Cluster-scoped like a Kubernetes Node. Every agent
// writes only its own Node object and reads everybody else's: the set of Nodes
// is the WireGuard peer set, and each Node's pod CIDRs become exactly that
// peer's AllowedIPs (see encryption/src/plan.ts for why that matters).
import { z } from 'zod';
import { checkedString, portNumberSchema } from './checks.js';
import { ipErrors, ipFamilyOf } from './ip.js';
import { clusterMetaSchema } from './gateway-api/common.js';

export const NODE_API_VERSION = 'nodemesh.io/v1alpha1';
export const NODE_KIND = 'Node';

/** 51871 is what Cilium uses; 51820 (WireGuard's own default) is often taken by a host's own tunnel. */
export const NODE_DEFAULT_WIREGUARD_PORT = 51871;

/** Errors of a WireGuard key: standard base64 of exactly 32 bytes (what `wg` prints and accepts). */
export function wireGuardKeyErrors(value: string): string[] {
  if (!/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(value)) return ['must be a WireGuard key: base64 of 32 bytes, 44 characters ending in "="'];
  return [];
}

/** Errors of an IPv4/IPv6 prefix in canonical form (host bits zero), e.g. 10.1.0.0/24. */
export function cidrErrors(value: string): string[] {
  const slash = value.indexOf('/');
  if (slash < 0) return [`invalid value ${JSON.stringify(value)}: must be a CIDR (e.g. 10.1.0.0/24)`];
  const addr = value.slice(0, slash);
  const bitsText = value.slice(slash + 1);
  const family = ipFamilyOf(addr);
  const max = family === 'IPv6' ? 128 : 32;
  if (family === undefined || !/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) {
    return [`invalid value ${JSON.stringify(value)}: must be a CIDR (e.g. 10.1.0.0/24)`];
  }
  if (!hostBitsZero(addr, Number(bitsText))) return [`invalid value ${JSON.stringify(value)}: host bits must be zero`];
  return [];
}

function hostBitsZero(addr: string, bits: number): boolean {
  const bytes = addressBytes(addr);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    const mask = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    if ((bytes[i]! & ~mask & 0xff) !== 0) return false;
  }
  return true;
}

/** Bytes of a valid IPv4 or IPv6 address (4 or 16). */
export function addressBytes(addr: string): number[] {
  if (ipFamilyOf(addr) === 'IPv4') return addr.split('.').map(Number);
  const [head = '', tail] = addr.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const expand = (gs: string[]) =>
    gs.flatMap((g) => {
      if (!g.includes('.')) return [parseInt(g, 16)];
      const [a = 0, b = 0, c = 0, d = 0] = g.split('.').map(Number);
      return [(a << 8) | b, (c << 8) | d];
    });
  const hv = expand(h);
  const tv = expand(t);
  const all = [...hv, ...new Array<number>(8 - hv.length - tv.length).fill(0), ...tv];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

const keySchema = checkedString(wireGuardKeyErrors);

const nodeSpecSchema = z.object({
  /** Underlay address peers send tunnel packets to. */
  tunnelEndpoint: checkedString((v) => ipErrors(v)),
  /** Addresses of this node's workloads; a peer accepts exactly these as inner source addresses from this node. */
  podCIDRs: z.array(checkedString(cidrErrors)).min(1),
  wireGuard: z
    .object({
      publicKey: keySchema,
      listenPort: portNumberSchema.default(NODE_DEFAULT_WIREGUARD_PORT),
      /**
       * Set only during a key rotation: the key this node will switch to once
       * every peer lists it in status.wireGuardPeerKeys.
       */
      nextPublicKey: keySchema.optional(),
    })
    .optional(),
});

const nodeStatusSchema = z.object({
  /**
   * Every peer public key this node's agent has configured on its interface.
   * A rotating node waits until all peers list its next key here (the
   * acknowledgement) before it switches.
   */
  wireGuardPeerKeys: z.array(keySchema).default(() => []),
  /** Which WireGuard implementation runs: kernel or wireguard-go. */
  wireGuardImplementation: z.enum(['kernel', 'wireguard-go']).optional(),
});

export const nodeSchema = z.object({
  apiVersion: z.literal(NODE_API_VERSION),
  kind: z.literal(NODE_KIND),
  // Names are RFC 1123 subdomains like Kubernetes Node names; Nodes have no namespace.
  metadata: clusterMetaSchema(),
  spec: nodeSpecSchema,
  status: nodeStatusSchema.optional(),
});

export type NodeSpec = z.output<typeof nodeSpecSchema>;
export type NodeStatus = z.output<typeof nodeStatusSchema>;
export type NodeDoc = z.output<typeof nodeSchema>;

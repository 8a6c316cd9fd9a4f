// Tunnel MTU: the largest inner packet that still fits in one underlay packet
// once WireGuard has wrapped it. Getting this wrong is the classic WireGuard
// black hole (cilium PR#30329: 102 → 656 Mbit/s once fixed): packets that
// are too big are either dropped silently or fragmented on the underlay.

/**
 * Bytes WireGuard adds to each inner packet: outer IP header (20 for IPv4, 40
 * for IPv6) + UDP header (8) + WireGuard data header (type 4, receiver index
 * 4, counter 8 = 16) + Poly1305 tag (16). Padding to 16 bytes is inside the
 * tag's range only for packets that are not already a multiple of 16; the
 * tunnel MTU computed here is what the inner packet may be at most, and
 * WireGuard never pads beyond the MTU, so the padding needs no budget.
 */
export const WIREGUARD_OVERHEAD = { IPv4: 60, IPv6: 80 } as const;

export type UnderlayFamily = keyof typeof WIREGUARD_OVERHEAD;

/** Smallest MTU an IPv6-capable link may have (RFC 8200); IPv4 needs 576 at least. */
const MIN_INNER_MTU = { IPv4: 576, IPv6: 1280 } as const;

/**
 * MTU of the tunnel and of the routes through it, for an underlay path of
 * `underlayMtu` bytes carrying outer packets of `family`. Throws when the
 * result would be below what IPv4 (576) can carry — an underlay that small
 * cannot host the tunnel, and a silently tiny MTU would be worse than an error.
 */
export function tunnelMtu(underlayMtu: number, family: UnderlayFamily): number {
  if (!Number.isInteger(underlayMtu) || underlayMtu <= 0) throw new Error(`underlay MTU must be a positive integer, got ${underlayMtu}`);
  const mtu = underlayMtu - WIREGUARD_OVERHEAD[family];
  if (mtu < MIN_INNER_MTU.IPv4) throw new Error(`underlay MTU ${underlayMtu} leaves ${mtu} bytes for inner packets over ${family}; at least ${MIN_INNER_MTU.IPv4 + WIREGUARD_OVERHEAD[family]} is needed`);
  return mtu;
}

/**
 * The tunnel MTU for a set of underlay paths (one per peer, or just the
 * default route's device when there are no peers yet): every peer shares one
 * interface, so the smallest path decides.
 */
export function tunnelMtuForPaths(paths: ReadonlyArray<{ mtu: number; family: UnderlayFamily }>): number | undefined {
  if (paths.length === 0) return undefined;
  return Math.min(...paths.map((p) => tunnelMtu(p.mtu, p.family)));
}

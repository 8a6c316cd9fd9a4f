// Just enough pcap reading to assert what crossed the underlay: the frames
// tcpdump wrote (Ethernet, Linux cooked v1 or v2 for `-i any`), reduced to
// IPv4/IPv6 protocol, addresses, ports and the raw bytes (to look for a
// plaintext marker anywhere in the packet).
import { readFileSync } from 'node:fs';

export interface CapturedPacket {
  /** 'ipv4', 'ipv6', 'arp' or the ethertype in hex. */
  ether: string;
  proto?: 'tcp' | 'udp' | 'icmp' | number;
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  /** IPv4 total length (the packet's size on the underlay). */
  ipLength?: number;
  /** IPv4 fragment (more-fragments flag or non-zero offset): the tunnel MTU would be wrong. */
  fragment?: boolean;
  /** Bytes of the whole frame as captured. */
  raw: Buffer;
}

export function readPcap(file: string): CapturedPacket[] {
  const buf = readFileSync(file);
  if (buf.length < 24) return [];
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${file}: not a pcap file`);
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linktype = u32(20);
  const packets: CapturedPacket[] = [];
  for (let off = 24; off + 16 <= buf.length; ) {
    const incl = u32(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    let etherType: number;
    let l3: Buffer;
    if (linktype === 1) {
      etherType = frame.readUInt16BE(12);
      l3 = frame.subarray(14);
    } else if (linktype === 113) {
      etherType = frame.readUInt16BE(14);
      l3 = frame.subarray(16);
    } else if (linktype === 276) {
      etherType = frame.readUInt16BE(0);
      l3 = frame.subarray(20);
    } else throw new Error(`${file}: unsupported link type ${linktype}`);
    packets.push(decode(etherType, l3, frame));
  }
  return packets;
}

function decode(etherType: number, l3: Buffer, raw: Buffer): CapturedPacket {
  if (etherType === 0x0806) return { ether: 'arp', raw };
  if (etherType === 0x0800 && l3.length >= 20) {
    const ihl = (l3[0]! & 0x0f) * 4;
    const p = l3[9]!;
    const src = [...l3.subarray(12, 16)].join('.');
    const dst = [...l3.subarray(16, 20)].join('.');
    const l4 = l3.subarray(ihl);
    const ports = (p === 6 || p === 17) && l4.length >= 4 ? { sport: l4.readUInt16BE(0), dport: l4.readUInt16BE(2) } : {};
    const frag = l3.readUInt16BE(6);
    return { ether: 'ipv4', proto: p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 1 ? 'icmp' : p, src, dst, ...ports, ipLength: l3.readUInt16BE(2), fragment: (frag & 0x3fff) !== 0, raw };
  }
  if (etherType === 0x86dd) return { ether: 'ipv6', proto: l3[6] ?? 0, raw };
  return { ether: etherType.toString(16), raw };
}

// The original destination of a redirected connection, the way Envoy's
// original_dst listener filter reads it: getsockopt(SO_ORIGINAL_DST). Node
// has no getsockopt, so libc's is called through koffi. nodemesh's eBPF
// steering answers this getsockopt from a map (cgroup/getsockopt), and
// netfilter REDIRECT answers it from conntrack, so one call serves both.
import type { Socket } from 'node:net';
import koffi from 'koffi';

const SOL_IP = 0;
const SOL_IPV6 = 41;
const SO_ORIGINAL_DST = 80; // IP6T_SO_ORIGINAL_DST has the same value

let getsockopt: ((fd: number, level: number, name: number, buf: Buffer, len: number[]) => number) | undefined;

function libcGetsockopt() {
  if (!getsockopt) {
    const libc = koffi.load('libc.so.6');
    getsockopt = libc.func('int getsockopt(int, int, int, _Out_ uint8_t *buf, _Inout_ uint32_t *len)') as unknown as typeof getsockopt;
  }
  return getsockopt!;
}

export interface OriginalDst {
  address: string;
  port: number;
}

/** The socket's original destination, or undefined when it was not redirected (ENOENT) or is not a TCP/IP socket. */
export function originalDst(socket: Socket): OriginalDst | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) return undefined;
  const v6 = socket.localFamily === 'IPv6' && !socket.localAddress?.startsWith('::ffff:');
  const buf = Buffer.alloc(28);
  const len = [buf.length];
  if (libcGetsockopt()(fd, v6 ? SOL_IPV6 : SOL_IP, SO_ORIGINAL_DST, buf, len) !== 0) return undefined;
  const family = buf.readUInt16LE(0);
  const port = buf.readUInt16BE(2);
  let address: string;
  if (family === 2) address = `${buf[4]}.${buf[5]}.${buf[6]}.${buf[7]}`;
  else if (family === 10) {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(8 + i * 2).toString(16));
    address = groups.join(':').replace(/\b(?:0+:){2,}/, ':');
  } else return undefined;
  // With conntrack loaded, a connection made straight to the proxy reports
  // its own address. It was not redirected; treating it as if it were would
  // send it back into the proxy (a loop).
  const local = (socket.localAddress ?? '').replace(/^::ffff:/, '');
  if (address === local && port === socket.localPort) return undefined;
  return { address, port };
}

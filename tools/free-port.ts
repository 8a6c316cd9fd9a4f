// Ports for servers that a test or benchmark starts later: a listener in xDS,
// a child's --admin flag. A port taken with listen(0) and released again lies
// in the kernel's ephemeral range, so until it is bound again any listen(0) or
// outgoing connect on the machine may take it. CI once saw a gateway
// listener's port taken that way by another server of the same test: the
// connection met a silent server and hung. These ports come from below the
// ephemeral range, where the kernel never picks a port by itself, are checked
// free for TCP and UDP, and are never handed out twice by one process.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';

const FLOOR = 20_000;

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // Not Linux: the IANA dynamic range.
  }
  return [49_152, 65_535];
}

/** The ports this module may hand out: [FLOOR, ephemeral low) or, on a machine whose range starts lower, above its high end. */
function pool(): [number, number] {
  const [low, high] = ephemeralRange();
  if (low - FLOOR >= 1_000) return [FLOOR, low - 1];
  if (65_535 - high >= 1_000) return [high + 1, 65_535];
  throw new Error(`no port range outside the ephemeral range ${low}-${high} of at least 1000 ports`);
}

const [POOL_LOW, POOL_HIGH] = pool();
const size = POOL_HIGH - POOL_LOW + 1;
const handedOut = new Set<number>();
// Processes start at different places, so two test processes rarely probe the same ports.
let cursor = (process.pid * 7919) % size;

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '0.0.0.0', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => (s.close(), resolve(false)));
    s.bind({ port, address: '0.0.0.0', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A port that is free for TCP and UDP on every local address, outside the ephemeral range, and new to this process. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < size; tries++) {
    const port = POOL_LOW + (cursor++ % size);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if ((await tcpFree(port)) && (await udpFree(port))) return port;
  }
  throw new Error(`no free port left in ${POOL_LOW}-${POOL_HIGH}`);
}

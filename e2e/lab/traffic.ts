// A traffic endpoint for the encryption e2e tests and bench, run inside a pod
// network namespace. One mode per invocation; results are one JSON line on
// stdout.
//   serve <host> <port>                          TCP echo server + UDP sink; prints {"listening":true}
//   transfer <host> <port> <bytes> <marker> <ms>  sends <bytes> in chunks that each start with
//                                                <marker>, paced over <ms>, and checks every byte
//                                                comes back unchanged; {"ok":…,"bytes","ms","error"?}
//   udp <host> <port> <count> <marker>            sends <count> datagrams carrying <marker>
//   rr <host> <port> <count>                      <count> 1-byte round trips; {"p50Us","p99Us","meanUs"}
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';

const [mode, host = '', portText = '0', ...rest] = process.argv.slice(2);
const port = Number(portText);
const out = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function serve(): Promise<void> {
  const server = net.createServer((s) => {
    s.on('error', () => s.destroy());
    s.pipe(s);
  });
  const udp = dgram.createSocket('udp4');
  udp.on('message', () => {});
  await new Promise<void>((r) => server.listen(port, host, r));
  await new Promise<void>((r) => udp.bind(port, host, r));
  out({ listening: true });
}

async function transfer(bytes: number, marker: string, ms: number): Promise<void> {
  const t0 = Date.now();
  const chunkSize = 16 * 1024;
  const chunks = Math.ceil(bytes / chunkSize);
  const sentHash = createHash('sha256');
  const gotHash = createHash('sha256');
  let received = 0;
  const socket = net.connect(port, host);
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      gotHash.update(d);
      received += d.length;
      if (received >= chunks * chunkSize) resolve();
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed after ${received} bytes`)));
  });
  done.catch(() => {});
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  for (let i = 0; i < chunks; i++) {
    const chunk = Buffer.alloc(chunkSize, 0x2e);
    chunk.write(`${marker}#${i}#`, 0);
    sentHash.update(chunk);
    if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
    const due = t0 + ((i + 1) * ms) / chunks;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out with ${received} of ${chunks * chunkSize} bytes echoed`)), ms + 60_000);
  });
  try {
    await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
  }
  socket.removeAllListeners('close');
  socket.end();
  if (sentHash.digest('hex') !== gotHash.digest('hex')) throw new Error('echoed bytes differ from sent bytes');
  out({ ok: true, bytes: received, ms: Date.now() - t0 });
}

async function udpSend(count: number, marker: string): Promise<void> {
  const s = dgram.createSocket('udp4');
  for (let i = 0; i < count; i++) {
    await new Promise<void>((r) => s.send(Buffer.from(`${marker} datagram ${i}`), port, host, () => r()));
    await sleep(5);
  }
  s.close();
  out({ ok: true, sent: count });
}

async function rr(count: number): Promise<void> {
  const socket = net.connect(port, host);
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const times: number[] = [];
  let waiter: (() => void) | undefined;
  socket.on('data', () => waiter?.());
  for (let i = 0; i < count + 100; i++) {
    const t = process.hrtime.bigint();
    await new Promise<void>((r) => {
      waiter = r;
      socket.write('x');
    });
    if (i >= 100) times.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  socket.destroy();
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
  out({ ok: true, p50Us: pct(50), p99Us: pct(99), meanUs: times.reduce((a, b) => a + b, 0) / times.length });
}

try {
  if (mode === 'serve') await serve();
  else if (mode === 'transfer') await transfer(Number(rest[0]), rest[1] ?? 'MARK', Number(rest[2] ?? 0));
  else if (mode === 'udp') await udpSend(Number(rest[0]), rest[1] ?? 'MARK');
  else if (mode === 'rr') await rr(Number(rest[0]));
  else throw new Error(`unknown mode ${mode}`);
} catch (e) {
  out({ ok: false, error: (e as Error).message });
  process.exitCode = 1;
}

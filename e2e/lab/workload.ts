// A lab workload process: does what the test asks, one JSON command per
// stdin line, one JSON reply per stdout line (same `seq`). Servers it starts
// and connections it opens live as long as the process, so a test can hold a
// connection open across an agent restart. Driven by WorkloadClient.
import http from 'node:http';
import net from 'node:net';
import { createInterface } from 'node:readline';

export type Command =
  | { op: 'serve-http'; host: string; port: number; name: string }
  | { op: 'serve-echo'; host: string; port: number }
  | { op: 'http'; url: string }
  | { op: 'open'; conn: string; host: string; port: number }
  | { op: 'echo'; conn: string; payload: string }
  | { op: 'close'; conn: string }
  /** Request/response: `count` round trips of `size` bytes on one connection to an echo server (after `warmup`). */
  | { op: 'rr'; host: string; port: number; size: number; count: number; warmup: number }
  /** Streams `bytes` through an echo server on one connection; reports the rate. */
  | { op: 'stream'; host: string; port: number; bytes: number };

export type Reply = { seq: number; ok: true; [k: string]: unknown } | { seq: number; ok: false; error: string };

function connect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host);
    s.once('connect', () => resolve(s)).once('error', reject);
  });
}

async function rr(c: { host: string; port: number; size: number; count: number; warmup: number }): Promise<Record<string, unknown>> {
  const socket = await connect(c.host, c.port);
  socket.setNoDelay(true);
  const msg = Buffer.alloc(c.size, 0x61);
  const times: number[] = [];
  let got = 0;
  let done: (() => void) | undefined;
  socket.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= c.size) {
      got -= c.size;
      done?.();
    }
  });
  for (let i = 0; i < c.warmup + c.count; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      done = resolve;
      socket.write(msg);
    });
    if (i >= c.warmup) times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  socket.destroy();
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
  return { p50Us: pct(50), p99Us: pct(99), meanUs: times.reduce((a, b) => a + b, 0) / times.length };
}

async function stream(c: { host: string; port: number; bytes: number }): Promise<Record<string, unknown>> {
  const socket = await connect(c.host, c.port);
  const chunk = Buffer.alloc(64 * 1024, 0x62);
  const t0 = process.hrtime.bigint();
  let received = 0;
  const finished = new Promise<void>((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      received += d.length;
      if (received >= c.bytes) resolve();
    });
    socket.on('error', reject);
  });
  for (let sent = 0; sent < c.bytes; sent += chunk.length) {
    if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
  }
  await finished;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  socket.destroy();
  return { mibPerS: received / 1048576 / seconds, seconds };
}

const conns = new Map<string, { socket: net.Socket; received: string; waiter?: () => void }>();

async function run(c: Command): Promise<Record<string, unknown>> {
  switch (c.op) {
    case 'serve-http': {
      const server = http.createServer((req, res) => res.end(`${c.name} ${req.url}`));
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(c.port, c.host, resolve));
      return {};
    }
    case 'serve-echo': {
      const server = net.createServer((s) => s.pipe(s));
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(c.port, c.host, resolve));
      return {};
    }
    case 'http':
      return await new Promise((resolve, reject) => {
        http
          .get(c.url, { timeout: 3000, agent: false }, (res) => {
            let body = '';
            res.on('data', (d) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode, body }));
          })
          .on('timeout', function (this: http.ClientRequest) {
            this.destroy(new Error('timeout'));
          })
          .on('error', reject);
      });
    case 'open': {
      const socket = net.connect(c.port, c.host);
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      const entry: { socket: net.Socket; received: string; waiter?: () => void } = { socket, received: '' };
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        entry.received += d;
        entry.waiter?.();
      });
      socket.on('error', () => undefined);
      conns.set(c.conn, entry);
      return { localPort: socket.localPort, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
    }
    case 'echo': {
      const entry = conns.get(c.conn);
      if (!entry) throw new Error(`no connection ${c.conn}`);
      entry.received = '';
      entry.socket.write(c.payload);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`echo timeout: got ${entry.received.length}/${c.payload.length} bytes`)), 5000);
        entry.waiter = () => {
          if (entry.received.length >= c.payload.length) {
            clearTimeout(timer);
            resolve();
          }
        };
        entry.waiter();
      });
      return { echoed: entry.received === c.payload, bytes: entry.received.length };
    }
    case 'close':
      conns.get(c.conn)?.socket.destroy();
      conns.delete(c.conn);
      return {};
    case 'rr':
      return rr(c);
    case 'stream':
      return stream(c);
  }
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const { seq, ...cmd } = JSON.parse(line) as Command & { seq: number };
  run(cmd as Command).then(
    (r) => process.stdout.write(JSON.stringify({ seq, ok: true, ...r }) + '\n'),
    (e: Error) => process.stdout.write(JSON.stringify({ seq, ok: false, error: e.message }) + '\n'),
  );
});
rl.on('close', () => process.exit(0));

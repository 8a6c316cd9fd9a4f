// The two ends of the TCP throughput measurement, each run as its own process
// by bench/proxy.ts (never in the proxy's process).
//
//   sink:   node --import tsx bench/proxy-tcp.ts sink
//           prints {"port": P}; per connection, reads an 8-byte length and
//           then that many bytes, and answers "done" when all arrived.
//   source: node --import tsx bench/proxy-tcp.ts source --port P --mib N
//           sends N MiB, prints {"ms": elapsed} once the sink said "done".
//
// The sink acknowledges by count rather than on end-of-stream, so the
// measurement does not depend on how a proxy forwards half-closes.
import net from 'node:net';
import { parseArgs } from 'node:util';

const { positionals, values: args } = parseArgs({
  allowPositionals: true,
  options: { port: { type: 'string' }, mib: { type: 'string', default: '512' } },
});

if (positionals[0] === 'sink') {
  const server = net.createServer((s) => {
    let expected = -1;
    let received = 0;
    let head = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      if (expected < 0) {
        head = Buffer.concat([head, chunk]);
        if (head.length < 8) return;
        expected = Number(head.readBigUInt64BE(0));
        chunk = head.subarray(8);
      }
      received += chunk.length;
      if (received >= expected) s.end('done');
    });
    s.on('error', () => s.destroy());
  });
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as net.AddressInfo).port })));
  // Goes away with the harness (its end of our stdin closes).
  process.stdin.on('end', () => process.exit(0)).resume();
} else if (positionals[0] === 'source') {
  const total = Number(args.mib) * 1048576;
  const chunk = Buffer.alloc(1 << 20, 'x');
  const header = Buffer.alloc(8);
  header.writeBigUInt64BE(BigInt(total));
  const start = performance.now();
  const s = net.connect(Number(args.port), '127.0.0.1');
  s.setNoDelay(true);
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      sent += chunk.length;
      if (!s.write(chunk)) return void s.once('drain', pump);
    }
  };
  s.on('connect', () => {
    s.write(header);
    pump();
  });
  let answer = '';
  s.on('data', (d: Buffer) => {
    answer += d.toString();
    if (answer.length < 4) return;
    if (answer !== 'done') throw new Error(`unexpected answer from the sink: ${answer.slice(0, 80)}`);
    console.log(JSON.stringify({ ms: performance.now() - start }));
    process.exit(0);
  });
  s.on('error', (err) => {
    console.error(`source: ${err.message}`);
    process.exit(1);
  });
  s.on('end', () => {
    console.error(`source: connection closed after ${sent} bytes sent, before the sink acknowledged`);
    process.exit(1);
  });
} else {
  throw new Error('usage: proxy-tcp.ts sink | source --port P --mib N');
}

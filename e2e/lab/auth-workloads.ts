// The workloads of the auth e2e tests, as scripts for `node -e` (they run in
// a node's namespace and cgroup, so they cannot be in-process). Every event
// is one JSON line on stdout, with the wall clock (`at`), so a test can
// compare it with when an auth entry was made.

/**
 * The receiving workload. For each LISTEN entry "host:port:proto" it serves
 * proto = echo (raw TCP echo) or resp (a Redis-like wire protocol: PING,
 * SET k v, GET k, in RESP arrays). It reports every accepted connection and
 * every chunk received, so a test can assert that nothing arrived.
 * proto = echo1 echoes the first chunk and then closes (this side closes
 * first, so the TIME_WAIT state stays here, not with the initiator).
 */
export const SERVER_JS = `
const net = require('node:net');
const say = (o) => console.log(JSON.stringify({ ...o, at: Date.now() }));
const store = new Map();
function resp(s) {
  let buf = Buffer.alloc(0);
  s.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const cmd = parse(buf);
      if (!cmd) return;
      buf = buf.subarray(cmd.used);
      const [name, ...args] = cmd.parts;
      const n = String(name).toUpperCase();
      if (n === 'PING') s.write('+PONG\\r\\n');
      else if (n === 'SET') { store.set(args[0], args[1]); s.write('+OK\\r\\n'); }
      else if (n === 'GET') { const v = store.get(args[0]); s.write(v === undefined ? '$-1\\r\\n' : '$' + Buffer.byteLength(v) + '\\r\\n' + v + '\\r\\n'); }
      else s.write('-ERR unknown command\\r\\n');
    }
  });
}
function parse(b) {
  const text = b.toString('latin1');
  if (text[0] !== '*') return undefined;
  let i = text.indexOf('\\r\\n'); if (i < 0) return undefined;
  const count = Number(text.slice(1, i)); let pos = i + 2; const parts = [];
  for (let k = 0; k < count; k++) {
    if (text[pos] !== '$') return undefined;
    const j = text.indexOf('\\r\\n', pos); if (j < 0) return undefined;
    const len = Number(text.slice(pos + 1, j)); const start = j + 2;
    if (text.length < start + len + 2) return undefined;
    parts.push(text.slice(start, start + len)); pos = start + len + 2;
  }
  return { parts, used: pos };
}
for (const spec of process.env.LISTEN.split(',')) {
  const [host, port, proto] = spec.split(':');
  net.createServer((s) => {
    say({ event: 'accepted', host, port: Number(port), remote: s.remoteAddress, remotePort: s.remotePort });
    s.on('data', (d) => say({ event: 'data', host, port: Number(port), bytes: d.length }));
    s.on('error', () => {});
    if (proto === 'resp') resp(s); else if (proto === 'echo1') s.once('data', (d) => s.end(d)); else s.on('data', (d) => s.write(d));
  }).listen(Number(port), host, () => say({ event: 'listening', host, port: Number(port) }));
}`;

/**
 * The initiating workload: one JSON command per stdin line.
 *  {op:'open', id, host, port, local, send, expect}: connect from `local`
 *     (its workload address), write `send` at once (before any answer: the
 *     bytes that must not pass before authentication), wait until the reply
 *     contains `expect`; reports connected, reply or error (with the code),
 *     and keeps the connection open. Optional: localPort (bind that source
 *     port too), connectTimeoutMs (give up connecting after that long:
 *     result 'timeout', for SYNs that are dropped); a reply reports the
 *     connection's own source port (localPort).
 *  {op:'send', id, send, expect}: more on an open connection.
 *  {op:'close', id}
 *  {op:'rtt', id, host, port, local}: connect, 1-byte echo, close; reports
 *     `us` (hrtime) or the error. For benchmarks.
 *  {op:'burst', id, host, port, locals, perLocal, send, expect, timeoutMs}:
 *     perLocal connections from each address at once, each one round trip;
 *     reports counts by outcome and the slowest.
 */
export const CLIENT_JS = `
const net = require('node:net');
const say = (o) => console.log(JSON.stringify({ ...o, at: Date.now() }));
const conns = new Map();
function roundTrip(s, send, expect, timeoutMs) {
  return new Promise((resolve) => {
    let got = '';
    const t = setTimeout(() => done({ result: 'timeout', got }), timeoutMs);
    const onData = (d) => { got += d; if (got.includes(expect)) done({ result: 'reply', got }); };
    const onErr = (e) => done({ result: 'error', code: e.code || e.message });
    const onClose = () => done({ result: 'error', code: 'CLOSED' });
    function done(r) { clearTimeout(t); s.off('data', onData); s.off('error', onErr); s.off('close', onClose); resolve(r); }
    s.on('data', onData); s.once('error', onErr); s.once('close', onClose);
    s.write(send);
  });
}
function open(c) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const s = net.connect({ host: c.host, port: c.port, localAddress: c.local || undefined, localPort: c.localPort || undefined });
    s.setNoDelay(true);
    const ct = c.connectTimeoutMs ? setTimeout(() => { s.destroy(); resolve({ s, r: { result: 'timeout', code: 'CONNECT_TIMEOUT', ms: Date.now() - t0 } }); }, c.connectTimeoutMs) : undefined;
    s.once('error', (e) => { clearTimeout(ct); resolve({ s, r: { result: 'error', code: e.code || e.message, ms: Date.now() - t0 } }); });
    s.once('connect', async () => {
      clearTimeout(ct);
      const r = await roundTrip(s, c.send, c.expect, c.timeoutMs || 5000);
      resolve({ s, r: { ...r, ms: Date.now() - t0, localPort: s.localPort } });
    });
  });
}
require('node:readline').createInterface({ input: process.stdin }).on('line', async (line) => {
  const c = JSON.parse(line);
  if (c.op === 'open') {
    const { s, r } = await open(c);
    conns.set(c.id, s); s.on('error', () => {});
    say({ id: c.id, ...r });
  } else if (c.op === 'send') {
    const s = conns.get(c.id);
    const t0 = Date.now();
    const r = await roundTrip(s, c.send, c.expect, c.timeoutMs || 3000);
    say({ id: c.id, ...r, ms: Date.now() - t0 });
  } else if (c.op === 'close') {
    conns.get(c.id)?.destroy(); conns.delete(c.id); say({ id: c.id, result: 'closed' });
  } else if (c.op === 'rtt') {
    const t0 = process.hrtime.bigint();
    const { s, r } = await open({ ...c, send: 'x', expect: 'x' });
    s.destroy();
    say({ id: c.id, ...r, us: Number(process.hrtime.bigint() - t0) / 1000 });
  } else if (c.op === 'burst') {
    const jobs = [];
    for (const local of c.locals) for (let i = 0; i < c.perLocal; i++) jobs.push(open({ ...c, local }).then(({ s, r }) => { s.destroy(); return r; }));
    const rs = await Promise.all(jobs);
    const outcomes = {};
    for (const r of rs) { const k = r.result === 'reply' ? 'reply' : r.result + ':' + (r.code || ''); outcomes[k] = (outcomes[k] || 0) + 1; }
    const ms = rs.map((r) => r.ms).sort((a, b) => a - b);
    say({ id: c.id, result: 'burst', outcomes, maxMs: ms[ms.length - 1], p50Ms: ms[Math.floor(ms.length / 2)] });
  }
});
say({ event: 'ready' });`;

/** RESP, as a Redis client writes it. */
export const respCommand = (...parts: string[]) => `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;

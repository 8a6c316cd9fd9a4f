// The lab watch's client, run inside a lab node as a mesh workload (by
// `nodemesh lab watch`, the way `lab exec` runs a command): reads one JSON
// request per line on stdin — {seq, n, targets: [{kind, host, port}]} — and
// answers with one line {seq, results: [{answers: {who: count}, failed,
// error?}]}: who answered each of n requests per target, one request after
// another (so a split reflects the weights, not which connection was ready
// first). HTTP and gRPC keep one connection per target across rounds, as a
// long-lived client would; TCP opens one connection per request (from a
// given local address when the target names one: the auth-required flow).
import http from 'node:http';
import net from 'node:net';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { callWho, EchoClient } from './echo.js';

export interface ProbeTarget {
  kind: 'http' | 'grpc' | 'tcp';
  host: string;
  port: number;
  /** TCP only: bind to this address first, to connect as the workload that has it (its identity, for an auth-required flow). */
  local?: string;
}
export interface ProbeRequest {
  seq: number;
  n: number;
  targets: ProbeTarget[];
}
export interface ProbeResult {
  answers: Record<string, number>;
  failed: number;
  error?: string;
}

const TIMEOUT_MS = 2000;
const agents = new Map<string, http.Agent>();
const grpcClients = new Map<string, grpc.Client>();

/** One request; resolves with who answered ("<workload>" or "<workload>@<node>" when the answer names its node). */
function once(t: ProbeTarget): Promise<string> {
  const key = `${t.host}:${t.port}`;
  if (t.kind === 'grpc') {
    let c = grpcClients.get(key);
    if (!c) grpcClients.set(key, (c = new EchoClient(key, grpc.credentials.createInsecure())));
    return callWho(c, TIMEOUT_MS);
  }
  if (t.kind === 'http') {
    let agent = agents.get(key);
    if (!agent) agents.set(key, (agent = new http.Agent({ keepAlive: true, maxSockets: 1 })));
    return new Promise((resolve, reject) => {
      const req = http.get({ host: t.host, port: t.port, path: '/lab-watch', agent, timeout: TIMEOUT_MS }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          const who = body.split(' ')[0] ?? '';
          const node = res.headers['x-nodemesh-lab-node'];
          if (res.statusCode === 200) resolve(typeof node === 'string' ? `${who}@${node}` : who);
          else reject(new Error(`HTTP ${res.statusCode}`));
        });
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
    });
  }
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: t.host, port: t.port, timeout: TIMEOUT_MS, ...(t.local ? { localAddress: t.local } : {}) });
    s.once('data', (d) => {
      resolve(String(d).split('\n')[0]!.trim());
      s.destroy();
    });
    s.on('end', () => reject(new Error('closed without an answer')));
    s.on('error', reject);
    s.on('timeout', () => s.destroy(new Error('timeout')));
  });
}

async function probe(t: ProbeTarget, n: number): Promise<ProbeResult> {
  const r: ProbeResult = { answers: {}, failed: 0 };
  for (let i = 0; i < n; i++)
    await once(t).then(
      (who) => void (r.answers[who] = (r.answers[who] ?? 0) + 1),
      (e: Error) => {
        r.failed++;
        r.error = e.message;
      },
    );
  return r;
}

// Requests are handled one at a time, in order.
let chain = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  const req = JSON.parse(line) as ProbeRequest;
  chain = chain.then(async () => {
    const results: ProbeResult[] = [];
    for (const t of req.targets) results.push(await probe(t, req.n));
    process.stdout.write(`${JSON.stringify({ seq: req.seq, results })}\n`);
  });
});
process.stdin.on('end', () => void chain.then(() => process.exit(0)));
console.log(JSON.stringify({ ready: true }));

// npm run bench:auth -- [--handshakes 500] [--concurrency 16] [--duration 5] [--flows 300]
//
// Out-of-band mutual authentication (nodemesh auth/) against inline mTLS on
// every connection (what a sidecar does), in the same run on this machine:
//
//   responder  a child process (its own event loop, as on another node):
//              nodemesh's AuthServer for 10 workload identities, an inline
//              mTLS echo server (TLS 1.3, client certificate required and
//              verified by OpenSSL against the same root), and a plain TCP
//              echo server standing in for the workload.
//   initiator  this process: the embedded provider for 10 local identities
//              and an AuthManager with an in-memory auth map.
//   CA         one P-256 root, handed to the child as a bring-your-own CA
//              (tls.crt/tls.key in a 0700 temp dir).
//
// Measures:
//   handshake      initiateHandshake(), one at a time: TCP connect, TLS 1.3 with
//                  both SVIDs, both verifications, the responder's auth-map
//                  write, "ok", the initiator's write.
//   handshakes/s   the same with --concurrency in flight, for --duration s.
//   new flow       authenticate() with no entry (one handshake) + TCP connect
//                  + 1-byte echo to the workload; minus the same echo without
//                  auth = the first connection's added latency.
//   later flow     authenticate() answered from the map + connect + echo,
//                  minus the plain echo = the added latency of later flows.
//                  (User space here; in the datapath the lookup is a BPF map
//                  read in connect4.)
//   inline mTLS    a new mTLS connection + 1-byte echo, per connection.
//   datapath       the same through the real datapath of two lab nodes (BPF
//                  connect hook, auth gate, handshake over the lab link,
//                  receive-side check): see bench/auth-datapath.ts. Skipped,
//                  with the reason printed, without root or built objects.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import client from 'prom-client';
import { createLogger } from '../xds-server/src/log.js';
import { InMemoryAuthMap } from '../auth/src/authmap/memory.js';
import { X509Authority } from '../auth/src/certs/authority.js';
import { EmbeddedCertificateProvider } from '../auth/src/certs/embedded.js';
import { PrivateKeyPem } from '../auth/src/certs/secret.js';
import { TrustStore } from '../auth/src/certs/trust.js';
import { verifySvidChain } from '../auth/src/certs/verify.js';
import { issueCertificate } from '../auth/src/certs/x509.js';
import { initiateHandshake } from '../auth/src/handshake/client.js';
import { peerChain } from '../auth/src/handshake/protocol.js';
import { AuthServer } from '../auth/src/handshake/server.js';
import { AuthManager } from '../auth/src/manager.js';
import { AuthMetrics } from '../auth/src/metrics.js';
import { workloadSpiffeId } from '../auth/src/spiffe/id.js';
import { datapathUnavailable, measureDatapath, measurePreauthenticated } from './auth-datapath.js';

const { values: args } = parseArgs({
  options: {
    handshakes: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '16' },
    duration: { type: 'string', default: '5' },
    flows: { type: 'string', default: '300' },
    'datapath-flows': { type: 'string', default: '200' },
    child: { type: 'string' },
  },
});

const TD = 'cluster.local';
const PAIRS = 10;
const Ls = Array.from({ length: PAIRS }, (_, i) => workloadSpiffeId(TD, 'bench', `client-${i}`));
const Rs = Array.from({ length: PAIRS }, (_, i) => workloadSpiffeId(TD, 'bench', `server-${i}`));
const silent = createLogger({ write: () => {} });

interface ChildPorts {
  auth: number;
  inline: number;
  plain: number;
}

// ---- the responder node (child process) ----

async function child(dir: string): Promise<void> {
  const authority = await X509Authority.fromFiles({ trustDomain: TD, certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') });
  const trust = new TrustStore(TD);
  trust.setBundle(TD, authority.bundlePem);
  const provider = new EmbeddedCertificateProvider({ authority, trust, logger: silent });
  for (const id of Rs) await provider.addIdentity(id);
  const server = new AuthServer({ nodeName: 'node-b', provider, trust, authMap: new InMemoryAuthMap(), logger: silent });
  const auth = (await server.listen(0, '127.0.0.1')).port;

  const echo = (s: net.Socket) => {
    s.on('data', (d) => s.write(d));
    s.on('error', () => {});
    s.on('end', () => s.end());
  };
  const plainServer = net.createServer(echo);
  plainServer.listen(0, '127.0.0.1');
  await new Promise((r) => plainServer.once('listening', r));

  // The sidecar way: every connection is an mTLS handshake. OpenSSL verifies the
  // chain against the root; the SPIFFE ID is checked like nodemesh does.
  const svid = provider.getSvid(Rs[0]!)!;
  const inlineServer = tls.createServer(
    { minVersion: 'TLSv1.3', key: svid.key.reveal(), cert: svid.certPem, ca: authority.bundlePem.join(''), requestCert: true, rejectUnauthorized: true },
    (s) => {
      const v = verifySvidChain({ chain: peerChain(s), expectedId: Ls[0]!, peerRole: 'client', trust, now: new Date() });
      if (!v.ok) return s.destroy();
      echo(s);
    },
  );
  inlineServer.on('tlsClientError', () => {});
  inlineServer.listen(0, '127.0.0.1');
  await new Promise((r) => inlineServer.once('listening', r));

  const ports: ChildPorts = { auth, inline: (inlineServer.address() as net.AddressInfo).port, plain: (plainServer.address() as net.AddressInfo).port };
  process.stdout.write(JSON.stringify(ports) + '\n');
  // Lives until the parent closes stdin (or dies).
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

// ---- measurement helpers ----

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}
const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)} ms` : 'n/a');

function echoOnce(socket: net.Socket | tls.TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('data', () => {
      socket.end();
      resolve();
    });
    socket.on('error', reject);
    socket.write('x');
  });
}

function plainEcho(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => echoOnce(s).then(resolve, reject));
    s.on('error', reject);
  });
}

/** Runs `fn` with `concurrency` in flight for `seconds`; returns completions per second. */
async function throughput(fn: () => Promise<unknown>, concurrency: number, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await fn();
        done++;
      }
    }),
  );
  return done / seconds;
}

// ---- the initiator (this process) ----

async function main(): Promise<void> {
  const N = Number(args.handshakes);
  const C = Number(args.concurrency);
  const D = Number(args.duration);
  const F = Number(args.flows);

  // Other work on the machine shows up in every row; the figure is printed with the results.
  const load0 = os.loadavg()[0]!.toFixed(1);
  const dir = mkdtempSync(join(os.tmpdir(), 'nodemesh-bench-auth-'));
  const now = Date.now();
  const root = await issueCertificate({ subject: 'O=bench, CN=root', uris: [`spiffe://${TD}`], notBefore: new Date(now - 60_000), notAfter: new Date(now + 86400_000), isCa: true });
  writeFileSync(join(dir, 'tls.crt'), root.certPem);
  writeFileSync(join(dir, 'tls.key'), root.key.reveal(), { mode: 0o600 });
  const authority = await X509Authority.fromPem({ trustDomain: TD, certPem: root.certPem, keyPem: new PrivateKeyPem(root.key.reveal()) });

  const self = fileURLToPath(import.meta.url);
  const c = spawn(process.execPath, ['--import', 'tsx', self, '--child', dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  process.on('exit', () => {
    c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });
  const ports = await new Promise<ChildPorts>((resolve, reject) => {
    createInterface({ input: c.stdout! }).once('line', (l) => resolve(JSON.parse(l) as ChildPorts));
    c.once('exit', (code) => reject(new Error(`responder exited (${code})`)));
  });

  const trust = new TrustStore(TD);
  trust.setBundle(TD, authority.bundlePem);
  const provider = new EmbeddedCertificateProvider({ authority, trust, logger: silent });
  for (const id of Ls) await provider.addIdentity(id);
  const authMap = new InMemoryAuthMap();
  const metrics = new AuthMetrics(new client.Registry());
  const manager = new AuthManager({
    nodeName: 'node-a', provider, trust, authMap, logger: silent, metrics, gcIntervalMs: 0,
    resolveNode: () => ({ host: '127.0.0.1', port: ports.auth }),
  });
  const handshake = async (i: number) => {
    const r = await initiateHandshake({
      localIdentity: Ls[i % PAIRS]!, remoteIdentity: Rs[i % PAIRS]!, remoteNode: 'node-b',
      address: { host: '127.0.0.1', port: ports.auth }, nodeName: 'node-a', provider, trust, authMap, metrics,
    });
    if (!r.ok) throw new Error(`handshake failed: ${r.reason}: ${r.detail}`);
    return r.durationMs;
  };

  const l0 = provider.getSvid(Ls[0]!)!;
  const inlineConnect = () =>
    new Promise<void>((resolve, reject) => {
      const s = tls.connect({
        host: '127.0.0.1', port: ports.inline, minVersion: 'TLSv1.3', key: l0.key.reveal(), cert: l0.certPem, ca: authority.bundlePem.join(''),
        // SPIFFE: no DNS name to check; the URI SAN is checked instead.
        checkServerIdentity: () => undefined,
      }, () => {
        const v = verifySvidChain({ chain: peerChain(s), expectedId: Rs[0]!, peerRole: 'server', trust, now: new Date() });
        if (!v.ok) return reject(new Error(v.detail));
        echoOnce(s).then(resolve, reject);
      });
      s.on('error', reject);
    });

  const flow = { localIdentity: Ls[0]!, remoteIdentity: Rs[0]!, remoteNode: 'node-b' };
  const key = { ...flow, authType: 'spiffe-mtls' as const };

  // Warm-up: JIT, TLS contexts, both processes.
  for (let i = 0; i < 50; i++) await handshake(i);
  for (let i = 0; i < 50; i++) await inlineConnect();
  for (let i = 0; i < 50; i++) await plainEcho(ports.plain);

  const hs: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i++) hs.push(await handshake(i));
  const cpu = process.cpuUsage(cpu0);
  const cpuPerHandshake = (cpu.user + cpu.system) / 1000 / N;

  const timed = async (fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const direct: number[] = [];
  const first: number[] = [];
  const later: number[] = [];
  const inline: number[] = [];
  for (let i = 0; i < F; i++) {
    direct.push(await timed(() => plainEcho(ports.plain)));
    await authMap.delete(key);
    first.push(await timed(async () => {
      const d = await manager.authenticate(flow);
      if (!d.allowed || d.source !== 'handshake') throw new Error('expected a handshake');
      await plainEcho(ports.plain);
    }));
    later.push(await timed(async () => {
      const d = await manager.authenticate(flow);
      if (!d.allowed || d.source !== 'cache') throw new Error('expected a cached entry');
      await plainEcho(ports.plain);
    }));
    inline.push(await timed(inlineConnect));
  }

  // A later flow's whole user-space cost: authenticate() answered from the map.
  await manager.authenticate(flow);
  const HITS = 20_000;
  const h0 = performance.now();
  for (let i = 0; i < HITS; i++) await manager.authenticate(flow);
  const hitUs = ((performance.now() - h0) / HITS) * 1000;

  const hsRate = await throughput(() => handshake(Math.floor(Math.random() * PAIRS)), C, D);
  const inlineRate = await throughput(inlineConnect, C, D);
  const laterRate = await throughput(async () => {
    await manager.authenticate(flow);
    await plainEcho(ports.plain);
  }, C, D);
  const directRate = await throughput(() => plainEcho(ports.plain), C, D);

  const rows: [string, string, string, string][] = [
    ['out-of-band handshake (initiator, full)', ms(pct(hs, 50)), ms(pct(hs, 99)), `${hsRate.toFixed(0)} handshakes/s`],
    ['  initiator CPU per handshake (load-independent)', `${cpuPerHandshake.toFixed(2)} ms`, '', ''],
    ['new flow: handshake + connect + echo', ms(pct(first, 50)), ms(pct(first, 99)), ''],
    ['  added vs plain connect + echo', ms(pct(first, 50) - pct(direct, 50)), ms(pct(first, 99) - pct(direct, 99)), ''],
    ['later flow: map hit + connect + echo', ms(pct(later, 50)), ms(pct(later, 99)), `${laterRate.toFixed(0)} conn/s`],
    ['  added vs plain connect + echo', ms(pct(later, 50) - pct(direct, 50)), ms(pct(later, 99) - pct(direct, 99)), ''],
    ['  authenticate() answered from the map (mean of 20,000)', `${hitUs.toFixed(1)} µs`, '', ''],
    ['plain connect + echo (no auth)', ms(pct(direct, 50)), ms(pct(direct, 99)), `${directRate.toFixed(0)} conn/s`],
    ['inline mTLS per connection + echo', ms(pct(inline, 50)), ms(pct(inline, 99)), `${inlineRate.toFixed(0)} conn/s`],
  ];
  const dpSkip = datapathUnavailable();
  const dpFlows = Number(args['datapath-flows']);
  if (dpSkip) rows.push([`datapath rows SKIPPED (not measured): ${dpSkip}`, '', '', '']);
  else {
    const dp = await measureDatapath(dpFlows);
    // Paired per round (same moment, same machine state): less noise than a difference of percentiles.
    const added = (xs: number[]) => xs.map((x, i) => x - dp.plain[i]!);
    rows.push(
      [`datapath (2 lab nodes, ${dpFlows} rounds): first connection, held by the gate + handshake + echo`, ms(pct(dp.first, 50)), ms(pct(dp.first, 99)), ''],
      ['  added vs plain, paired per round (first-flow added latency)', ms(pct(added(dp.first), 50)), ms(pct(added(dp.first), 99)), ''],
      ['datapath: later connection, entry in the map, straight', ms(pct(dp.later, 50)), ms(pct(dp.later, 99)), ''],
      ['  added vs plain, paired per round', ms(pct(added(dp.later), 50)), ms(pct(added(dp.later), 99)), ''],
      ['datapath: plain connection, port requires nothing', ms(pct(dp.plain, 50)), ms(pct(dp.plain, 99)), ''],
    );
    const pre = await measurePreauthenticated(dpFlows);
    const pairedPre = pre.first.map((x, i) => x - pre.plain[i]!);
    rows.push(
      [`datapath, --preauthenticate (${pre.pairs} pairs named by policy, authenticated in advance): each client's first connection ever`, ms(pct(pre.first, 50)), ms(pct(pre.first, 99)), ''],
      ['  added vs plain, paired per client (first-flow added latency)', ms(pct(pairedPre, 50)), ms(pct(pairedPre, 99)), ''],
    );
  }
  console.log(`nodemesh auth benchmark: ${N} sequential handshakes, ${F} flows of each kind, throughput with ${C} in flight for ${D} s; ${PAIRS} identity pairs; node ${process.version}, ${os.cpus().length} CPUs, load average at start ${load0}`);
  console.log('');
  console.log('| measure | p50 | p99 | rate |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);

  await manager.stop();
  await provider.close();
  c.stdin!.end();
}

if (args.child) await child(args.child);
else await main();

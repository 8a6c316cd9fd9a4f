// npm run bench:encryption — pod-to-pod throughput and request/response
// latency between two lab nodes (e2e/lab/encryption-lab.ts), in one run:
//   plaintext        the lab's native routes, no tunnel
//   nodemesh         the encryption agent's WireGuard (kernel or wireguard-go, as
//                    detected), agents running
//   hand-configured  wireguard-go set up by hand with wg/ip between the same
//                    namespaces, same MTU (so only the agent's part differs)
// The three are measured in interleaved rounds (BENCH_ROUNDS, default 3) and
// the median is reported, because a shared 2-core machine drifts more between
// minutes than the paths differ. Both tunnels exist side by side; which one
// carries the traffic is chosen by route metric (hand-configured routes get
// metric 5, below the agent's 10, only while that path is measured).
// Throughput: one TCP connection streaming through an echo server (each byte
// crosses the tunnel twice), MiB/s of echoed data. RR: 1-byte round trips on
// one connection, p50/p99 µs. Needs what the encryption lab needs.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { EncryptionLab, encryptionLabUnavailable, waitFor } from '../e2e/lab/encryption-lab.js';
import { generatePrivateKey, publicKeyOf } from '../encryption/src/keys.js';
import { tunnelMtu } from '../encryption/src/mtu.js';

const why = encryptionLabUnavailable();
if (why) {
  console.log(`bench:encryption skipped: ${why}`);
  process.exit(0);
}

const BYTES = Number(process.env.BENCH_BYTES ?? 64 * 1024 * 1024);
const RR_COUNT = Number(process.env.BENCH_RR ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PORT = 7100;

interface Sample {
  mibPerS: number;
  p50Us: number;
  p99Us: number;
}

const lab = EncryptionLab.create('bench', 2);
const samples = new Map<string, Sample[]>();
let impl = '?';
try {
  await lab.serve(2, PORT);
  const [n1, n2] = [lab.get(1), lab.get(2)];
  const measure = async (name: string) => {
    await lab.traffic(1, ['transfer', n2.podIP, String(PORT), String(1024 * 1024), 'warmup', '0']); // handshake, ARP, PMTU
    const t = await lab.traffic(1, ['transfer', n2.podIP, String(PORT), String(BYTES), 'bench', '0']);
    if (t.ok !== true) throw new Error(`${name}: transfer failed: ${String(t.error)}`);
    const rr = await lab.traffic(1, ['rr', n2.podIP, String(PORT), String(RR_COUNT)]);
    if (rr.ok !== true) throw new Error(`${name}: rr failed: ${String(rr.error)}`);
    const list = samples.get(name) ?? [];
    list.push({ mibPerS: Number(t.bytes) / 1048576 / (Number(t.ms) / 1000), p50Us: Number(rr.p50Us), p99Us: Number(rr.p99Us) });
    samples.set(name, list);
  };

  // The agents' tunnel.
  await Promise.all([lab.startAgent(1), lab.startAgent(2)]);
  await waitFor('tunnel up', () => n1.node.exec('wg', ['show', n1.ifname, 'peers']).trim() !== '');
  impl = n1.node.exec('ip', ['-d', '-j', 'link', 'show', 'dev', n1.ifname]).includes('"tun"') ? 'wireguard-go' : 'kernel';
  const mtu = Number((JSON.parse(n1.node.exec('ip', ['-j', 'link', 'show', 'dev', n1.ifname])) as Array<{ mtu: number }>)[0]!.mtu);
  if (mtu !== tunnelMtu(1500, 'IPv4')) throw new Error(`unexpected tunnel MTU ${mtu}`);

  // By hand: the commands a person would type, between the same namespaces.
  const hand = [1, 2].map((i) => ({ n: lab.get(i), peer: lab.get(3 - i), ifname: `nmh${process.pid}${i}`.slice(0, 15), key: generatePrivateKey() }));
  for (const h of hand) {
    spawnSync('ip', ['netns', 'exec', h.n.node.netns, 'wireguard-go', h.ifname]);
    writeFileSync(`${lab.dir}/hand-${h.n.name}.key`, `${h.key}\n`, { mode: 0o600 });
  }
  for (const h of hand) {
    const other = hand.find((o) => o !== h)!;
    h.n.node.exec('wg', ['set', h.ifname, 'listen-port', '51900', 'private-key', `${lab.dir}/hand-${h.n.name}.key`, 'peer', publicKeyOf(other.key), 'endpoint', `${h.peer.endpoint}:51900`, 'allowed-ips', h.peer.podCIDR]);
    h.n.node.exec('ip', ['link', 'set', h.ifname, 'mtu', String(mtu), 'up']);
  }

  for (let round = 0; round < ROUNDS; round++) {
    // Plaintext: agents stopped (their tunnel stays), tunnel routes removed.
    for (const i of [1, 2]) await lab.stopAgent(i);
    for (const [a, b] of [[n1, n2], [n2, n1]] as const) a.node.exec('ip', ['route', 'del', b.podCIDR, 'dev', a.ifname]);
    await measure('plaintext');
    // nodemesh: the restarted agents take their interface back and restore the routes.
    await Promise.all([lab.startAgent(1), lab.startAgent(2)]);
    await waitFor('tunnel routes back', () => [n1, n2].every((n) => n.node.exec('ip', ['route', 'show', 'dev', n.ifname]).includes('10.')));
    await measure(`nodemesh (${impl}), agents running`);
    // Hand-configured: preferred by metric while it is measured.
    for (const h of hand) h.n.node.exec('ip', ['route', 'add', h.peer.podCIDR, 'dev', h.ifname, 'metric', '5']);
    await measure('hand-configured wireguard-go');
    for (const h of hand) h.n.node.exec('ip', ['route', 'del', h.peer.podCIDR, 'dev', h.ifname, 'metric', '5']);
  }
  for (const h of hand) spawnSync('ip', ['-n', h.n.node.netns, 'link', 'del', h.ifname]);
} finally {
  lab.cleanup();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows = [...samples].map(([name, s]) => ({ name, mibPerS: median(s.map((x) => x.mibPerS)), p50Us: median(s.map((x) => x.p50Us)), p99Us: median(s.map((x) => x.p99Us)), all: s.map((x) => x.mibPerS.toFixed(1)).join(' / ') }));
const base = rows.find((r) => r.name.startsWith('hand'));
console.log(`\npod-to-pod across two lab nodes; ${BYTES / 1048576} MiB echoed on one TCP connection; ${RR_COUNT} 1-byte round trips; median of ${ROUNDS} interleaved rounds\n`);
console.log('| path | throughput (MiB/s, echoed) | per round | RR p50 (µs) | RR p99 (µs) | throughput vs hand-configured |');
console.log('|---|---:|---|---:|---:|---:|');
for (const r of rows) {
  const vs = base && !r.name.startsWith('plain') ? `${(r.mibPerS / base.mibPerS).toFixed(2)}×` : '';
  console.log(`| ${r.name} | ${r.mibPerS.toFixed(1)} | ${r.all} | ${r.p50Us.toFixed(0)} | ${r.p99Us.toFixed(0)} | ${vs} |`);
}

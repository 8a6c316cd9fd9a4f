// npm run bench:datapath -- [--rounds 3] [--count 5000] [--size 64] [--mib 128]
//
// How a workload's connection reaches a TCP echo backend on the same node, in
// one run, four ways:
//   direct      the backend's own address, no mesh
//   iptables    the service VIP, captured by an iptables nat REDIRECT into the
//               node proxy (the sidecar-mesh way; the proxy reads the
//               destination from conntrack)
//   bpf         the VIP, redirected by cgroup/connect4 into the node proxy
//               (destination from cgroup/getsockopt), sockmap off: the local
//               hop still crosses TCP/IP
//   bpf+sockmap the same with sockops/sk_msg: the local hop goes socket to socket
// The node proxy is `nodemesh node-proxy --engine embedded`, its tcp_proxy to
// the backend (the proxy → backend hop is plain TCP in every proxied mode).
// Per mode: request/response latency (one connection, `count` round trips of
// `size` bytes, after a warm-up) and throughput (`mib` MiB echoed on one
// connection). Rounds interleave the modes; the table shows medians over
// rounds. Everything runs in a throwaway lab (e2e/lab): its own network
// namespace, cgroups and pins, removed at the end. Needs root, iptables and
// the built objects (npm run build:bpf).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Steering } from '../bpf/sockmap/src/loader.js';
import { objectsMissing } from '../bpf/sockmap/src/preflight.js';
import type { Counters } from '../bpf/sockmap/src/structs.js';
import { Lab, labUnavailable } from '../e2e/lab/lab.js';
import { runNodemesh, startNodeProxy, startWorkload, startXdsServer, waitHttpOk } from '../e2e/lab/mesh.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    count: { type: 'string', default: '5000' },
    size: { type: 'string', default: '64' },
    mib: { type: 'string', default: '128' },
  },
});
const rounds = Number(args.rounds);
const count = Number(args.count);
const size = Number(args.size);
const mib = Number(args.mib);

const BACKEND = '10.244.1.20';
const VIP = '10.96.0.30';
const PORT = 5432;
const CONFIG = `apiVersion: v1
kind: Service
metadata: { name: echo, namespace: default }
spec:
  clusterIP: ${VIP}
  selector: { app: echo }
  ports: [{ name: tcp, port: ${PORT} }]
---
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: echo-0, namespace: default }
spec: { address: ${BACKEND}, labels: { app: echo } }
`;

type Mode = 'direct' | 'iptables' | 'bpf' | 'bpf+sockmap';
const MODES: Mode[] = ['direct', 'iptables', 'bpf', 'bpf+sockmap'];

const unavailable = labUnavailable() ?? objectsMissing();
if (unavailable) {
  console.error(`bench:datapath: ${unavailable}`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'nodemesh-bench-datapath-'));
writeFileSync(join(dir, 'mesh.yaml'), CONFIG);
const lab = Lab.create('bench');
process.on('SIGINT', () => process.exit(130));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const node = lab.addNode('n1');
  node.addLocalAddresses([BACKEND]);
  // The VIP needs a route for iptables' OUTPUT hook to see the packet at all.
  node.exec('ip', ['route', 'add', 'local', `${VIP}/32`, 'dev', 'lo']);
  const backend = startWorkload(node, 'backend', 'backends');
  await backend.send({ op: 'serve-echo', host: BACKEND, port: PORT });
  const socket = join(dir, 'xds.sock');
  startXdsServer(node, { cgroup: 'control', configDir: dir, socket });
  startNodeProxy(node, { cgroup: 'proxy', socket, admin: '127.0.0.1:15000' });
  const client = startWorkload(node, 'client', 'mesh/client');
  await waitHttpOk(client, 'http://127.0.0.1:15000/ready');

  node.exec('iptables', ['-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '-d', `${VIP}/32`, '--dport', String(PORT), '-j', 'REDIRECT', '--to-ports', '15001']);
  runNodemesh(['bpf', 'attach', '--cgroup', node.cgroupDir, '--pin-root', lab.pinRoot, '--config', dir, '--mesh-cgroup', node.cgroup('mesh'), '--proxy-cgroup', node.cgroup('proxy')]);
  const steering = Steering.open(lab.pinRoot);
  const services = steering.services();
  const proxy = { address: '127.0.0.1', port: 15001 };

  // With the VIP out of nm_services connect4 lets the connection through and
  // the iptables rule captures it; with it in, connect4 redirects it to
  // 127.0.0.1 first and the rule (for the VIP) never matches.
  const setMode = (mode: Mode) => {
    steering.syncServices(mode === 'bpf' || mode === 'bpf+sockmap' ? services : []);
    steering.setConfig({ proxy, sockmap: mode === 'bpf+sockmap' });
  };
  const target = (mode: Mode) => (mode === 'direct' ? BACKEND : VIP);

  const results = new Map<Mode, { p50: number[]; p99: number[]; tput: number[]; checks: string[] }>(MODES.map((m) => [m, { p50: [], p99: [], tput: [], checks: [] }]));
  const diff = (a: Counters, b: Counters, k: keyof Counters) => Number(b[k] - a[k]);
  console.log(`bench:datapath: ${rounds} rounds × ${MODES.length} modes; RR ${count} × ${size} B on one connection; ${mib} MiB echoed; node ${process.version}`);
  for (let round = 0; round < rounds; round++) {
    for (const mode of MODES) {
      setMode(mode);
      const c0 = steering.counters();
      const r = await client.send<{ p50Us: number; p99Us: number }>({ op: 'rr', host: target(mode), port: PORT, size, count, warmup: Math.min(500, count) });
      const s = await client.send<{ mibPerS: number }>({ op: 'stream', host: target(mode), port: PORT, bytes: mib * 1048576 });
      const c1 = steering.counters();
      // The path each mode is meant to take, from the programs' own counters.
      const redirected = diff(c0, c1, 'connect_redirected');
      const hits = diff(c0, c1, 'msg_redirect_hit');
      const ok =
        mode === 'direct' || mode === 'iptables' ? redirected === 0 && hits === 0 : mode === 'bpf' ? redirected === 2 && hits === 0 : redirected === 2 && hits > 0;
      const res = results.get(mode)!;
      res.p50.push(r.p50Us);
      res.p99.push(r.p99Us);
      res.tput.push(s.mibPerS);
      res.checks.push(ok ? 'ok' : `UNEXPECTED (redirected ${redirected}, sk_msg hits ${hits})`);
      process.stdout.write(`  round ${round + 1} ${mode.padEnd(11)} p50 ${r.p50Us.toFixed(1)} µs, p99 ${r.p99Us.toFixed(1)} µs, ${s.mibPerS.toFixed(0)} MiB/s\n`);
    }
  }
  steering.close();

  const row = (m: Mode) => {
    const r = results.get(m)!;
    return { p50: median(r.p50), p99: median(r.p99), tput: median(r.tput), path: r.checks.every((c) => c === 'ok') ? 'as expected' : r.checks.find((c) => c !== 'ok')! };
  };
  const direct = row('direct');
  console.log('\n| mode | RR p50 (µs) | RR p99 (µs) | added p50 vs direct (µs) | throughput (MiB/s) | path (counters) |');
  console.log('|---|---|---|---|---|---|');
  for (const m of MODES) {
    const r = row(m);
    console.log(`| ${m} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${m === 'direct' ? '—' : (r.p50 - direct.p50).toFixed(1)} | ${r.tput.toFixed(0)} | ${r.path} |`);
  }
  const added = (m: Mode) => row(m).p50 - direct.p50;
  console.log(`\nnodemesh (bpf+sockmap) added latency / iptables added latency: ${(added('bpf+sockmap') / added('iptables')).toFixed(2)} (goal ≤ 0.5)`);
  console.log(`sockmap on / off, added latency: ${(added('bpf+sockmap') / added('bpf')).toFixed(2)} (goal ≤ 0.7)`);
} finally {
  lab.teardown();
}
process.exit(0);

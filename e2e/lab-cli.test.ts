// `nodemesh lab up|status|exec|down` (issue #5): the user-facing lab on the
// real kernel, run as a user runs it (bin/nodemesh, separate processes). up
// starts examples/ on two nodes (netns + veth) with per-node xds-server, node
// proxy, BPF agent and encryption agent (WireGuard, wireguard-go here); a
// request from a workload to a service VIP is answered through the proxy (BPF
// counters and the proxy's access log asserted), locally and across the veth
// link — there inside WireGuard: a capture on the veth sees only UDP to and
// from the WireGuard port, and both nodes' `encryption status` show the other
// as peer with a fresh handshake and bytes; loopback workloads of the config
// are moved into their node's pod CIDR, so a service with endpoints on both
// nodes is answered from both; mutual authentication (issue #6) runs on both
// nodes (BPF agents with --auth-datapath, an auth agent per node with its
// gate): the lab's auth-required flow (checkout-v2 on node-b to checkout-v1
// on node-a, port 7946, by pod address) has its first connection held by
// node-b's gate and forwarded after the handshake (flow log, gate and
// connect-hook counters), the next one direct, and `nodemesh auth status` in
// either node shows the entry; `lab watch --once` shows where requests
// landed and the auth flow; status reports it all; down leaves no namespace, cgroup, pin,
// process, WireGuard interface, wireguard-go or file behind. A unique lab
// name per run; down runs in after() whatever happened. Needs root, the
// built objects, wg and wireguard-go (or kernel WireGuard), and tcpdump.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { cpSync, writeFileSync } from 'node:fs';
import { objectsMissing } from '../bpf/sockmap/src/preflight.js';
import { steeringStatus } from '../bpf/sockmap/src/status.js';
import { labPodCIDRs } from '../cli/src/lab-cmd.js';
import { syncLabConfig } from '../cli/src/lab-config.js';
import { alive, LAB_WG_PORT, labEncryptionUnavailable, wgPrefixOf, type LabStatus } from '../cli/src/lab-cmd.js';
import { cgroup2Root, labUnavailable } from './lab/lab.js';
import { NODEMESH } from './lab/mesh.js';
import { readPcap, type CapturedPacket } from './lab/pcap.js';

const skip = labUnavailable() ?? objectsMissing() ?? labEncryptionUnavailable() ?? (spawnSync('tcpdump', ['--version']).error ? 'needs tcpdump (Debian package tcpdump)' : undefined);
if (skip) console.log(`# SKIPPED lab CLI e2e: ${skip}`);

/** wireguard-go daemons of interfaces named `prefix`… (zombies not yet reaped count as gone). */
const wireguardGo = (prefix: string) =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
        return /wireguard-go$/.test(argv[0] ?? '') && argv.some((a) => a.startsWith(prefix)) && alive(Number(d));
      } catch {
        return false;
      }
    })
    .map(Number);

const EXAMPLES = fileURLToPath(new URL('../examples', import.meta.url));
const name = `e2e${process.pid}`;
const prefix = `nmlab-cli-${name}`;

describe('nodemesh lab up | status | exec | down', { skip }, () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'nodemesh-lab-cli-'));
  const common = ['--name', name, '--state-dir', stateDir];
  let upOutput = '';
  const nodemesh = (args: string[], timeout = 60_000) => spawnSync(NODEMESH, args, { encoding: 'utf8', timeout });
  const status = (): LabStatus => {
    const r = nodemesh(['lab', 'status', ...common, '--json']);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as LabStatus;
  };
  const counters = (node: string) => status().nodes.find((n) => n.name === node)!.steering!.counters;
  /** Runs a Node.js one-liner as a mesh workload of `node`; returns its stdout. */
  const inNode = (node: string, script: string): string => {
    const r = nodemesh(['lab', 'exec', ...common, node, '--', process.execPath, '-e', script], 30_000);
    assert.equal(r.status, 0, `lab exec ${node}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  let pids: number[] = [];

  before(async () => {
    // Live progress: lines arrive while up runs, not all at the end.
    const child = spawn(NODEMESH, ['lab', 'up', ...common, '--config', EXAMPLES], { stdio: ['ignore', 'pipe', 'pipe'] });
    const arrivals: number[] = [];
    child.stdout.on('data', (d: Buffer) => {
      upOutput += d;
      arrivals.push(Date.now());
    });
    child.stderr.on('data', (d: Buffer) => (upOutput += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, upOutput);
    assert.ok(arrivals.length > 1 && arrivals.at(-1)! - arrivals[0]! > 0, 'progress is printed while the lab comes up');
  });

  after(() => {
    const r = nodemesh(['lab', 'down', ...common]);
    if (r.status !== 0) console.log(`# lab down in after(): ${r.stderr}`);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('up prints a progress line per node, link, workload, xds-server, node proxy and agent', () => {
    for (const re of [
      /node node-a: netns nmlab-cli-e2e\d+-node-a/,
      /node node-b: netns/,
      /node node-a: .*pod CIDR 10\.244\.1\.0\/24/,
      /node node-b: .*pod CIDR 10\.244\.2\.0\/24/,
      /link node-a 10\.255\.1\.1 <-> node-b 10\.255\.1\.2/,
      /encryption agent on node-a: (wireguard-go|kernel) nmc[0-9a-f]{6}0, endpoint 10\.255\.1\.1:51871, mtu 1440, peers node-b \(10\.244\.2\.0\/24\)/,
      /encryption agent on node-b: (wireguard-go|kernel) nmc[0-9a-f]{6}1, endpoint 10\.255\.1\.2:51871, mtu 1440, peers node-a \(10\.244\.1\.0\/24\)/,
      /workload postgres-0 on node-a: tcp:10\.244\.1\.20:5432/,
      /workload web-abc12 on node-a: http:10\.244\.1\.10:8080/,
      /workload checkout-v1 on node-a: grpc:10\.244\.1\.11:19001, tcp:10\.244\.1\.11:7946 \(127\.0\.0\.11 in /,
      /workload checkout-v2 on node-b: grpc:10\.244\.2\.12:19002 \(127\.0\.0\.12 in /,
      /xds-server on node-b/,
      /node proxy on node-a: .*ready/,
      /bpf agent for node-b: .*\(steering and the auth datapath\)/,
      /auth: CA .*; .*nodemesh-lab-auth\.yaml: Node objects \(auth port 4250\), policy shop\/nodemesh-lab-auth requires mutual authentication for checkout-v2@node-b 10\.244\.2\.12 -> checkout-v1@node-a 10\.244\.1\.11:7946/,
      /auth agent on node-a: handshake service 10\.255\.1\.1:4250, gate 127\.0\.0\.1:15007, admin 127\.0\.0\.1:9878 \(in the node\), 2 local identities/,
      /auth agent on node-b: handshake service 10\.255\.1\.2:4250, gate 127\.0\.0\.1:15007, admin 127\.0\.0\.1:9878 \(in the node\), 1 local identities/,
      /lab e2e\d+ is up: 2 nodes, 5 workloads, 16 processes/,
      /ip netns exec nmlab-cli-e2e\d+-node-b nodemesh auth status/,
    ])
      assert.match(upOutput, re);
  });

  it('an auth-required direct flow: the first connection is held by the gate and forwarded after the handshake, the next goes direct; auth status shows the entry', () => {
    // Read in this process (the test is root): one CLI start less than `lab status`.
    const before = steeringStatus(join('/sys/fs/bpf', prefix, 'node-b')).counters;
    const receiverBefore = steeringStatus(join('/sys/fs/bpf', prefix, 'node-a')).counters;
    // As checkout-v2 (bound to its address: its identity), two connections one after the other, each echoed.
    const script = `const net = require('net'); const open = (tag) => new Promise((resolve) => { const t = Date.now(); const s = net.connect({ host: '10.244.1.11', port: 7946, localAddress: '10.244.2.12' }); let got = ''; s.on('data', (d) => { got += d; if (got.endsWith(tag + '\\n')) { s.destroy(); resolve({ got, ms: Date.now() - t }); } }); s.on('error', (e) => resolve({ error: e.code })); s.write(tag + '\\n'); }); (async () => console.log(JSON.stringify([await open('first'), await open('second')])))();`;
    const [first, second] = JSON.parse(inNode('node-b', script)) as { got?: string; ms?: number; error?: string }[];
    assert.equal(first?.got, 'checkout-v1\nfirst\n', JSON.stringify(first));
    assert.equal(second?.got, 'checkout-v1\nsecond\n', JSON.stringify(second));
    assert.ok(first.ms! < 900, `held, authenticated and forwarded in ${first.ms} ms: no SYN retransmit was paid`);
    // The gate saw the first connection only: one flow log line, forwarded after the handshake.
    const flows = readFileSync(join(stateDir, name, 'node-b', 'auth-agent.log'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'auth flow');
    const checkout = 'spiffe://cluster.local/ns/shop/sa/checkout';
    assert.deepEqual(
      flows.map((f) => [f.verdict, f.dst, f.localIdentity, f.remoteIdentity, f.remoteNode, f.source, f.authenticatedBy]),
      [['forwarded', '10.244.1.11:7946', checkout, checkout, 'node-a', 'handshake', 'initiator']],
    );
    assert.match(String(flows[0]!.src), /^10\.244\.2\.12:\d+$/);
    // node-b's connect hook: one held (the first), one direct (the entry was in the kernel).
    const s = status();
    const after = s.nodes.find((n) => n.name === 'node-b')!.steering!.counters;
    const d = (k: 'auth_connect_held' | 'auth_connect_authenticated') => (after[k] ?? 0) - Number(before[k]);
    assert.deepEqual([d('auth_connect_held'), d('auth_connect_authenticated')], [1, 1]);
    assert.deepEqual([s.authFlow?.held, s.authFlow?.direct], [1, 1]);
    const [a, b] = ['node-a', 'node-b'].map((n) => s.nodes.find((x) => x.name === n)!.auth!);
    assert.ok(a && b, JSON.stringify(s.nodes.map((n) => n.authError)));
    assert.deepEqual([b.gate?.held, b.gate?.forwarded, b.gate?.refused], [1, 1, {}]);
    assert.deepEqual(b.entries.map((e) => [e.localIdentity, e.remoteIdentity, e.remoteNode, e.role]), [[checkout, checkout, 'node-a', 'initiator']]);
    assert.deepEqual(a.entries.map((e) => [e.localIdentity, e.remoteIdentity, e.remoteNode, e.role]), [[checkout, checkout, 'node-b', 'responder']]);
    assert.equal(a.handshakes.responderOk, 1);
    // `nodemesh auth status` in the receiving node, as up's help says to run it.
    const r = spawnSync('ip', ['netns', 'exec', `${prefix}-node-a`, NODEMESH, 'auth', 'status'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^entries \(1\):\n +LOCAL +REMOTE +REMOTE NODE +ROLE .*\n +spiffe:\/\/cluster\.local\/ns\/shop\/sa\/checkout +spiffe:\/\/cluster\.local\/ns\/shop\/sa\/checkout +node-b +responder /m);
    assert.match(r.stdout, /^ +required spiffe:\/\/cluster\.local\/ns\/shop\/sa\/checkout at 10\.244\.1\.11 TCP\/7946 from spiffe:\/\/cluster\.local\/ns\/shop\/sa\/checkout$/m);
    // The receiver believed node-b's address because the packets came out of WireGuard: the tunnel check is on, and dropped nothing.
    assert.match(r.stdout, /^tunnel check: on: auth-required packets from other nodes are delivered only out of \S+ \(ifindex \d+\)$/m);
    const receiverAfter = steeringStatus(join('/sys/fs/bpf', prefix, 'node-a')).counters;
    const dr = (k: 'auth_ingress_allowed' | 'auth_drop_outside_tunnel') => Number(receiverAfter[k] ?? 0n) - Number(receiverBefore[k] ?? 0n);
    assert.ok(dr('auth_ingress_allowed') > 0);
    assert.equal(dr('auth_drop_outside_tunnel'), 0);
  });

  it('a workload reaches a service VIP through its node proxy (counters and access log)', () => {
    const before = counters('node-a');
    const body = inNode('node-a', "fetch('http://10.96.0.20/from-a').then(async (r) => console.log(r.status, await r.text()))");
    assert.equal(body.trim(), '200 web-abc12 /from-a');
    const after = counters('node-a');
    const d = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    assert.equal(d('connect_redirected'), 1);
    assert.equal(d('getsockopt_answered'), 1);
    assert.equal(d('sockops_sockhash_added'), 2);
    assert.ok(d('msg_redirect_hit') >= 1);
    const log = readFileSync(join(stateDir, name, 'node-a', 'access.log'), 'utf8');
    const entry = log
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e.path === '/from-a');
    assert.equal(entry?.downstream_local_address, '10.96.0.20:80', log);
    assert.equal(entry?.upstream_host, '10.244.1.10:8080', log);
  });

  it('a workload on node-b reaches a service whose backend runs on node-a, inside WireGuard on the veth link', async () => {
    const netnsA = `${prefix}-node-a`;
    const before = counters('node-b');
    // Capture on node-a's end of the veth (the underlay) while node-b's request crosses it.
    const pcap = join(stateDir, 'veth.pcap');
    const tcpdump = spawn('ip', ['netns', 'exec', netnsA, 'tcpdump', '-i', 'to-node-b', '-n', '--immediate-mode', '-U', '-s', '0', '-Z', 'root', '-w', pcap], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    await new Promise<void>((resolve, reject) => {
      tcpdump.stderr.on('data', (d: Buffer) => {
        err += d;
        if (err.includes('listening on')) resolve();
      });
      tcpdump.once('exit', (code) => reject(new Error(`tcpdump exited (${code}): ${err}`)));
    });
    const marker = `NODEMESH-LAB-MARKER-${process.pid}`;
    const script = `const s = require('net').connect(5432, '10.96.0.30'); let got = ''; s.on('data', (d) => { got += d; if (got.includes('${marker}')) { process.stdout.write(got.split('\\n')[0]); s.destroy(); } }); s.write('${marker}\\n');`;
    const answer = inNode('node-b', script).trim();
    await new Promise((r) => setTimeout(r, 300));
    const exited = new Promise((r) => tcpdump.once('exit', r));
    tcpdump.kill('SIGINT');
    await exited;
    assert.equal(answer, 'postgres-0');
    const after = counters('node-b');
    assert.equal((after.connect_redirected ?? 0) - (before.connect_redirected ?? 0), 1);
    // node-b's proxy dials 10.244.1.20 (no service): not redirected.
    assert.equal((after.connect_not_service ?? 0) - (before.connect_not_service ?? 0), 1);
    const dropped = /(\d+) packets? dropped by kernel/.exec(err);
    assert.ok(dropped && Number(dropped[1]) === 0, `complete capture: ${err}`);
    const pkts = readPcap(pcap);
    rmSync(pcap);
    const wg = (p: CapturedPacket) => p.ether === 'ipv4' && p.proto === 'udp' && (p.sport === LAB_WG_PORT || p.dport === LAB_WG_PORT);
    const describe = (p: CapturedPacket) => `${p.ether} ${String(p.proto)} ${p.src}:${p.sport} > ${p.dst}:${p.dport}`;
    assert.ok(pkts.filter(wg).length >= 4, `the request and its answer crossed as WireGuard (${pkts.length} packets)`);
    // ARP and IPv6 neighbour discovery / router solicitations are the veth's own chatter, not workload traffic.
    assert.deepEqual(pkts.filter((p) => !wg(p) && p.ether !== 'arp' && !(p.ether === 'ipv6' && (p.proto === 58 || p.proto === 0))).map(describe), [], 'only WireGuard on the veth');
    assert.ok(!pkts.some((p) => p.raw.includes(marker)), 'the marker never crosses the veth in clear');
  });

  it('both nodes list the other as WireGuard peer, with a recent handshake and bytes both ways', () => {
    const s = status();
    for (const [node, other, cidr] of [['node-a', 'node-b', '10.244.2.0/24'], ['node-b', 'node-a', '10.244.1.0/24']] as const) {
      const e = s.nodes.find((n) => n.name === node)!.encryption;
      assert.ok(e, `encryption status of ${node}: ${s.nodes.find((n) => n.name === node)!.encryptionError}`);
      assert.equal(e.mode, 'wireguard');
      assert.equal(e.mtu, 1440);
      assert.equal(e.ifname.startsWith(wgPrefixOf(name)), true);
      assert.deepEqual(e.peers.map((p) => [p.node, p.role, p.allowedIPs]), [[other, 'active', [cidr]]]);
      const p = e.peers[0]!;
      assert.ok(p.latestHandshake && Date.now() - Date.parse(p.latestHandshake) < 150_000, `recent handshake on ${node}: ${p.latestHandshake}`);
      assert.ok(p.rxBytes > 0 && p.txBytes > 0, `bytes on ${node}: rx ${p.rxBytes} tx ${p.txBytes}`);
    }
  });

  it('a service with (loopback, moved) endpoints on both nodes is answered from both, and lab watch shows where requests landed', () => {
    const r = nodemesh(['lab', 'watch', ...common, '--once', '--requests', '20'], 120_000);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    console.log(r.stdout);
    // Landings on the other node are marked (wg): they crossed the veth inside WireGuard.
    for (const [from, wgA, wgB] of [['node-a', '', ' \\(wg\\)'], ['node-b', ' \\(wg\\)', '']]) {
      assert.match(r.stdout, new RegExp(`from ${from} +postgres\\.default +tcp +10\\.96\\.0\\.30:5432 +postgres-0@node-a 100%${wgA}\n`));
      assert.match(r.stdout, new RegExp(`from ${from} +web\\.default +http +10\\.96\\.0\\.20:80 +web-abc12@node-a 100%${wgA}\n`));
      // Weights 3:1 (about 15:5 of 20), each answered on its own node, never a failure.
      assert.match(r.stdout, new RegExp(`from ${from} +checkout\\.shop +grpc +10\\.96\\.0\\.10:50051 +checkout-v1@node-a \\d+%${wgA}  checkout-v2@node-b \\d+%${wgB}\n`));
    }
    assert.match(r.stdout, /bpf node-a +.*connect_redirected \+\d+/);
    // The auth-required flow, as checkout-v2: the pair authenticated earlier, so every connection goes direct.
    assert.match(r.stdout, /from node-b +checkout-v1 +auth +10\.244\.1\.11:7946 +checkout-v1@node-a 100% \(wg\) +\(as checkout-v2 10\.244\.2\.12, auth required: 20 direct\)\n/);
    assert.match(r.stdout, /auth node-b +gate 1 held, 1 forwarded, 0 refused; 1 entries\n/);
    assert.match(r.stdout, /wg +node-b +nmc[0-9a-f]+1 → node-a +10\.255\.1\.1:51871 +handshake \d+s ago/);
  });

  it('status shows nodes, workloads, processes and per-node BPF state', () => {
    const s = status();
    pids = s.processes.map((p) => p.pid);
    assert.equal(s.phase, 'up');
    assert.deepEqual(s.nodes.map((n) => [n.name, n.netnsExists, n.steering?.links, n.steering?.services]), [
      ['node-a', true, 9, 3],
      ['node-b', true, 9, 3],
    ]);
    assert.deepEqual(
      s.workloads.map((w) => `${w.node} ${w.name} ${w.address} ${w.configAddress ?? '-'} ${w.running}`).sort(),
      [
        'node-a checkout-v1 10.244.1.11 127.0.0.11 true',
        'node-a postgres-0 10.244.1.20 - true',
        'node-a web-abc12 10.244.1.10 - true',
        'node-b checkout-v2 10.244.2.12 127.0.0.12 true',
        'node-b web-abc12 10.244.2.10 - true',
      ],
    );
    assert.deepEqual(
      s.processes.filter((p) => p.role !== 'workload').map((p) => `${p.node} ${p.role} ${p.running}`).sort(),
      [
        '- config-sync true',
        'node-a auth-agent true',
        'node-a bpf-agent true',
        'node-a encryption-agent true',
        'node-a node-proxy true',
        'node-a xds-server true',
        'node-b auth-agent true',
        'node-b bpf-agent true',
        'node-b encryption-agent true',
        'node-b node-proxy true',
        'node-b xds-server true',
      ],
    );
    const human = nodemesh(['lab', 'status', ...common]);
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, /node node-a/);
    assert.match(human.stdout, /running {2}bpf-agent/);
    assert.match(human.stdout, /connect_redirected\s+[1-9]/);
    assert.match(human.stdout, /encryption: wireguard \((wireguard-go|kernel)\) nmc[0-9a-f]+0 port 51871, mtu 1440 \(underlay 1500\)/);
    assert.match(human.stdout, /peer node-b +active +10\.255\.1\.2:51871 +10\.244\.2\.0\/24 +handshake \d+s ago +rx \d/);
    assert.match(human.stdout, /auth: service 10\.255\.1\.2:4250, 1 local identities, 1 entries, 0 pending/);
    assert.match(human.stdout, /gate 127\.0\.0\.1:15007: 1 held, 1 forwarded, 0 refused\n/);
    assert.match(human.stdout, /auth-required flow \(policy shop\/nodemesh-lab-auth, .*\): checkout-v2@node-b 10\.244\.2\.12 -> checkout-v1@node-a 10\.244\.1\.11:7946/);
    console.log(human.stdout);
  });

  it('up again while the lab runs refuses, and the lab keeps running', () => {
    const r = nodemesh(['lab', 'up', ...common, '--config', EXAMPLES]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /lab e2e\d+ is up \(16 processes running/);
    assert.ok(status().processes.every((p) => p.running));
  });

  it('down removes every namespace, cgroup, pin, process, WireGuard interface, wireguard-go and file', () => {
    assert.ok(pids.length === 16, `pids from status: ${pids.join(' ')}`);
    const wgPids = wireguardGo(wgPrefixOf(name));
    assert.equal(wgPids.length, 2, 'one wireguard-go per node while up');
    const r = nodemesh(['lab', 'down', ...common]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /lab e2e\d+ removed/);
    const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(netns, new RegExp(prefix));
    assert.equal(existsSync(join(cgroup2Root()!, prefix)), false, 'cgroup');
    assert.equal(existsSync(join('/sys/fs/bpf', prefix)), false, 'pins');
    assert.deepEqual(pids.filter(alive), [], 'processes (a zombie init has not reaped yet counts as gone)');
    assert.deepEqual(wgPids.filter(alive), [], 'wireguard-go daemons');
    assert.deepEqual(wireguardGo(wgPrefixOf(name)), [], 'no wireguard-go for this lab');
    assert.match(r.stdout, /removed wireguard interface nmc[0-9a-f]+0/);
    assert.ok(!existsSync('/var/run/wireguard') || !readdirSync('/var/run/wireguard').some((f) => f.startsWith(wgPrefixOf(name))), 'wireguard-go control sockets');
    assert.deepEqual(readdirSync(stateDir), [], 'state file, logs and sockets');
    // Again: nothing left, still fine.
    const again = nodemesh(['lab', 'down', ...common]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /nothing to remove/);
  });
});

describe('nodemesh lab down after a crashed up', { skip }, () => {
  it('removes the WireGuard interfaces, wireguard-go daemons, namespaces, cgroups and pins of a lab whose state file is gone', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'nodemesh-lab-cli-crash-'));
    const crashed = `c${process.pid}`;
    const p = `nmlab-cli-${crashed}`;
    const cg = join(cgroup2Root()!, p);
    try {
      // What an up killed after its first steps leaves: a netns, a cgroup with a process, a pin dir; no state file.
      assert.equal(spawnSync('ip', ['netns', 'add', `${p}-node-a`]).status, 0);
      spawnSync('mkdir', ['-p', join(cg, 'node-a', 'mesh', 'w'), join('/sys/fs/bpf', p, 'node-a')]);
      // And a WireGuard interface, its wireguard-go daemon (outside the lab's cgroups) still serving it.
      const ifname = `${wgPrefixOf(crashed)}0`;
      const userspace = !spawnSync('wireguard-go', ['--version']).error;
      const made = userspace ? spawnSync('ip', ['netns', 'exec', `${p}-node-a`, 'wireguard-go', ifname]) : spawnSync('ip', ['-n', `${p}-node-a`, 'link', 'add', ifname, 'type', 'wireguard']);
      assert.equal(made.status, 0, String(made.stderr));
      if (userspace) assert.equal(wireguardGo(ifname).length, 1);
      const sleeper = spawn('sh', ['-c', 'echo $$ > "$0" && exec sleep 600', join(cg, 'node-a', 'mesh', 'w', 'cgroup.procs')], { stdio: 'ignore' });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => sleeper.on('exit', (_c, sig) => resolve(sig)));
      await new Promise((r) => setTimeout(r, 300)); // in its cgroup
      const r = spawnSync(NODEMESH, ['lab', 'down', '--name', crashed, '--state-dir', stateDir], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /removed cgroup/);
      assert.match(r.stdout, /removed netns/);
      assert.match(r.stdout, /removed pins/);
      assert.doesNotMatch(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, new RegExp(p));
      assert.equal(existsSync(cg), false);
      assert.equal(existsSync(join('/sys/fs/bpf', p)), false);
      assert.equal(await exited, 'SIGKILL', 'the process in the cgroup was killed');
      assert.match(r.stdout, new RegExp(`removed wireguard interface ${ifname}`));
      assert.deepEqual(wireguardGo(ifname), [], 'the wireguard-go daemon ended');
      assert.ok(!existsSync(`/var/run/wireguard/${ifname}.sock`), 'its control socket removed');
    } finally {
      spawnSync('ip', ['netns', 'del', `${p}-node-a`]);
      spawnSync(NODEMESH, ['lab', 'down', '--name', crashed, '--state-dir', stateDir]);
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe('nodemesh lab up --no-encryption', { skip }, () => {
  it('runs without encryption agents: workloads reach each other over plain routes on the veth', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'nodemesh-lab-cli-plain-'));
    const plain = `p${process.pid}`;
    const common = ['--name', plain, '--state-dir', stateDir];
    try {
      const up = spawnSync(NODEMESH, ['lab', 'up', ...common, '--config', EXAMPLES, '--no-encryption'], { encoding: 'utf8', timeout: 180_000 });
      assert.equal(up.status, 0, up.stderr + up.stdout);
      assert.match(up.stdout, /is up: 2 nodes, 5 workloads, 14 processes/);
      assert.doesNotMatch(up.stdout, /encryption agent/);
      const r = spawnSync(NODEMESH, ['lab', 'exec', ...common, 'node-b', '--', process.execPath, '-e', "fetch('http://10.96.0.20/plain').then(async (r) => console.log(r.status, await r.text()))"], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.stdout.trim(), '200 web-abc12 /plain', r.stderr);
      const routes = spawnSync('ip', ['-n', `nmlab-cli-${plain}-node-b`, 'route'], { encoding: 'utf8' }).stdout;
      assert.match(routes, /^10\.244\.1\.10 via 10\.255\.1\.1 /m);
      const st = JSON.parse(spawnSync(NODEMESH, ['lab', 'status', ...common, '--json'], { encoding: 'utf8' }).stdout) as LabStatus;
      assert.deepEqual(st.nodes.map((n) => [n.name, n.encryption, n.encryptionError]), [['node-a', undefined, undefined], ['node-b', undefined, undefined]]);
      assert.deepEqual(wireguardGo(wgPrefixOf(plain)), []);
    } finally {
      const down = spawnSync(NODEMESH, ['lab', 'down', ...common], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(down.status, 0, down.stderr);
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

// No root needed: the lab's pod CIDRs and its rewritten copy of the configuration.
describe('lab configuration: pod CIDRs and loopback workloads moved into them', () => {
  it('gives each node the /24 of its workloads and moves loopback addresses there', () => {
    const p = labPodCIDRs(new Map([
      ['node-a', ['10.244.1.20', '10.244.1.10', '127.0.0.11']],
      ['node-b', ['10.244.2.10', '127.0.0.12']],
      ['node-c', []],
    ]));
    assert.deepEqual(p.get('node-a'), { cidrs: ['10.244.1.0/24'], moves: new Map([['127.0.0.11', '10.244.1.11']]) });
    assert.deepEqual(p.get('node-b'), { cidrs: ['10.244.2.0/24'], moves: new Map([['127.0.0.12', '10.244.2.12']]) });
    assert.deepEqual(p.get('node-c'), { cidrs: ['10.254.3.0/24'], moves: new Map(), extraAddress: '10.254.3.1' });
    // A /24 two nodes share is split into /32s: no CIDR covers another node's workload.
    const shared = labPodCIDRs(new Map([['a', ['10.0.0.1']], ['b', ['10.0.0.2']]]));
    assert.deepEqual([shared.get('a')!.cidrs, shared.get('b')!.cidrs], [['10.0.0.1/32'], ['10.0.0.2/32']]);
  });

  it('keeps a rewritten copy in sync: moved addresses, comments kept, edits and deletions follow', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodemesh-lab-config-'));
    try {
      const from = join(dir, 'from');
      const to = join(dir, 'to');
      cpSync(EXAMPLES, from, { recursive: true });
      const moves = { 'node-a 127.0.0.11': '10.244.1.11', 'node-b 127.0.0.12': '10.244.2.12' };
      assert.equal(syncLabConfig(from, to, moves), 3);
      const checkout = readFileSync(join(to, 'checkout.yaml'), 'utf8');
      assert.match(checkout, /address: 10\.244\.1\.11\n/);
      assert.match(checkout, /address: 10\.244\.2\.12\n/);
      assert.doesNotMatch(checkout, /address: 127\./);
      assert.match(checkout, /# Edit a weight and save/);
      assert.equal(readFileSync(join(to, 'web.yaml'), 'utf8'), readFileSync(join(from, 'web.yaml'), 'utf8'), 'files without moved addresses are copied as they are');
      assert.equal(syncLabConfig(from, to, moves), 0, 'nothing changed: nothing written');
      writeFileSync(join(from, 'checkout.yaml'), readFileSync(join(from, 'checkout.yaml'), 'utf8').replace('weight: 3', 'weight: 1'));
      rmSync(join(from, 'postgres.yaml'));
      assert.equal(syncLabConfig(from, to, moves), 2);
      assert.match(readFileSync(join(to, 'checkout.yaml'), 'utf8'), /weight: 1\n[^]*weight: 1\n/);
      assert.deepEqual(readdirSync(to).sort(), ['checkout.yaml', 'web.yaml']);
      // The lab's own files (Node objects, the auth demo's policy) are written and kept, never removed as gone from `from`.
      const labFiles = { 'nodemesh-lab-auth.yaml': 'kind: MeshPolicy\n' };
      assert.equal(syncLabConfig(from, to, moves, labFiles), 1);
      assert.equal(syncLabConfig(from, to, moves, labFiles), 0);
      assert.deepEqual(readdirSync(to).sort(), ['checkout.yaml', 'nodemesh-lab-auth.yaml', 'web.yaml']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

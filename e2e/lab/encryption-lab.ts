// The encryption e2e lab (issue #7), built on lab.ts: N nodes as network
// namespaces joined by an underlay (a bridge in its own "underlay"
// namespace, 192.168.77.0/24), each with one pod namespace behind a veth
// (pod CIDR 10.<i>.0.0/24, pod 10.<i>.0.2, node side 10.<i>.0.1) and native
// routes to every other node's pod CIDR via that node's underlay address —
// what a CNI in native-routing mode would install, i.e. plaintext unless the
// agent's tunnel routes (lower metric) take over. Workloads are processes in
// the pod namespaces, so their traffic is forwarded by the node like real pod
// traffic. IPv6 is off everywhere so that every frame on the underlay is
// accounted for (ARP or IPv4).
//
// Names: namespaces come from lab.ts (nmlab-<pid>-…); WireGuard interfaces
// are nmw<pid><i> because wireguard-go's control socket
// (/var/run/wireguard/<if>.sock) is shared by all namespaces; config/state
// live in a temp dir nmlab-<pid>-enc-*. cleanup() deletes the WireGuard
// interfaces first (a wireguard-go daemon exits with its interface, and
// would otherwise keep a deleted namespace alive), then the lab; leftovers
// of crashed runs are removed by lab.ts (it kills the processes of stale
// namespaces) and by removeStaleLeftovers().
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Lab, labUnavailable, type LabNode } from './lab.js';
import { readPcap, type CapturedPacket } from './pcap.js';

export const NODEMESH_BIN = fileURLToPath(new URL('../../bin/nodemesh', import.meta.url));
export const TRAFFIC = fileURLToPath(new URL('./traffic.ts', import.meta.url));
export const WG_PORT = 51871;

const has = (cmd: string, args: string[] = ['--version']) => {
  const r = spawnSync(cmd, args);
  return r.error === undefined;
};

/** Why the encryption lab cannot run here, or undefined. */
export function encryptionLabUnavailable(): string | undefined {
  const base = labUnavailable();
  if (base) return base;
  if (!has('wg')) return 'needs wg (Debian package wireguard-tools)';
  if (!has('tcpdump')) return 'needs tcpdump (Debian package tcpdump)';
  if (!has('nft')) return 'needs nft (Debian package nftables)';
  // Kernel WireGuard is used when present; otherwise wireguard-go must be.
  const ns = `nmlab-${process.pid}-probe`;
  spawnSync('ip', ['netns', 'add', ns]);
  const kernel = spawnSync('ip', ['-n', ns, 'link', 'add', 'wgprobe', 'type', 'wireguard']).status === 0;
  spawnSync('ip', ['netns', 'del', ns]);
  if (!kernel && !has('wireguard-go')) return 'needs WireGuard: no kernel module and no wireguard-go (Debian package wireguard-go)';
  return undefined;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Leftovers of crashed runs that lab.ts does not know about: temp dirs, and
 * the control sockets of wireguard-go daemons it killed (nmw<pid><i>.sock).
 */
function removeStaleLeftovers(): void {
  for (const name of readdirSync(tmpdir())) {
    const m = /^nmlab-(\d+)-enc/.exec(name);
    if (m && !alive(Number(m[1]))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
  const uapi = '/var/run/wireguard';
  if (existsSync(uapi)) {
    for (const name of readdirSync(uapi)) {
      const m = /^nm[wh](\d+)\d\.sock$/.exec(name);
      if (m && !alive(Number(m[1]))) rmSync(join(uapi, name), { force: true });
    }
  }
}

export interface EncNode {
  index: number;
  name: string;
  node: LabNode;
  pod: LabNode;
  endpoint: string;
  podCIDR: string;
  podIP: string;
  ifname: string;
  stateDir: string;
  agent?: ChildProcess;
  /** stderr lines of the current (or last) agent run. */
  agentLog: string[];
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class EncryptionLab {
  readonly lab: Lab;
  readonly underlay: LabNode;
  readonly nodes = new Map<number, EncNode>();
  readonly dir: string;
  readonly configDir: string;
  private cleaned = false;
  private readonly onExit = () => this.cleanup();

  private constructor(tag: string) {
    removeStaleLeftovers();
    // Registered before the lab's own exit handler, so interfaces go first.
    process.on('exit', this.onExit);
    this.lab = Lab.create(tag);
    this.dir = mkdtempSync(join(tmpdir(), `nmlab-${process.pid}-enc-`));
    this.configDir = join(this.dir, 'config');
    this.underlay = this.lab.addNode('underlay');
    this.quietIpv6(this.underlay);
    this.underlay.exec('ip', ['link', 'add', 'br0', 'type', 'bridge']);
    this.underlay.exec('ip', ['link', 'set', 'br0', 'up']);
  }

  static create(tag: string, nodes: number): EncryptionLab {
    const l = new EncryptionLab(tag);
    for (let i = 1; i <= nodes; i++) l.addNode(i);
    return l;
  }

  private quietIpv6(n: LabNode): void {
    n.exec('sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
    n.exec('sysctl', ['-q', '-w', 'net.ipv6.conf.default.disable_ipv6=1']);
  }

  /** Adds node i: namespace, underlay link, pod namespace, native routes both ways with every existing node. */
  addNode(i: number): EncNode {
    const name = `n${i}`;
    const node = this.lab.addNode(name);
    const pod = this.lab.addNode(`${name}-pod`);
    this.quietIpv6(node);
    this.quietIpv6(pod);
    const endpoint = `192.168.77.${i}`;
    spawnSync('ip', ['link', 'add', 'name', 'eth0', 'netns', node.netns, 'type', 'veth', 'peer', 'name', `u${i}`, 'netns', this.underlay.netns]);
    this.underlay.exec('ip', ['link', 'set', `u${i}`, 'master', 'br0', 'up']);
    node.exec('ip', ['addr', 'add', `${endpoint}/24`, 'dev', 'eth0']);
    node.exec('ip', ['link', 'set', 'eth0', 'up']);
    spawnSync('ip', ['link', 'add', 'name', 'pod0', 'netns', node.netns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.netns]);
    node.exec('ip', ['addr', 'add', `10.${i}.0.1/24`, 'dev', 'pod0']);
    node.exec('ip', ['link', 'set', 'pod0', 'up']);
    node.exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    pod.exec('ip', ['addr', 'add', `10.${i}.0.2/24`, 'dev', 'eth0']);
    pod.exec('ip', ['link', 'set', 'eth0', 'up']);
    pod.exec('ip', ['route', 'add', 'default', 'via', `10.${i}.0.1`]);
    const n: EncNode = { index: i, name, node, pod, endpoint, podCIDR: `10.${i}.0.0/24`, podIP: `10.${i}.0.2`, ifname: `nmw${process.pid}${i}`, stateDir: join(this.dir, `state-${name}`), agentLog: [] };
    for (const other of this.nodes.values()) {
      node.exec('ip', ['route', 'add', other.podCIDR, 'via', other.endpoint, 'metric', '100']);
      other.node.exec('ip', ['route', 'add', n.podCIDR, 'via', endpoint, 'metric', '100']);
    }
    this.nodes.set(i, n);
    return n;
  }

  get(i: number): EncNode {
    const n = this.nodes.get(i);
    if (!n) throw new Error(`no node ${i}`);
    return n;
  }

  /** Starts node i's agent (bin/nodemesh encryption agent in the node namespace); resolves once it is running. */
  async startAgent(i: number, extra: string[] = []): Promise<void> {
    const n = this.get(i);
    const args = [
      NODEMESH_BIN, 'encryption', 'agent', '--node', n.name, '--endpoint', n.endpoint, '--pod-cidr', n.podCIDR,
      '--config', this.configDir, '--state-dir', n.stateDir, '--interface', n.ifname, '--port', String(WG_PORT),
      '--resync-ms', '2000', '--rotation-timeout-s', '20', ...extra,
    ];
    n.agentLog.length = 0; // readiness below must come from this run's log
    const child = n.node.spawn(process.execPath, args, { cgroup: 'agent' });
    n.agent = child;
    createInterface({ input: child.stderr! }).on('line', (l) => n.agentLog.push(l));
    child.stdout!.resume();
    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (n.agentLog.some((l) => l.includes('"encryption agent running"'))) {
          clearInterval(check);
          resolve();
        }
      }, 50);
      child.once('exit', (code) => {
        clearInterval(check);
        reject(new Error(`agent ${n.name} exited (${code}): ${n.agentLog.join('\n')}`));
      });
    });
  }

  /** Stops node i's agent (SIGTERM: clean stop; SIGKILL: a crash). The tunnel stays either way. */
  async stopAgent(i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const n = this.get(i);
    const child = n.agent;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
    n.agent = undefined;
  }

  /** Runs traffic.ts in node i's pod; resolves with its JSON result line. */
  traffic(i: number, args: string[]): Promise<Record<string, unknown>> {
    const child = this.get(i).pod.spawn(process.execPath, ['--import', 'tsx', TRAFFIC, ...args], { cgroup: 'traffic' });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    return new Promise((resolve, reject) =>
      child.once('exit', () => {
        const line = out.trim().split('\n').pop();
        if (!line) reject(new Error(`traffic ${args.join(' ')} printed nothing: ${err}`));
        else resolve(JSON.parse(line) as Record<string, unknown>);
      }),
    );
  }

  /** Starts an echo server (TCP and UDP) on port in node i's pod. */
  async serve(i: number, port: number): Promise<ChildProcess> {
    const n = this.get(i);
    const child = n.pod.spawn(process.execPath, ['--import', 'tsx', TRAFFIC, 'serve', n.podIP, String(port)], { cgroup: 'server' });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('"listening":true')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    });
    return child;
  }

  /**
   * Starts a packet capture on every underlay port; stop() returns what it
   * saw, and throws when the kernel dropped packets: an incomplete capture
   * cannot prove a marker's absence.
   */
  async capture(tag: string): Promise<{ stop: () => Promise<CapturedPacket[]> }> {
    const file = join(this.dir, `${tag}.pcap`);
    const child = this.underlay.spawn('tcpdump', ['-i', 'any', '-n', '--immediate-mode', '-B', '65536', '-U', '-s', '0', '-Z', 'root', '-w', file], { cgroup: 'capture' });
    let err = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d) => {
        err += d;
        if (err.includes('listening on')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`tcpdump exited (${code}): ${err}`)));
    });
    return {
      stop: async () => {
        await new Promise((r) => setTimeout(r, 300)); // let the last packets land (immediate mode: no block timeout)
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT');
        await exited;
        const summary = err.trim().split('\n').slice(-3).join('; ');
        if (process.env.NODEMESH_E2E_VERBOSE) console.log(`# tcpdump ${tag}: ${summary}`);
        const dropped = /(\d+) packets dropped by kernel/.exec(err);
        if (!dropped || Number(dropped[1]) > 0) throw new Error(`capture ${tag} is incomplete (${summary}); cannot assert on it`);
        return readPcap(file);
      },
    };
  }

  /** Removes this lab's WireGuard interfaces (their wireguard-go daemons exit), then everything lab.ts made, then the temp dir. */
  cleanup(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    process.off('exit', this.onExit);
    for (const n of this.nodes.values()) {
      n.agent?.kill('SIGKILL');
      spawnSync('ip', ['-n', n.node.netns, 'link', 'del', n.ifname]);
      // Anything still in the namespace that this lab started (a daemon
      // whose interface was already gone): end it by its pid.
      const pids = spawnSync('ip', ['netns', 'pids', n.node.netns], { encoding: 'utf8' }).stdout ?? '';
      for (const pid of pids.split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGTERM');
        } catch {
          // already gone
        }
      }
    }
    this.lab.teardown();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

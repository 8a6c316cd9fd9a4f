// The e2e lab: nodes as network namespaces joined by veth, each with a
// cgroup v2 subtree; workloads as processes in their own cgroup under their
// node's (they share the node's network namespace, so the node proxy is
// reachable on loopback, as with a per-node proxy on a real host). Every name carries the lab's
// prefix `nmlab-<pid>-<tag>`: leftovers of a crashed run (prefix with a dead
// pid) are removed when a lab is created, and teardown() — also run on
// process exit — removes everything this lab made, even after a failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { removeCgroupTree } from '../../bpf/sockmap/src/cgroups.js';

export { removeCgroupTree };

const PREFIX = 'nmlab-';
const BPFFS = '/sys/fs/bpf';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** The cgroup v2 mount point (/sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on hybrid ones). */
export function cgroup2Root(): string | undefined {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n');
  const line = mounts.map((l) => l.split(' ')).find((f) => f[2] === 'cgroup2');
  return line?.[1];
}

/** Why the lab cannot run here, or undefined. */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, cgroups, BPF)';
  if (!has('ip')) return 'needs ip (Debian package iproute2)';
  if (!cgroup2Root()) return 'needs a cgroup v2 hierarchy mounted (cgroup2)';
  return undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes namespaces, cgroups and pins of labs whose process is gone. */
export function removeLeftovers(): string[] {
  const removed: string[] = [];
  const stale = (name: string) => {
    const m = /^nmlab-(\d+)-/.exec(name);
    return !!m && !pidAlive(Number(m[1]));
  };
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const name of netns.split('\n').map((l) => l.split(' ')[0] ?? '')) {
    if (!stale(name)) continue;
    spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' })
      .stdout?.split('\n')
      .filter(Boolean)
      .forEach((p) => spawnSync('kill', ['-9', p]));
    spawnSync('ip', ['netns', 'del', name]);
    removed.push(`netns ${name}`);
  }
  const cg = cgroup2Root();
  if (cg)
    for (const name of readdirSync(cg)) {
      if (!stale(name)) continue;
      removeCgroupTree(join(cg, name));
      removed.push(`cgroup ${name}`);
    }
  if (existsSync(BPFFS))
    for (const name of readdirSync(BPFFS)) {
      if (!stale(name)) continue;
      rmSync(join(BPFFS, name), { recursive: true, force: true });
      removed.push(`pins ${name}`);
    }
  return removed;
}

export interface SpawnOptions {
  /** cgroup under the node's, e.g. 'mesh/client' (created when missing). */
  cgroup: string;
  env?: Record<string, string>;
  stdio?: 'pipe' | 'inherit' | 'ignore';
  /**
   * Instead of `stdio`: stdout and stderr appended to this file, and the
   * process detached from this one (it outlives it: `nodemesh lab up`).
   */
  logFile?: string;
  /**
   * Enter only the network namespace (nsenter), keeping the host's /sys:
   * `ip netns exec` remounts /sys, which hides bpffs pins from a process that
   * needs them (the auth agent writing its entries).
   */
  hostSys?: boolean;
}

export class LabNode {
  readonly netns: string;
  readonly cgroupDir: string;

  constructor(
    readonly lab: Lab,
    readonly name: string,
  ) {
    this.netns = `${lab.prefix}-${name}`;
    this.cgroupDir = join(lab.cgroupDir, name);
  }

  /** Creates (when missing) and returns the absolute path of a cgroup under this node's. */
  cgroup(rel: string): string {
    const dir = join(this.cgroupDir, rel);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** Runs a command in the node's network namespace (not in a node cgroup); throws on failure. */
  exec(cmd: string, args: string[]): string {
    const r = spawnSync('ip', ['netns', 'exec', this.netns, cmd, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${this.netns}: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
    return r.stdout;
  }

  /** Routes `cidr` (e.g. another node's workload range) via `gateway`. */
  route(cidr: string, gateway: string): void {
    this.exec('ip', ['route', 'add', cidr, 'via', gateway]);
  }

  /** Adds local addresses (workload IPs, VIPs) on the node's loopback. */
  addLocalAddresses(addresses: string[]): void {
    for (const a of addresses) this.exec('ip', ['addr', 'add', `${a}/32`, 'dev', 'lo']);
  }

  /**
   * Starts a process in the node's namespace and in cgroup `opts.cgroup`: the
   * shell moves itself into the cgroup before it execs, so every socket the
   * program opens belongs to that cgroup.
   */
  spawn(cmd: string, args: string[], opts: SpawnOptions): ChildProcess {
    const procs = join(this.cgroup(opts.cgroup), 'cgroup.procs');
    // The move happens before `ip netns exec`, which remounts /sys (and so
    // hides the cgroup2 mount under it) inside the namespace.
    const log = opts.logFile === undefined ? undefined : openSync(opts.logFile, 'a');
    const enter = opts.hostSys ? ['nsenter', `--net=/run/netns/${this.netns}`] : ['ip', 'netns', 'exec', this.netns];
    const child = spawn('sh', ['-c', 'echo $$ > "$0" && exec "$@"', procs, ...enter, cmd, ...args], {
      stdio: log === undefined ? (opts.stdio ?? 'pipe') : ['ignore', log, log],
      detached: log !== undefined,
      env: { ...process.env, ...opts.env },
    });
    if (log !== undefined) {
      closeSync(log);
      child.unref();
    }
    this.lab.children.add(child);
    child.on('exit', () => this.lab.children.delete(child));
    return child;
  }
}

export class Lab {
  readonly prefix: string;
  readonly cgroupDir: string;
  /** A bpffs directory for this lab's pins (not created here). */
  readonly pinRoot: string;
  readonly nodes: LabNode[] = [];
  readonly children = new Set<ChildProcess>();
  private torn = false;
  private links = 0;
  private readonly onExit = () => this.teardown();

  private constructor(tag: string, prefix?: string) {
    this.prefix = prefix ?? `${PREFIX}${process.pid}-${tag}`;
    this.cgroupDir = join(cgroup2Root()!, this.prefix);
    this.pinRoot = join(BPFFS, this.prefix);
  }

  /** Removes leftovers of crashed runs, then makes an empty lab. */
  static create(tag: string): Lab {
    removeLeftovers();
    const lab = new Lab(tag);
    lab.teardown(); // a same-named lab of this process that was not torn down
    lab.torn = false;
    mkdirSync(lab.cgroupDir, { recursive: true });
    process.on('exit', lab.onExit);
    return lab;
  }

  /**
   * A lab that outlives this process (`nodemesh lab up`): named exactly
   * `prefix`, not torn down on exit. The prefix must not look like
   * `nmlab-<pid>-…`, or removeLeftovers() would take it for a crashed run's
   * once this process is gone; whoever made it removes it (`nodemesh lab down`).
   */
  static createPersistent(prefix: string): Lab {
    if (/^nmlab-\d+-/.test(prefix)) throw new Error(`persistent lab prefix ${prefix}: nmlab-<digits>- is reserved for per-process labs`);
    removeLeftovers();
    const lab = new Lab('', prefix);
    process.off('exit', lab.onExit);
    mkdirSync(lab.cgroupDir, { recursive: true });
    return lab;
  }

  addNode(name: string): LabNode {
    const node = new LabNode(this, name);
    spawnSync('ip', ['netns', 'del', node.netns]);
    const r = spawnSync('ip', ['netns', 'add', node.netns], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip netns add ${node.netns}: ${r.stderr}`);
    node.exec('ip', ['link', 'set', 'lo', 'up']);
    mkdirSync(node.cgroupDir, { recursive: true });
    this.nodes.push(node);
    return node;
  }

  /**
   * Joins two nodes with a veth pair, 10.255.<n>.1/30 on `a` and .2/30 on `b`
   * (n counts links), each end named after the node it leads to. Returns the
   * addresses, to route workload ranges over.
   */
  link(a: LabNode, b: LabNode): { a: string; b: string } {
    const n = ++this.links;
    const addr = { a: `10.255.${n}.1`, b: `10.255.${n}.2` };
    const ifA = `to-${b.name}`.slice(0, 15);
    const ifB = `to-${a.name}`.slice(0, 15);
    const r = spawnSync('ip', ['link', 'add', ifA, 'netns', a.netns, 'type', 'veth', 'peer', 'name', ifB, 'netns', b.netns], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`veth ${a.name}<->${b.name}: ${r.stderr}`);
    a.exec('ip', ['addr', 'add', `${addr.a}/30`, 'dev', ifA]);
    b.exec('ip', ['addr', 'add', `${addr.b}/30`, 'dev', ifB]);
    a.exec('ip', ['link', 'set', ifA, 'up']);
    b.exec('ip', ['link', 'set', ifB, 'up']);
    return addr;
  }

  /** Stops every process, removes cgroups, namespaces and pins. Idempotent and synchronous (safe in exit handlers). */
  teardown(): void {
    if (this.torn) return;
    this.torn = true;
    process.off('exit', this.onExit);
    for (const c of this.children) c.kill('SIGKILL');
    removeCgroupTree(this.cgroupDir);
    for (const n of this.nodes) spawnSync('ip', ['netns', 'del', n.netns]);
    if (existsSync(this.pinRoot)) rmSync(this.pinRoot, { recursive: true, force: true });
  }
}

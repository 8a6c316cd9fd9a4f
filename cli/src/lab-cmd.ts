// `nodemesh lab up|status|down|exec`: a local multi-node mesh on this
// machine, built with the e2e lab harness (e2e/lab/): nodes are network
// namespaces joined by veth, each with a cgroup v2 subtree; the workloads of
// the configuration directory run as processes with their address in their
// node (one cgroup each, under the node's mesh cgroup); per node an
// xds-server, a node proxy (embedded engine) and the BPF steering agent.
//
// Everything is named `nmlab-cli-<name>[-<node>]` (netns, cgroup, pins) and
// recorded in a state file, so `status` and `down` work from another process
// and `down` — also run first by `up` — removes a crashed earlier `up`'s
// leftovers even without the state file. The names never match the
// per-process `nmlab-<pid>-` labs the e2e tests clean up.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { removeCgroupTree } from '../../bpf/sockmap/src/cgroups.js';
import { detach } from '../../bpf/sockmap/src/loader.js';
import { objectsMissing } from '../../bpf/sockmap/src/preflight.js';
import { steeringStatus } from '../../bpf/sockmap/src/status.js';
import { cgroup2Root, Lab, labUnavailable, type LabNode } from '../../e2e/lab/lab.js';
import { NODEMESH } from '../../e2e/lab/mesh.js';
import { loadDirectory } from '../../xds-server/src/provider/file/index.js';
import { translateResources } from '../../xds-server/src/translate/kubernetes/index.js';
import { startEchoBackend } from './echo.js';

const BPFFS = '/sys/fs/bpf';
const CAPTURE = '127.0.0.1:15001';
const PROXY_ADMIN = '127.0.0.1:15000';

export interface LabFlags {
  name: string;
  stateDir: string;
}

interface ProcessState {
  role: 'xds-server' | 'node-proxy' | 'bpf-agent' | 'workload';
  node: string;
  name: string;
  pid: number;
  cgroup: string;
  log: string;
}

interface WorkloadState {
  name: string;
  node: string;
  address: string;
  listen: string[];
}

export interface LabState {
  name: string;
  prefix: string;
  phase: 'starting' | 'up';
  config: string;
  dir: string;
  cgroup: string;
  pinRoot: string;
  nodes: { name: string; netns: string; cgroup: string; pinRoot: string; addresses: string[]; accessLog: string }[];
  links: { a: string; b: string; addressA: string; addressB: string }[];
  services: { name: string; vips: string[]; ports: number[] }[];
  workloads: WorkloadState[];
  processes: ProcessState[];
}

const prefixOf = (name: string) => `nmlab-cli-${name}`;
const stateFile = (flags: LabFlags) => join(resolve(flags.stateDir), `${flags.name}.json`);
const labDir = (flags: LabFlags) => join(resolve(flags.stateDir), flags.name);

function checkName(name: string): void {
  // Interface, netns and cgroup names: keep them short and plain.
  if (!/^[a-z0-9][a-z0-9-]{0,19}$/.test(name)) fail(`--name ${name}: want 1-20 of a-z, 0-9 and '-'`);
}

function fail(message: string): never {
  console.error(`nodemesh lab: ${message}`);
  process.exit(1);
}

function readState(flags: LabFlags): LabState | undefined {
  const f = stateFile(flags);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

/** Running, neither gone nor a zombie (a killed process whose parent, init here, has not reaped it yet). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Removes everything of lab `name`: processes, namespaces, cgroups, pins, state. Returns what was removed. */
export function removeLab(flags: LabFlags): string[] {
  const removed: string[] = [];
  const prefix = prefixOf(flags.name);
  const state = readState(flags);
  // Processes first (cgroup.kill reaches every process of the lab, the
  // host-side agents included: they run in the lab's cgroup too).
  for (const p of state?.processes ?? [])
    if (alive(p.pid)) {
      try {
        process.kill(p.pid, 'SIGKILL');
        removed.push(`process ${p.role} ${p.name} (pid ${p.pid})`);
      } catch {
        // gone meanwhile
      }
    }
  const killed = (state?.processes ?? []).map((p) => p.pid);
  const deadline = Date.now() + 10_000;
  while (killed.some(alive) && Date.now() < deadline) sleepSync(20);
  const cgRoot = cgroup2Root();
  const cg = cgRoot && join(cgRoot, prefix);
  if (cg && existsSync(cg)) {
    removeCgroupTree(cg);
    removed.push(`cgroup ${cg}`);
  }
  const netns = (spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '').split('\n').map((l) => l.split(' ')[0] ?? '');
  for (const ns of netns.filter((n) => n.startsWith(`${prefix}-`))) {
    spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
      .stdout?.split('\n')
      .filter(Boolean)
      .forEach((pid) => spawnSync('kill', ['-9', pid]));
    spawnSync('ip', ['netns', 'del', ns]);
    removed.push(`netns ${ns}`);
  }
  // Pins last: with the processes gone nothing depends on the programs.
  const pins = join(BPFFS, prefix);
  if (existsSync(pins)) {
    detach(pins);
    removed.push(`pins ${pins}`);
  }
  for (const f of [labDir(flags), stateFile(flags)])
    if (existsSync(f)) {
      rmSync(f, { recursive: true, force: true });
      removed.push(`file ${f}`);
    }
  return removed;
}

interface Plan {
  nodes: string[];
  workloads: (WorkloadState & { kinds: { kind: 'http' | 'grpc' | 'tcp'; port: number }[] })[];
  services: LabState['services'];
}

/** Which nodes and workload processes the configuration asks for. */
async function plan(config: string): Promise<Plan> {
  const loaded = await loadDirectory(config);
  const { model } = translateResources(loaded.resources, { trustDomain: 'cluster.local', clusterDomain: 'cluster.local' });
  const workloads = new Map<string, Plan['workloads'][number]>();
  const nodes = new Set<string>();
  for (const svc of model.services) {
    for (const ep of svc.endpoints) {
      const node = ep.node || 'node-a';
      nodes.add(node);
      const key = `${node} ${ep.address}`;
      const w = workloads.get(key) ?? { name: ep.source.name, node, address: ep.address, listen: [], kinds: [] };
      for (const port of svc.ports) {
        const p = ep.ports[port.name];
        if (!p || port.protocol !== 'TCP' || w.kinds.some((k) => k.port === p)) continue;
        const kind = port.appProtocol === 'grpc' ? 'grpc' : port.appProtocol === 'http' || port.appProtocol === 'http2' ? 'http' : 'tcp';
        w.kinds.push({ kind, port: p });
        w.listen.push(`${kind}:${ep.address}:${p}`);
      }
      if (w.kinds.length) workloads.set(key, w);
    }
  }
  // A multi-node lab even when the configuration names fewer nodes.
  for (const n of ['node-a', 'node-b']) if (nodes.size < 2) nodes.add(n);
  const services = model.services.map((s) => ({ name: `${s.namespace}/${s.name}`, vips: s.vips, ports: s.ports.map((p) => p.port) }));
  return { nodes: [...nodes].sort(), workloads: [...workloads.values()], services };
}

/** Waits until `check` returns true; throws with `what` (and the log's tail) after `ms`. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, opts: { ms?: number; pid?: number; log?: string } = {}): Promise<void> {
  const deadline = Date.now() + (opts.ms ?? 60_000);
  for (;;) {
    if (await check()) return;
    const dead = opts.pid !== undefined && !alive(opts.pid);
    if (dead || Date.now() > deadline) {
      const tail = opts.log && existsSync(opts.log) ? readFileSync(opts.log, 'utf8').split('\n').slice(-8).join('\n') : '';
      throw new Error(`${what}: ${dead ? 'the process exited' : 'timed out'}${tail ? `; last log lines (${opts.log}):\n${tail}` : ''}`);
    }
    await sleep(150);
  }
}

/** Like Promise.all, but rejects only once every step is done (nothing still starts behind a cleanup). */
async function allSettled(steps: Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(steps)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

const logHas = (log: string, re: RegExp) => existsSync(log) && re.test(readFileSync(log, 'utf8'));

export async function runLabUp(flags: LabFlags & { config: string }): Promise<void> {
  checkName(flags.name);
  const why = labUnavailable() ?? objectsMissing();
  if (why) fail(why);
  if (!existsSync(flags.config)) fail(`--config ${flags.config} does not exist`);
  const t0 = Date.now();
  const progress = (msg: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}`);

  const running = readState(flags)?.processes.filter((x) => alive(x.pid)) ?? [];
  if (running.length) fail(`lab ${flags.name} is up (${running.length} processes running; nodemesh lab status): nodemesh lab down first, or pick another --name`);
  const leftovers = removeLab(flags);
  if (leftovers.length) progress(`removed an earlier lab ${flags.name}: ${leftovers.length} objects`);
  const p = await plan(flags.config);
  const dir = labDir(flags);
  mkdirSync(dir, { recursive: true });
  const prefix = prefixOf(flags.name);
  const lab = Lab.createPersistent(prefix);
  const state: LabState = {
    name: flags.name,
    prefix,
    phase: 'starting',
    config: resolve(flags.config),
    dir,
    cgroup: lab.cgroupDir,
    pinRoot: lab.pinRoot,
    nodes: [],
    links: [],
    services: p.services,
    workloads: [],
    processes: [],
  };
  const save = () => writeFileSync(stateFile(flags), JSON.stringify(state, null, 2) + '\n');
  save();
  try {
    const nodes = new Map<string, LabNode>();
    for (const name of p.nodes) {
      const node = lab.addNode(name);
      nodes.set(name, node);
      const addresses = [...new Set(p.workloads.filter((w) => w.node === name && !w.address.startsWith('127.')).map((w) => w.address))];
      node.addLocalAddresses(addresses);
      mkdirSync(join(dir, name), { recursive: true });
      state.nodes.push({ name, netns: node.netns, cgroup: node.cgroupDir, pinRoot: join(lab.pinRoot, name), addresses, accessLog: join(dir, name, 'access.log') });
      save();
      progress(`node ${name}: netns ${node.netns}, cgroup ${node.cgroupDir}${addresses.length ? `, workload addresses ${addresses.join(' ')}` : ''}`);
    }
    // Every pair of nodes joined by a veth; each node routes the others' workload addresses over it.
    const list = [...nodes.values()];
    for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i]!, list[j]!];
        const link = lab.link(a, b);
        for (const addr of state.nodes.find((n) => n.name === b.name)!.addresses) a.exec('ip', ['route', 'add', `${addr}/32`, 'via', link.b]);
        for (const addr of state.nodes.find((n) => n.name === a.name)!.addresses) b.exec('ip', ['route', 'add', `${addr}/32`, 'via', link.a]);
        state.links.push({ a: a.name, b: b.name, addressA: link.a, addressB: link.b });
        save();
        progress(`link ${a.name} ${link.a} <-> ${b.name} ${link.b} (veth)`);
      }

    const track = (role: ProcessState['role'], node: string, name: string, pid: number | undefined, cgroup: string, log: string): ProcessState => {
      if (pid === undefined) throw new Error(`${role} ${name} on ${node} did not start`);
      const proc = { role, node, name, pid, cgroup, log };
      state.processes.push(proc);
      save();
      return proc;
    };

    // Workloads first (all at once): the proxies find their backends listening.
    const startWorkload = async (w: Plan['workloads'][number]) => {
      const node = nodes.get(w.node)!;
      const cg = `mesh/${w.name}`;
      const log = join(dir, w.node, `workload-${w.name}.log`);
      const child = node.spawn(NODEMESH, ['lab', 'serve', '--workload', w.name, ...w.listen.flatMap((l) => ['--listen', l])], { cgroup: cg, logFile: log });
      const proc = track('workload', w.node, w.name, child.pid, node.cgroup(cg), log);
      state.workloads.push({ name: w.name, node: w.node, address: w.address, listen: w.listen });
      save();
      await waitFor(`workload ${w.name}`, () => logHas(log, /"listening"/), { pid: proc.pid, log });
      progress(`workload ${w.name} on ${w.node}: ${w.listen.join(', ')} (cgroup ${node.cgroup(cg)})`);
    };
    await allSettled(p.workloads.map(startWorkload));

    // Then each node's control plane, proxy and agent, the nodes side by side.
    const startNode = async (name: string, node: LabNode) => {
      const n = state.nodes.find((x) => x.name === name)!;
      const socket = join(dir, name, 'xds.sock');
      const xlog = join(dir, name, 'xds-server.log');
      const xds = node.spawn(NODEMESH, ['xds-server', '--config', state.config, '--listen', `unix:${socket}`, '--admin', 'off', '--outbound', CAPTURE, '--access-log', n.accessLog, '--log-level', 'warn'], {
        cgroup: 'control',
        logFile: xlog,
      });
      const xp = track('xds-server', name, 'xds-server', xds.pid, node.cgroup('control'), xlog);
      await waitFor(`xds-server on ${name}`, () => existsSync(socket), { pid: xp.pid, log: xlog });
      progress(`xds-server on ${name}: unix:${socket}, access log ${n.accessLog}`);

      const plog = join(dir, name, 'node-proxy.log');
      const proxy = node.spawn(NODEMESH, ['node-proxy', '--engine', 'embedded', '--xds', `unix:${socket}`, '--node-id', name, '--admin', PROXY_ADMIN, '--log-level', 'warn'], {
        cgroup: 'proxy',
        logFile: plog,
      });
      const pp = track('node-proxy', name, 'node-proxy', proxy.pid, node.cgroup('proxy'), plog);
      await waitFor(`node proxy on ${name}`, () => proxyReady(node), { pid: pp.pid, log: plog });
      progress(`node proxy on ${name}: embedded engine, capture ${CAPTURE}, admin ${PROXY_ADMIN} (in the node), ready`);

      const alog = join(dir, name, 'bpf-agent.log');
      const agentCg = join(lab.cgroupDir, 'agents', name);
      const agent = spawnInCgroup(agentCg, NODEMESH, ['bpf', 'agent', '--cgroup', node.cgroupDir, '--pin-root', n.pinRoot, '--config', state.config, '--proxy', CAPTURE, '--mesh-cgroup', node.cgroup('mesh'), '--proxy-cgroup', node.cgroup('proxy'), '--admin', 'off'], alog);
      const ap = track('bpf-agent', name, 'bpf-agent', agent, agentCg, alog);
      await waitFor(`bpf agent for ${name}`, () => logHas(alog, /"msg":"services synced"/), { pid: ap.pid, log: alog });
      progress(`bpf agent for ${name}: programs on ${node.cgroupDir}, pins ${n.pinRoot}, mesh cgroup ${node.cgroup('mesh')}`);
    };
    await allSettled([...nodes].map(([name, node]) => startNode(name, node)));
    state.phase = 'up';
    save();
    progress(`lab ${flags.name} is up: ${state.nodes.length} nodes, ${state.workloads.length} workloads, ${state.processes.length} processes`);
    console.log(`
  try   nodemesh lab exec ${p.nodes[0]} -- node -e "fetch('http://10.96.0.20/').then(r => r.text()).then(console.log)"
        nodemesh lab status${flags.name === 'default' ? '' : ` --name ${flags.name}`}      (bpf counters per node)
        nodemesh lab down${flags.name === 'default' ? '' : ` --name ${flags.name}`}
  state ${stateFile(flags)}  (logs and access logs in ${dir})`);
  } catch (e) {
    progress(`failed: ${(e as Error).message}`);
    const removed = removeLab(flags);
    progress(`removed what was started (${removed.length} objects)`);
    process.exit(1);
  }
}

/** A detached host process in cgroup `cgroup` (created), output appended to `log`. */
function spawnInCgroup(cgroup: string, cmd: string, args: string[], log: string): number | undefined {
  mkdirSync(cgroup, { recursive: true });
  const fd = openSync(log, 'a');
  const child = spawn('sh', ['-c', 'echo $$ > "$0" && exec "$@"', join(cgroup, 'cgroup.procs'), cmd, ...args], { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  child.unref();
  return child.pid;
}

/** GET /ready of the node proxy's admin, from inside the node's namespace. */
function proxyReady(node: LabNode): Promise<boolean> {
  const script = `fetch('http://${PROXY_ADMIN}/ready').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))`;
  return new Promise((res) => {
    const c = spawn('ip', ['netns', 'exec', node.netns, process.execPath, '-e', script], { stdio: 'ignore' });
    c.on('exit', (code) => res(code === 0));
    c.on('error', () => res(false));
  });
}

export interface LabStatus {
  name: string;
  phase: LabState['phase'];
  state: string;
  nodes: {
    name: string;
    netns: string;
    netnsExists: boolean;
    cgroup: string;
    pinRoot: string;
    steering?: { services: number; links: number; counters: Record<string, number> };
    steeringError?: string;
  }[];
  services: LabState['services'];
  workloads: (WorkloadState & { running: boolean })[];
  processes: (ProcessState & { running: boolean })[];
}

export function labStatus(flags: LabFlags): LabStatus | undefined {
  const state = readState(flags);
  if (!state) return undefined;
  const netns = new Set((spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '').split('\n').map((l) => l.split(' ')[0]));
  const processes = state.processes.map((p) => ({ ...p, running: alive(p.pid) }));
  return {
    name: state.name,
    phase: state.phase,
    state: stateFile(flags),
    nodes: state.nodes.map((n) => {
      const base = { name: n.name, netns: n.netns, netnsExists: netns.has(n.netns), cgroup: n.cgroup, pinRoot: n.pinRoot };
      try {
        const s = steeringStatus(n.pinRoot);
        const counters = Object.fromEntries(Object.entries(s.counters).map(([k, v]) => [k, Number(v)]));
        return { ...base, steering: { services: s.services, links: s.links.length, counters } };
      } catch (e) {
        return { ...base, steeringError: (e as Error).message };
      }
    }),
    services: state.services,
    workloads: state.workloads.map((w) => ({ ...w, running: processes.some((p) => p.role === 'workload' && p.name === w.name && p.node === w.node && p.running) })),
    processes,
  };
}

export function runLabStatus(flags: LabFlags & { json?: boolean }): void {
  const s = labStatus(flags);
  if (!s) fail(`no lab ${flags.name}: ${stateFile(flags)} does not exist (nodemesh lab up${flags.name === 'default' ? '' : ` --name ${flags.name}`})`);
  if (flags.json) {
    console.log(JSON.stringify(s, null, 2));
    return;
  }
  console.log(`lab ${s.name}: ${s.phase} (state ${s.state})`);
  for (const n of s.nodes) {
    console.log(`\nnode ${n.name}  netns ${n.netns}${n.netnsExists ? '' : ' (missing)'}  cgroup ${n.cgroup}`);
    for (const p of s.processes.filter((x) => x.node === n.name))
      console.log(`  ${p.running ? 'running' : 'STOPPED'}  ${p.role.padEnd(10)} ${p.name.padEnd(14)} pid ${String(p.pid).padEnd(8)} log ${p.log}`);
    if (n.steering) {
      console.log(`  bpf: ${n.steering.links} links, ${n.steering.services} steered VIP:ports, pins ${n.pinRoot}`);
      const nonzero = Object.entries(n.steering.counters).filter(([, v]) => v > 0);
      for (const [k, v] of nonzero) console.log(`    ${k.padEnd(28)} ${v}`);
      if (!nonzero.length) console.log('    (all counters zero)');
    } else console.log(`  bpf: ${n.steeringError}`);
  }
  console.log('\nservices:');
  for (const svc of s.services) console.log(`  ${svc.name.padEnd(20)} ${svc.vips.join(',') || '(headless)'} ports ${svc.ports.join(',')}`);
}

export function runLabDown(flags: LabFlags): void {
  checkName(flags.name);
  if (process.getuid?.() !== 0) fail('needs root (network namespaces, cgroups, BPF pins)');
  const removed = removeLab(flags);
  for (const r of removed) console.log(`removed ${r}`);
  console.log(removed.length ? `lab ${flags.name} removed` : `lab ${flags.name}: nothing to remove`);
}

/** Runs a command as a mesh workload of `node` (its netns, a cgroup under its mesh cgroup); exits with its status. */
export function runLabExec(node: string, command: string[], flags: LabFlags): void {
  const state = readState(flags);
  const n = state?.nodes.find((x) => x.name === node);
  if (!state || !n) fail(`no node ${node} in lab ${flags.name} (nodes: ${state?.nodes.map((x) => x.name).join(', ') ?? 'none: not up'})`);
  if (!command.length) fail('nothing to run: nodemesh lab exec NODE -- COMMAND [ARGS…]');
  const cg = join(n.cgroup, 'mesh', `exec-${process.pid}`);
  mkdirSync(cg, { recursive: true });
  const r = spawnSync('sh', ['-c', 'echo $$ > "$0" && exec "$@"', join(cg, 'cgroup.procs'), 'ip', 'netns', 'exec', n.netns, ...command], { stdio: 'inherit' });
  removeCgroupTree(cg);
  process.exit(r.status ?? 1);
}

/**
 * `nodemesh lab serve` (internal): one workload's servers, inside its node.
 * http: answers "<workload> <path>"; grpc: the demo's echo service (answers
 * the workload name); tcp: writes "<workload>\n", then echoes.
 */
export async function runLabServe(flags: { workload: string; listen: string[] }): Promise<void> {
  const listening: string[] = [];
  for (const spec of flags.listen) {
    const m = /^(http|grpc|tcp):(.+):(\d+)$/.exec(spec);
    if (!m) fail(`--listen ${spec}: want http|grpc|tcp:ADDRESS:PORT`);
    const [, kind, address, port] = m;
    if (kind === 'grpc') await startEchoBackend(flags.workload, address!, Number(port));
    else {
      const server =
        kind === 'http'
          ? http.createServer((req, res) => res.end(`${flags.workload} ${req.url}`))
          : net.createServer((s) => {
              s.on('error', () => s.destroy());
              s.write(`${flags.workload}\n`);
              s.pipe(s);
            });
      await new Promise<void>((res, rej) => server.once('error', rej).listen(Number(port), address, res));
    }
    listening.push(spec);
  }
  console.log(JSON.stringify({ workload: flags.workload, listening }));
}


// `nodemesh lab up|status|down|exec`: a local multi-node mesh on this
// machine, built with the e2e lab harness (e2e/lab/): nodes are network
// namespaces joined by veth, each with a cgroup v2 subtree; the workloads of
// the configuration directory run as processes with their address in their
// node (one cgroup each, under the node's mesh cgroup); per node an
// xds-server, a node proxy (embedded engine), the BPF steering agent and
// (unless --no-encryption) the encryption agent, which puts the traffic
// between the nodes' workloads into WireGuard (wireguard-go here), and the
// auth agent with its gate (issue #6; see "Mutual authentication" below).
//
// Encryption: each node's pod CIDRs are the /24s of its workload addresses
// (10.244.1.0/24 on node-a, 10.244.2.0/24 on node-b for examples/; the
// kube-controller-manager default node CIDR size, and what the examples'
// 10.244.<node>.x addresses mean); a /24 that two nodes' workloads share is
// split into their /32s, so no CIDR covers another node's workload. A
// loopback workload address (127.x, which could never leave its node: the
// checkout versions of examples/) moves into its node's /24 — the servers
// read a rewritten copy of the configuration, examples/ stays as it is (see
// lab-config.ts) — so every endpoint is reachable from every node. A node
// without a /24 gets 10.254.<i>.0/24 (and, without any workload, the address
// .1 of it), so that what it sends into the tunnel has a source its peers
// accept (WireGuard checks inner sources against AllowedIPs). The workloads' addresses are on
// the node's loopback, which the kernel searches first for a source address
// when a route (the tunnel's) names a device without one: the node proxy's
// connections to remote endpoints leave from a pod address, as a pod's would.
// The Node objects are shared in <state-dir>/<name>/nodes, the underlay is
// the veth link (endpoint: the node's address on its first link). The
// plain /32 routes over the veth are NOT installed with encryption on: the
// agents' tunnel routes (metric 10) are the only way to the other nodes'
// pod CIDRs, so a missing tunnel shows as unreachable, never as clear text
// (unlike e2e/lab/encryption-lab.ts, which models a CNI's native routes
// underneath). WireGuard interfaces are nmc<hash of the lab name><node
// index>: wireguard-go's control sockets (/var/run/wireguard) are shared by
// every namespace, and `down` finds them from the lab name alone.
//
// Mutual authentication: the BPF agents run with --auth-datapath and each
// node runs `nodemesh auth agent` (handshake service on its link address,
// gate on 127.0.0.1:15007, admin 127.0.0.1:9878, all in the node), in
// cgroup system/auth under the node's: the node's hooks see it, the mesh
// cgroup's (nm_auth_connect4) do not, so its own connections are never held.
// With encryption it runs with --tunnel-interface <the node's WireGuard
// interface>: auth-required packets from the other nodes are delivered only
// when they came out of the tunnel.
// It enters the namespace with nsenter, not `ip netns exec`, which would
// remount /sys and hide the pins it writes its entries into. Both agents
// sign SVIDs with one CA that up generates in <state-dir>/<name>/ca (a
// bring-your-own CA directory: the shared directory a cluster would mount).
// The lab adds a file of its own to the served configuration
// (nodemesh-lab-auth.yaml): the Node objects (tunnelEndpoint = the node's
// link address, the nodemesh.io/auth-port annotation) and one MeshPolicy
// that requires authentication for a direct flow between two workloads of
// the configuration on different nodes (checkout-v2 on node-b to
// checkout-v1 on node-a, port 7946, for examples/), on a port of its own
// that the lab's TCP echo answers: a flow through a service VIP cannot
// require authentication yet, because the node proxy's upstream connection
// carries no workload identity and the receiver would drop it.
//
// Everything is named `nmlab-cli-<name>[-<node>]` (netns, cgroup, pins) and
// recorded in a state file, so `status` and `down` work from another process
// and `down` — also run first by `up` — removes a crashed earlier `up`'s
// leftovers even without the state file. The names never match the
// per-process `nmlab-<pid>-` labs the e2e tests clean up.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { AuthAgentStatus } from '../../auth/src/agent.js';
import type { Resources } from '../../crds/src/resources.js';
import { removeCgroupTree } from '../../bpf/sockmap/src/cgroups.js';
import { detach } from '../../bpf/sockmap/src/loader.js';
import { objectsMissing } from '../../bpf/sockmap/src/preflight.js';
import { steeringStatus } from '../../bpf/sockmap/src/status.js';
import { CommandError, run, type Run } from '../../encryption/src/exec.js';
import { encryptionStatus, type EncryptionStatus } from '../../encryption/src/status.js';
import { cgroup2Root, Lab, labUnavailable, type LabNode } from '../../e2e/lab/lab.js';
import { NODEMESH } from '../../e2e/lab/mesh.js';
import { loadDirectory } from '../../xds-server/src/provider/file/index.js';
import { translateResources } from '../../xds-server/src/translate/kubernetes/index.js';
import { startEchoBackend } from './echo.js';
import { moveKey, runConfigSync, syncLabConfig, type AddressMoves } from './lab-config.js';

const BPFFS = '/sys/fs/bpf';
const CAPTURE = '127.0.0.1:15001';
const PROXY_ADMIN = '127.0.0.1:15000';
export const LAB_WG_PORT = 51871;
/** A lab workload's node, in its environment: its HTTP answers carry it as the x-nodemesh-lab-node header. */
export const LAB_NODE_ENV = 'NODEMESH_LAB_NODE';
const WG_UAPI = '/var/run/wireguard';
/** The auth agent's admin endpoint and gate, inside each node (as in e2e/lab/auth-lab.ts). */
export const LAB_AUTH_ADMIN = '127.0.0.1:9878';
export const LAB_AUTH_GATE = '127.0.0.1:15007';
/** The handshake port, on each node's link address (Cilium's mutual-auth port). */
export const LAB_AUTH_PORT = 4250;
/** The lab's own file in the served configuration: Node objects and the auth demo's policy. */
export const LAB_AUTH_FILE = 'nodemesh-lab-auth.yaml';
/** The auth demo's port (memberlist's gossip port: replicas talking to each other by pod address). */
const AUTH_FLOW_PORT = 7946;
const TRUST_DOMAIN = 'cluster.local';

export interface LabFlags {
  name: string;
  stateDir: string;
}

interface ProcessState {
  role: 'xds-server' | 'node-proxy' | 'bpf-agent' | 'encryption-agent' | 'auth-agent' | 'config-sync' | 'workload';
  node: string;
  name: string;
  pid: number;
  cgroup: string;
  log: string;
}

interface WorkloadState {
  name: string;
  node: string;
  /** Where it listens in the lab. */
  address: string;
  /** Its address in the user's configuration, when the lab moved it (a loopback address; see lab-config.ts). */
  configAddress?: string;
  listen: string[];
}

/** One end of the auth demo's flow. */
export interface LabAuthEnd {
  workload: string;
  node: string;
  /** In the lab (moved, for a loopback workload). */
  address: string;
  identity: string;
}

/** The direct workload-to-workload flow the lab's policy requires to authenticate. */
export interface LabAuthFlow {
  /** namespace/name of the MeshPolicy. */
  policy: string;
  port: number;
  src: LabAuthEnd;
  dst: LabAuthEnd;
}

export interface LabState {
  name: string;
  prefix: string;
  phase: 'starting' | 'up';
  /** The user's configuration directory. */
  config: string;
  /** What the xds-servers and BPF agents read: the rewritten copy of `config` (lab-config.ts). */
  servedConfig?: string;
  /** "<node> <config address>" → lab address. */
  addressMoves?: AddressMoves;
  dir: string;
  cgroup: string;
  pinRoot: string;
  nodes: {
    name: string;
    netns: string;
    cgroup: string;
    pinRoot: string;
    addresses: string[];
    accessLog: string;
    /** With encryption: the agent's pod CIDRs, tunnel endpoint, interface and state directory. */
    encryption?: { podCIDRs: string[]; endpoint: string; ifname: string; stateDir: string };
  }[];
  /** The shared directory of Node objects (encryption on), else absent. */
  encryptionNodes?: string;
  links: { a: string; b: string; addressA: string; addressB: string }[];
  /** Mutual authentication: the CA directory, the lab's files in the served configuration, and the demo flow (absent when the configuration has no pair of workloads for one). */
  auth?: { caDir: string; admin: string; gate: string; labFiles: Record<string, string>; flow?: LabAuthFlow };
  /** protocols: per port (same order), how the lab's workloads answer on it. */
  services: { name: string; vips: string[]; ports: number[]; protocols?: ('http' | 'grpc' | 'tcp')[] }[];
  workloads: WorkloadState[];
  processes: ProcessState[];
}

const prefixOf = (name: string) => `nmlab-cli-${name}`;
/** WireGuard interface names of lab `name`: nmc + 6 hex of its hash + the node's index (at most 15 characters). */
export const wgPrefixOf = (name: string) => `nmc${createHash('sha256').update(name).digest('hex').slice(0, 6)}`;
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
  // WireGuard next, with the agents gone (nothing recreates them): deleting
  // the interface makes its wireguard-go daemon exit and remove its control
  // socket; a deleted namespace would not end it.
  removed.push(...removeWireGuard(prefix, wgPrefixOf(flags.name)));
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

/** wireguard-go daemons serving interface `ifname` (their command line is `wireguard-go <ifname>`). */
function wireguardGoPids(ifPrefix: string): { pid: number; ifname: string }[] {
  const found: { pid: number; ifname: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const ifname = argv.find((a) => a.startsWith(ifPrefix));
    if (/(^|\/)wireguard-go$/.test(argv[0] ?? '') && ifname && alive(Number(d))) found.push({ pid: Number(d), ifname });
  }
  return found;
}

/** Deletes lab `prefix`'s WireGuard interfaces (names starting `ifPrefix`), ends their wireguard-go daemons, removes stale control sockets. */
function removeWireGuard(prefix: string, ifPrefix: string): string[] {
  const removed: string[] = [];
  const netns = (spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '').split('\n').map((l) => l.split(' ')[0] ?? '');
  for (const ns of netns.filter((n) => n.startsWith(`${prefix}-`))) {
    const links = JSON.parse(spawnSync('ip', ['-n', ns, '-j', 'link', 'show'], { encoding: 'utf8' }).stdout || '[]') as { ifname: string }[];
    for (const l of links.filter((x) => x.ifname.startsWith(ifPrefix)))
      if (spawnSync('ip', ['-n', ns, 'link', 'del', l.ifname]).status === 0) removed.push(`wireguard interface ${l.ifname} (netns ${ns})`);
  }
  // The daemons exit once their TUN is gone; one that does not (or whose
  // namespace was already deleted) is ended by its pid.
  const deadline = Date.now() + 3_000;
  while (wireguardGoPids(ifPrefix).length && Date.now() < deadline) sleepSync(50);
  for (const { pid, ifname } of wireguardGoPids(ifPrefix)) {
    try {
      process.kill(pid, 'SIGKILL');
      removed.push(`process wireguard-go ${ifname} (pid ${pid})`);
    } catch {
      // gone meanwhile
    }
  }
  if (existsSync(WG_UAPI))
    for (const f of readdirSync(WG_UAPI).filter((x) => x.startsWith(ifPrefix))) {
      rmSync(join(WG_UAPI, f), { force: true });
      removed.push(`file ${join(WG_UAPI, f)}`);
    }
  return removed;
}

/**
 * Pod CIDRs per node (see the header): the /24 of each non-loopback workload
 * address that only this node uses, the /32s of a /24 several nodes share.
 * Loopback workload addresses move into the node's first /24 (same last
 * octet when free; see lab-config.ts); a node without a /24 for them, or
 * without any workload, gets 10.254.<i>.0/24 (and, without workloads, the
 * address .1 of it to send from).
 */
export function labPodCIDRs(addresses: Map<string, string[]>): Map<string, { cidrs: string[]; moves: Map<string, string>; extraAddress?: string }> {
  const slash24 = (a: string) => `${a.split('.').slice(0, 3).join('.')}.0/24`;
  const loop = (a: string) => a.startsWith('127.');
  const owners = new Map<string, Set<string>>();
  const used = new Set<string>();
  for (const [node, addrs] of addresses)
    for (const a of addrs.filter((x) => !loop(x))) {
      owners.set(slash24(a), (owners.get(slash24(a)) ?? new Set()).add(node));
      used.add(a);
    }
  const out = new Map<string, { cidrs: string[]; moves: Map<string, string>; extraAddress?: string }>();
  let i = 0;
  for (const [node, addrs] of addresses) {
    i++;
    const cidrs = [...new Set(addrs.filter((a) => !loop(a)).map((a) => (owners.get(slash24(a))!.size === 1 ? slash24(a) : `${a}/32`)))].sort();
    const moves = new Map<string, string>();
    const loopbacks = [...new Set(addrs.filter(loop))];
    let home = cidrs.find((c) => c.endsWith('/24'));
    if (!home && (loopbacks.length || !cidrs.length)) cidrs.push((home = `10.254.${i}.0/24`));
    const base = home?.split('.').slice(0, 3).join('.');
    for (const a of loopbacks) {
      const last = Number(a.split('.')[3]);
      const candidates = [last, ...Array.from({ length: 253 }, (_, k) => k + 2)].filter((o) => o >= 2 && o <= 254);
      const to = candidates.map((o) => `${base}.${o}`).find((x) => !used.has(x));
      if (!to) throw new Error(`no free address in ${home} for ${a} on ${node}`);
      used.add(to);
      moves.set(a, to);
    }
    const extraAddress = addrs.length === 0 ? `${base}.1` : undefined;
    out.set(node, { cidrs, moves, ...(extraAddress ? { extraAddress } : {}) });
  }
  return out;
}

type PlanWorkload = WorkloadState & { kinds: { kind: 'http' | 'grpc' | 'tcp'; port: number }[] };

/** The auth demo's flow, before the lab moves loopback addresses (the workloads' `address` follows the move). */
interface PlanAuthFlow {
  namespace: string;
  port: number;
  src: { w: PlanWorkload; identity: string; labels: Record<string, string> };
  dst: { w: PlanWorkload; identity: string; labels: Record<string, string> };
}

interface Plan {
  nodes: string[];
  workloads: PlanWorkload[];
  services: LabState['services'];
  authFlow?: PlanAuthFlow;
}

/**
 * A direct flow for the auth demo: a Workload the lab runs (destination,
 * answering on a port of its own) and a Workload of the same namespace on
 * another node (source), both labelled (the policy selects them by their
 * labels); a pair of distinct identities when there is one. Undefined when
 * the configuration has no such pair.
 */
function pickAuthFlow(resources: Pick<Resources, 'workloads'>, workloads: PlanWorkload[]): PlanAuthFlow | undefined {
  const candidates = resources.workloads
    .map((r) => ({ r, w: workloads.find((w) => w.node === (r.spec.node || 'node-a') && w.address === r.spec.address), identity: `spiffe://${TRUST_DOMAIN}/ns/${r.metadata.namespace}/sa/${r.spec.serviceAccount}` }))
    .filter((c): c is typeof c & { w: PlanWorkload } => c.w !== undefined && Object.keys(c.r.spec.labels).length > 0)
    .sort((a, b) => `${a.r.metadata.namespace}/${a.r.metadata.name}`.localeCompare(`${b.r.metadata.namespace}/${b.r.metadata.name}`));
  const pairs = candidates.flatMap((dst) => candidates.filter((src) => src.r.metadata.namespace === dst.r.metadata.namespace && src.w.node !== dst.w.node).map((src) => ({ src, dst })));
  const pair = pairs.find((x) => x.src.identity !== x.dst.identity) ?? pairs[0];
  if (!pair) return undefined;
  let port = AUTH_FLOW_PORT;
  while (pair.dst.w.kinds.some((k) => k.port === port)) port++;
  const end = (c: (typeof candidates)[number]) => ({ w: c.w, identity: c.identity, labels: c.r.spec.labels });
  return { namespace: pair.dst.r.metadata.namespace, port, src: end(pair.src), dst: end(pair.dst) };
}

/** The lab's file in the served configuration: the nodes' Node objects (for the auth agents) and the auth demo's MeshPolicy. */
function labAuthFile(nodes: { name: string; endpoint: string; podCIDRs: string[] }[], flow: PlanAuthFlow | undefined): string {
  const docs: unknown[] = nodes.map((n) => ({
    apiVersion: 'nodemesh.io/v1alpha1',
    kind: 'Node',
    metadata: { name: n.name, annotations: { 'nodemesh.io/auth-port': String(LAB_AUTH_PORT) } },
    spec: { tunnelEndpoint: n.endpoint, podCIDRs: n.podCIDRs },
  }));
  if (flow)
    docs.push({
      apiVersion: 'nodemesh.io/v1alpha1',
      kind: 'MeshPolicy',
      metadata: { name: 'nodemesh-lab-auth', namespace: flow.namespace },
      spec: {
        endpointSelector: { matchLabels: flow.dst.labels },
        ingress: [{ fromEndpoints: [{ matchLabels: flow.src.labels }], toPorts: [{ ports: [{ port: String(flow.port), protocol: 'TCP' }] }], authentication: { mode: 'required' } }],
      },
    });
  const head = [
    '# Written by `nodemesh lab up`, not part of your configuration: the nodes',
    "# (where each node's auth agent listens) and, for the auth demo, one policy",
    '# that requires mutual authentication for a direct workload-to-workload flow',
    flow ? `# (${flow.src.w.name} on ${flow.src.w.node} -> ${flow.dst.w.name} on ${flow.dst.w.node}, port ${flow.port}).` : '# (none: the configuration has no two labelled Workloads of one namespace on two nodes).',
  ];
  return `${head.join('\n')}\n${docs.map((d) => stringify(d)).join('---\n')}`;
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
  const kindOf = (p: { appProtocol?: string }) => (p.appProtocol === 'grpc' ? 'grpc' : p.appProtocol === 'http' || p.appProtocol === 'http2' ? 'http' : 'tcp') as 'http' | 'grpc' | 'tcp';
  const services = model.services.map((s) => ({ name: `${s.namespace}/${s.name}`, vips: s.vips, ports: s.ports.map((p) => p.port), protocols: s.ports.map(kindOf) }));
  const list = [...workloads.values()];
  const authFlow = pickAuthFlow(loaded.resources, list);
  if (authFlow) {
    authFlow.dst.w.kinds.push({ kind: 'tcp', port: authFlow.port });
    authFlow.dst.w.listen.push(`tcp:${authFlow.dst.w.address}:${authFlow.port}`);
  }
  return { nodes: [...nodes].sort(), workloads: list, services, ...(authFlow ? { authFlow } : {}) };
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

/** Why the lab's encryption cannot run here (wg, wireguard-go or kernel WireGuard, /dev/net/tun), or undefined. */
export function labEncryptionUnavailable(): string | undefined {
  const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (!has('wg')) return 'needs wg (Debian package wireguard-tools)';
  if (has('wireguard-go')) return existsSync('/dev/net/tun') ? undefined : 'wireguard-go needs /dev/net/tun';
  const ns = `nmlab-cli-probe-${process.pid}`;
  spawnSync('ip', ['netns', 'add', ns]);
  const kernel = spawnSync('ip', ['-n', ns, 'link', 'add', 'nmcprobe', 'type', 'wireguard']).status === 0;
  spawnSync('ip', ['netns', 'del', ns]);
  return kernel ? undefined : 'needs WireGuard: no kernel module and no wireguard-go (Debian package wireguard-go)';
}

/** `run` (encryption/src/exec.ts) inside a network namespace. */
const runIn =
  (netns: string): Run =>
  (cmd, args, opts) =>
    run('ip', ['netns', 'exec', netns, cmd, ...args], opts);

/** Why `lab up` cannot run here (root, ip, cgroup v2, BTF, built BPF objects, WireGuard when `encrypt`), or undefined. */
export function labUpUnavailable(encrypt: boolean): string | undefined {
  const why = labUnavailable() ?? (existsSync('/sys/kernel/btf/vmlinux') ? undefined : 'kernel BTF is missing (/sys/kernel/btf/vmlinux)') ?? objectsMissing();
  if (why) return why;
  const no = encrypt ? labEncryptionUnavailable() : undefined;
  return no && `encryption: ${no} (or --no-encryption)`;
}

export async function runLabUp(flags: LabFlags & { config: string; encryption?: boolean; check?: boolean }): Promise<void> {
  checkName(flags.name);
  const encrypt = flags.encryption !== false;
  const why = labUpUnavailable(encrypt);
  if (flags.check) {
    console.log(why ?? 'the lab can run here');
    process.exit(why ? 1 : 0);
  }
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
    const podCIDRs = labPodCIDRs(new Map(p.nodes.map((name) => [name, [...new Set(p.workloads.filter((w) => w.node === name).map((w) => w.address))]])));
    // Loopback workloads move into their node's pod CIDR; the servers read the rewritten copy of the configuration.
    state.addressMoves = {};
    for (const w of p.workloads) {
      const to = podCIDRs.get(w.node)!.moves.get(w.address);
      if (!to) continue;
      state.addressMoves[moveKey(w.node, w.address)] = to;
      w.configAddress = w.address;
      w.listen = w.listen.map((l) => l.replace(`:${w.address}:`, `:${to}:`));
      w.address = to;
    }
    state.servedConfig = join(dir, 'config');
    syncLabConfig(state.config, state.servedConfig, state.addressMoves);
    const workloadAddresses = new Map(p.nodes.map((name) => [name, [...new Set(p.workloads.filter((w) => w.node === name && !w.address.startsWith('127.')).map((w) => w.address))]]));
    if (encrypt) {
      state.encryptionNodes = join(dir, 'nodes');
      mkdirSync(state.encryptionNodes, { recursive: true });
    }
    for (const [index, name] of p.nodes.entries()) {
      const node = lab.addNode(name);
      nodes.set(name, node);
      const addresses = workloadAddresses.get(name)!;
      const pod = podCIDRs.get(name)!;
      // Only with encryption: the placeholder pod address a node without workloads sends from.
      const local = encrypt && pod.extraAddress ? [...addresses, pod.extraAddress] : addresses;
      node.addLocalAddresses(local);
      mkdirSync(join(dir, name), { recursive: true });
      const enc = encrypt ? { podCIDRs: pod.cidrs, endpoint: '', ifname: `${wgPrefixOf(flags.name)}${index}`, stateDir: join(dir, name, 'encryption') } : undefined;
      state.nodes.push({ name, netns: node.netns, cgroup: node.cgroupDir, pinRoot: join(lab.pinRoot, name), addresses, accessLog: join(dir, name, 'access.log'), ...(enc ? { encryption: enc } : {}) });
      save();
      progress(`node ${name}: netns ${node.netns}, cgroup ${node.cgroupDir}${addresses.length ? `, workload addresses ${addresses.join(' ')}` : ''}${enc ? `, pod CIDR ${enc.podCIDRs.join(' ')}` : ''}`);
    }
    // Every pair of nodes joined by a veth. Without encryption each node
    // routes the others' workload addresses over it; with it the agents'
    // tunnel routes do (see the header), over the veth as underlay.
    const list = [...nodes.values()];
    const stateOf = (name: string) => state.nodes.find((n) => n.name === name)!;
    for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i]!, list[j]!];
        const link = lab.link(a, b);
        if (!encrypt) {
          for (const addr of stateOf(b.name).addresses) a.exec('ip', ['route', 'add', `${addr}/32`, 'via', link.b]);
          for (const addr of stateOf(a.name).addresses) b.exec('ip', ['route', 'add', `${addr}/32`, 'via', link.a]);
        }
        for (const [n, addr] of [[a, link.a], [b, link.b]] as const) {
          const e = stateOf(n.name).encryption;
          if (e && !e.endpoint) e.endpoint = addr;
        }
        state.links.push({ a: a.name, b: b.name, addressA: link.a, addressB: link.b });
        save();
        progress(`link ${a.name} ${link.a} <-> ${b.name} ${link.b} (veth)`);
      }
    if (encrypt) {
      // A node's endpoint is its address on its first link; with more than
      // two nodes the others reach it over their own link to that node.
      for (const l of state.links)
        for (const [from, to, via] of [[l.a, l.b, l.addressB], [l.b, l.a, l.addressA]] as const) {
          const ep = stateOf(to).encryption!.endpoint;
          if (ep !== via && !state.links.some((x) => (x.a === from && x.addressA === ep) || (x.b === from && x.addressB === ep)))
            nodes.get(from)!.exec('ip', ['route', 'replace', `${ep}/32`, 'via', via]);
        }
      save();
    }

    // Mutual authentication: the CA both nodes' agents sign with, and the
    // lab's file in the served configuration (Node objects: where each
    // node's auth service listens; the demo's policy).
    const linkAddress = (name: string) => {
      const l = state.links.find((x) => x.a === name || x.b === name);
      return l && (l.a === name ? l.addressA : l.addressB);
    };
    // Empty: the first auth agent to start creates the lab's root there and
    // the others load it (auth/src/certs/ca-dir.ts), as on a shared volume.
    const caDir = join(dir, 'ca');
    mkdirSync(caDir, { recursive: true, mode: 0o700 });
    const labFiles = { [LAB_AUTH_FILE]: labAuthFile(p.nodes.map((name) => ({ name, endpoint: linkAddress(name) ?? '127.0.0.1', podCIDRs: podCIDRs.get(name)!.cidrs })), p.authFlow) };
    const f = p.authFlow;
    const end = (e: PlanAuthFlow['src']): LabAuthEnd => ({ workload: e.w.name, node: e.w.node, address: e.w.address, identity: e.identity });
    state.auth = { caDir, admin: LAB_AUTH_ADMIN, gate: LAB_AUTH_GATE, labFiles, ...(f ? { flow: { policy: `${f.namespace}/nodemesh-lab-auth`, port: f.port, src: end(f.src), dst: end(f.dst) } } : {}) };
    syncLabConfig(state.config, state.servedConfig, state.addressMoves, labFiles);
    save();
    const flow = state.auth.flow;
    progress(
      `auth: CA ${caDir}; ${join(state.servedConfig, LAB_AUTH_FILE)}: Node objects (auth port ${LAB_AUTH_PORT})${flow ? `, policy ${flow.policy} requires mutual authentication for ${flow.src.workload}@${flow.src.node} ${flow.src.address} -> ${flow.dst.workload}@${flow.dst.node} ${flow.dst.address}:${flow.port} (tcp echo; a direct flow, by pod address)` : ', no auth demo flow (no two labelled Workloads of one namespace on two nodes)'}`,
    );

    const track = (role: ProcessState['role'], node: string, name: string, pid: number | undefined, cgroup: string, log: string): ProcessState => {
      if (pid === undefined) throw new Error(`${role} ${name} on ${node} did not start`);
      const proc = { role, node, name, pid, cgroup, log };
      state.processes.push(proc);
      save();
      return proc;
    };

    // Encryption agents, all at once (each needs the others' Node objects for its peers).
    const startEncryption = async (name: string, node: LabNode) => {
      const e = stateOf(name).encryption!;
      const log = join(dir, name, 'encryption-agent.log');
      const args = ['encryption', 'agent', '--node', name, '--endpoint', e.endpoint, '--pod-cidr', ...e.podCIDRs, '--config', state.encryptionNodes!, '--state-dir', e.stateDir, '--interface', e.ifname, '--port', String(LAB_WG_PORT), '--log-level', 'info'];
      const child = node.spawn(NODEMESH, args, { cgroup: 'encryption', logFile: log });
      const proc = track('encryption-agent', name, 'encryption', child.pid, node.cgroup('encryption'), log);
      await waitFor(`encryption agent on ${name}`, () => logHas(log, /"msg":"encryption agent running"/), { pid: proc.pid, log });
      const others = state.nodes.filter((n) => n.name !== name);
      let s: EncryptionStatus | undefined;
      await waitFor(
        `encryption agent on ${name}: peers ${others.map((o) => o.name).join(' ')}`,
        async () => {
          s = await encryptionStatus(runIn(node.netns), e.stateDir).catch(() => undefined);
          const routes = await runIn(node.netns)('ip', ['-j', '-4', 'route', 'show', 'dev', e.ifname]).catch(() => '[]');
          const dsts = (JSON.parse(routes) as { dst: string }[]).map((r) => (r.dst.includes('/') ? r.dst : `${r.dst}/32`));
          return others.every((o) => s?.peers.some((x) => x.node === o.name && x.role === 'active') && o.encryption!.podCIDRs.every((c) => dsts.includes(c)));
        },
        { pid: proc.pid, log },
      );
      progress(`encryption agent on ${name}: ${s!.implementation} ${e.ifname}, endpoint ${e.endpoint}:${LAB_WG_PORT}, mtu ${s!.mtu}, peers ${others.map((o) => `${o.name} (${o.encryption!.podCIDRs.join(' ')})`).join(', ')}`);
    };
    if (encrypt) await allSettled([...nodes].map(([name, node]) => startEncryption(name, node)));

    // Workloads first (all at once): the proxies find their backends listening.
    const startWorkload = async (w: Plan['workloads'][number]) => {
      const node = nodes.get(w.node)!;
      const cg = `mesh/${w.name}`;
      const log = join(dir, w.node, `workload-${w.name}.log`);
      const child = node.spawn(NODEMESH, ['lab', 'serve', '--workload', w.name, ...w.listen.flatMap((l) => ['--listen', l])], { cgroup: cg, logFile: log, env: { [LAB_NODE_ENV]: w.node } });
      const proc = track('workload', w.node, w.name, child.pid, node.cgroup(cg), log);
      state.workloads.push({ name: w.name, node: w.node, address: w.address, ...(w.configAddress ? { configAddress: w.configAddress } : {}), listen: w.listen });
      save();
      await waitFor(`workload ${w.name}`, () => logHas(log, /"listening"/), { pid: proc.pid, log });
      progress(`workload ${w.name} on ${w.node}: ${w.listen.join(', ')}${w.configAddress ? ` (${w.configAddress} in ${state.config})` : ''} (cgroup ${node.cgroup(cg)})`);
    };
    await allSettled(p.workloads.map(startWorkload));

    // The rewritten configuration follows the user's edits.
    const slog = join(dir, 'config-sync.log');
    const syncCg = join(lab.cgroupDir, 'agents', 'config-sync');
    const sync = spawnInCgroup(syncCg, NODEMESH, ['lab', 'config-sync', '--name', flags.name, '--state-dir', flags.stateDir], slog);
    const sp = track('config-sync', '-', 'config-sync', sync, syncCg, slog);
    await waitFor('config sync', () => logHas(slog, /"config sync running"/), { pid: sp.pid, log: slog });
    progress(`config ${state.config} -> ${state.servedConfig} (kept in sync; loopback workloads moved: ${Object.entries(state.addressMoves).map(([k, v]) => `${k.split(' ')[1]} on ${k.split(' ')[0]} -> ${v}`).join(', ') || 'none'})`);

    // Then each node's control plane, proxy and agent, the nodes side by side.
    const startNode = async (name: string, node: LabNode) => {
      const n = state.nodes.find((x) => x.name === name)!;
      const socket = join(dir, name, 'xds.sock');
      const xlog = join(dir, name, 'xds-server.log');
      const xds = node.spawn(NODEMESH, ['xds-server', '--config', state.servedConfig!, '--listen', `unix:${socket}`, '--admin', 'off', '--outbound', CAPTURE, '--access-log', n.accessLog, '--log-level', 'warn'], {
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
      const agent = spawnInCgroup(agentCg, NODEMESH, ['bpf', 'agent', '--cgroup', node.cgroupDir, '--pin-root', n.pinRoot, '--config', state.servedConfig!, '--proxy', CAPTURE, '--mesh-cgroup', node.cgroup('mesh'), '--proxy-cgroup', node.cgroup('proxy'), '--admin', 'off', '--auth-datapath'], alog);
      const ap = track('bpf-agent', name, 'bpf-agent', agent, agentCg, alog);
      await waitFor(`bpf agent for ${name}`, () => logHas(alog, /"msg":"auth datapath synced"/), { pid: ap.pid, log: alog });
      progress(`bpf agent for ${name}: programs on ${node.cgroupDir}, pins ${n.pinRoot}, mesh cgroup ${node.cgroup('mesh')} (steering and the auth datapath)`);

      // After the BPF agent: the auth agent writes its entries and its gate into the maps that agent pinned.
      const authLog = join(dir, name, 'auth-agent.log');
      const authCg = 'system/auth';
      // With encryption, auth-required packets from the other nodes count only out of the WireGuard interface.
      const tunnel = stateOf(name).encryption?.ifname;
      const authArgs = ['auth', 'agent', '--node', name, '--config', state.servedConfig!, '--state-dir', join(dir, name, 'auth'), '--ca-dir', caDir, '--trust-domain', TRUST_DOMAIN, '--admin', LAB_AUTH_ADMIN, '--bpf-pin-root', n.pinRoot, '--gate', LAB_AUTH_GATE, ...(tunnel ? ['--tunnel-interface', tunnel] : [])];
      const auth = node.spawn(NODEMESH, authArgs, { cgroup: authCg, hostSys: true, logFile: authLog });
      const up = track('auth-agent', name, 'auth', auth.pid, node.cgroup(authCg), authLog);
      await waitFor(`auth agent on ${name}`, () => logHas(authLog, /"msg":"auth agent running"/), { pid: up.pid, log: authLog });
      const as = await authStatusIn(n.netns).catch(() => undefined);
      progress(`auth agent on ${name}: handshake service ${as?.listen ?? '?'}, gate ${LAB_AUTH_GATE}, admin ${LAB_AUTH_ADMIN} (in the node), ${as?.identities.length ?? '?'} local identities (cgroup ${node.cgroup(authCg)})`);
    };
    await allSettled([...nodes].map(([name, node]) => startNode(name, node)));
    state.phase = 'up';
    save();
    progress(`lab ${flags.name} is up: ${state.nodes.length} nodes, ${state.workloads.length} workloads, ${state.processes.length} processes`);
    console.log(`
  try   nodemesh lab exec ${p.nodes[0]} -- node -e "fetch('http://10.96.0.20/').then(r => r.text()).then(console.log)"
        nodemesh lab status${flags.name === 'default' ? '' : ` --name ${flags.name}`}      (bpf counters${encrypt ? ', WireGuard peers' : ''}, auth gate and entries per node)
        nodemesh lab watch${flags.name === 'default' ? '' : ` --name ${flags.name}`}       (where requests land, the auth-required flow, every 3 s)
        nodemesh lab down${flags.name === 'default' ? '' : ` --name ${flags.name}`}
  state ${stateFile(flags)}  (logs and access logs in ${dir})

${authHelp(state)}`);
  } catch (e) {
    progress(`failed: ${(e as Error).message}`);
    const removed = removeLab(flags);
    progress(`removed what was started (${removed.length} objects)`);
    process.exit(1);
  }
}

/**
 * The node's auth agent's /status (what `nodemesh auth status --json`
 * prints), fetched inside the node's namespace, where its admin endpoint
 * listens: a bare `node -e` rather than the CLI, which takes seconds to
 * start and `lab watch` asks every round.
 */
export async function authStatusIn(netns: string): Promise<AuthAgentStatus> {
  const script = `fetch('http://${LAB_AUTH_ADMIN}/status').then(async (r) => { if (!r.ok) throw new Error('answered ' + r.status); process.stdout.write(await r.text()); }).catch((e) => { console.error(e.cause?.message ?? e.message); process.exit(1); })`;
  return JSON.parse(await runIn(netns)(process.execPath, ['-e', script], { timeoutMs: 5000 })) as AuthAgentStatus;
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
    /** `nodemesh encryption status` of the node (absent: the lab runs without encryption). */
    encryption?: EncryptionStatus;
    encryptionError?: string;
    /** `nodemesh auth status --json` of the node (absent: a lab from before the auth agents). */
    auth?: AuthAgentStatus;
    authError?: string;
  }[];
  /** The auth demo's flow, and what its source node's connect hook did with it so far. */
  authFlow?: LabAuthFlow & { held: number; direct: number };
  services: LabState['services'];
  workloads: (WorkloadState & { running: boolean })[];
  processes: (ProcessState & { running: boolean })[];
}

export async function labStatus(flags: LabFlags): Promise<LabStatus | undefined> {
  const state = readState(flags);
  if (!state) return undefined;
  const netns = new Set((spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '').split('\n').map((l) => l.split(' ')[0]));
  const processes = state.processes.map((p) => ({ ...p, running: alive(p.pid) }));
  const nodes: LabStatus['nodes'] = await Promise.all(
    state.nodes.map(async (n) => {
      const base = { name: n.name, netns: n.netns, netnsExists: netns.has(n.netns), cgroup: n.cgroup, pinRoot: n.pinRoot };
      const [e, a] = await Promise.all([
        n.encryption &&
          encryptionStatus(runIn(n.netns), n.encryption.stateDir).then(
            (encryption) => ({ encryption }),
            (err: Error) => ({ encryptionError: err.message }),
          ),
        state.auth &&
          authStatusIn(n.netns).then(
            (auth) => ({ auth }),
            (err: Error) => ({ authError: `cannot reach the auth agent at ${LAB_AUTH_ADMIN} in ${n.netns}: ${(err instanceof CommandError && err.stderr.trim()) || err.message}` }),
          ),
      ]);
      const enc = { ...e, ...a };
      try {
        const s = steeringStatus(n.pinRoot);
        const counters = Object.fromEntries(Object.entries(s.counters).map(([k, v]) => [k, Number(v)]));
        return { ...base, steering: { services: s.services, links: s.links.length, counters }, ...enc };
      } catch (e) {
        return { ...base, steeringError: (e as Error).message, ...enc };
      }
    }),
  );
  const flow = state.auth?.flow;
  const srcCounters = flow && nodes.find((n) => n.name === flow.src.node)?.steering?.counters;
  return {
    name: state.name,
    phase: state.phase,
    state: stateFile(flags),
    nodes,
    ...(flow ? { authFlow: { ...flow, held: srcCounters?.auth_connect_held ?? 0, direct: srcCounters?.auth_connect_authenticated ?? 0 } } : {}),
    services: state.services,
    workloads: state.workloads.map((w) => ({ ...w, running: processes.some((p) => p.role === 'workload' && p.name === w.name && p.node === w.node && p.running) })),
    processes,
  };
}

export async function runLabStatus(flags: LabFlags & { json?: boolean }): Promise<void> {
  const s = await labStatus(flags);
  if (!s) fail(`no lab ${flags.name}: ${stateFile(flags)} does not exist (nodemesh lab up${flags.name === 'default' ? '' : ` --name ${flags.name}`})`);
  if (flags.json) {
    console.log(JSON.stringify(s, null, 2));
    return;
  }
  console.log(`lab ${s.name}: ${s.phase} (state ${s.state})`);
  for (const n of s.nodes) {
    console.log(`\nnode ${n.name}  netns ${n.netns}${n.netnsExists ? '' : ' (missing)'}  cgroup ${n.cgroup}`);
    for (const p of s.processes.filter((x) => x.node === n.name))
      console.log(`  ${p.running ? 'running' : 'STOPPED'}  ${p.role.padEnd(16)} ${p.name.padEnd(14)} pid ${String(p.pid).padEnd(8)} log ${p.log}`);
    if (n.steering) {
      console.log(`  bpf: ${n.steering.links} links, ${n.steering.services} steered VIP:ports, pins ${n.pinRoot}`);
      const nonzero = Object.entries(n.steering.counters).filter(([, v]) => v > 0);
      for (const [k, v] of nonzero) console.log(`    ${k.padEnd(28)} ${v}`);
      if (!nonzero.length) console.log('    (all counters zero)');
    } else console.log(`  bpf: ${n.steeringError}`);
    if (n.encryption) console.log(formatEncryption(n.encryption).replace(/^/gm, '  '));
    else if (n.encryptionError) console.log(`  encryption: ${n.encryptionError}`);
    else console.log('  encryption: off (lab up --no-encryption)');
    if (n.auth) console.log(formatLabAuth(n.auth).replace(/^/gm, '  '));
    else if (n.authError) console.log(`  auth: ${n.authError}`);
  }
  for (const p of s.processes.filter((x) => x.node === '-'))
    console.log(`\nlab\n  ${p.running ? 'running' : 'STOPPED'}  ${p.role.padEnd(16)} ${''.padEnd(14)} pid ${String(p.pid).padEnd(8)} log ${p.log}`);
  console.log('\nworkloads:');
  for (const w of s.workloads)
    console.log(`  ${w.running ? 'running' : 'STOPPED'}  ${w.name.padEnd(14)} ${w.node.padEnd(8)} ${w.address.padEnd(13)}${w.configAddress ? ` (${w.configAddress} in the config)` : ''}`);
  console.log('\nservices:');
  for (const svc of s.services) console.log(`  ${svc.name.padEnd(20)} ${svc.vips.join(',') || '(headless)'} ports ${svc.ports.join(',')}`);
  const state = readState(flags);
  if (state?.auth) console.log(`\n${authHelp(state)}`);
  if (s.authFlow) {
    const f = s.authFlow;
    console.log(`  so far ${f.src.node}'s connect hook held ${f.held} (the gate forwarded after the handshake) and let ${f.direct} go direct (entry in the kernel)`);
  }
}

/** A node's `nodemesh auth status`, condensed: agent, gate counters, entries. */
export function formatLabAuth(s: AuthAgentStatus): string {
  const refused = Object.values(s.gate?.refused ?? {}).reduce((a, b) => a + (b ?? 0), 0);
  const lines = [
    `auth: service ${s.listen}, ${s.identities.length} local identities, ${s.entries.length} entries, ${s.pending.length} pending, responder handshakes ${s.handshakes.responderOk} ok ${s.handshakes.responderFailed} refused`,
    s.gate ? `  gate ${s.gate.listen}: ${s.gate.held} held, ${s.gate.forwarded} forwarded, ${refused} refused${refused ? ` (${Object.entries(s.gate.refused).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''}` : '  gate: off',
    ...s.entries.map((e) => `  entry ${e.localIdentity} <-> ${e.remoteIdentity} (${e.remoteNode}, ${e.role}, expires in ${e.expiresIn})`),
  ];
  return lines.join('\n');
}

/** What `lab up` and `lab status` say about the auth demo: the flow, how to try it, how to see an agent's state. */
function authHelp(state: LabState): string {
  const f = state.auth?.flow;
  const named = state.name === 'default' ? '' : ` --name ${state.name}`;
  const ns = (node: string) => state.nodes.find((n) => n.name === node)?.netns ?? `${state.prefix}-${node}`;
  const node = f?.src.node ?? state.nodes[0]?.name ?? 'node-a';
  const lines: string[] = [];
  if (f) {
    lines.push(`auth-required flow (policy ${f.policy}, in ${join(state.servedConfig ?? state.dir, LAB_AUTH_FILE)}): ${f.src.workload}@${f.src.node} ${f.src.address} -> ${f.dst.workload}@${f.dst.node} ${f.dst.address}:${f.port}, by pod address`);
    lines.push(
      `  as ${f.src.workload}: nodemesh lab exec${named} ${f.src.node} -- node -e "const s = require('net').connect({ host: '${f.dst.address}', port: ${f.port}, localAddress: '${f.src.address}' }); let got = ''; s.on('data', (d) => (got += d).endsWith('hi\\n') && (console.log(got.trim()), s.destroy())); s.write('hi\\n')"`,
    );
  }
  lines.push(`  a node's auth agent (entries, gate, requirements): ip netns exec ${ns(node)} nodemesh auth status`);
  return lines.join('\n');
}

const ago = (iso: string | undefined) => (iso === undefined ? 'never' : `${Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))}s ago`);
export const bytes = (n: number) => (n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`);

/** A node's `nodemesh encryption status`, condensed: mode, interface, MTU, one line per peer. */
export function formatEncryption(s: EncryptionStatus): string {
  const lines = [
    `encryption: ${s.mode} (${s.implementation}) ${s.ifname} port ${s.listenPort}, mtu ${s.mtu ?? '?'} (underlay ${s.underlayMtu}), strict ${s.strict ? 'on' : 'off'}`,
    ...s.peers.map(
      (p) =>
        `  peer ${(p.node ?? '?').padEnd(8)} ${p.role.padEnd(6)} ${(p.endpoint ?? '-').padEnd(20)} ${(p.allowedIPs.join(',') || '-').padEnd(16)} handshake ${ago(p.latestHandshake).padEnd(9)} rx ${bytes(p.rxBytes).padEnd(10)} tx ${bytes(p.txBytes)}`,
    ),
  ];
  if (!s.peers.length) lines.push('  (no peers)');
  for (const p of s.problems) lines.push(`  problem: ${p}`);
  return lines.join('\n');
}

export function runLabDown(flags: LabFlags): void {
  checkName(flags.name);
  if (process.getuid?.() !== 0) fail('needs root (network namespaces, cgroups, BPF pins)');
  const removed = removeLab(flags);
  for (const r of removed) console.log(`removed ${r}`);
  console.log(removed.length ? `lab ${flags.name} removed` : `lab ${flags.name}: nothing to remove`);
}

/** `nodemesh lab config-sync` (internal, run by lab up): keeps the lab's copy of the configuration in sync. */
export function runLabConfigSync(flags: LabFlags): void {
  const state = readState(flags);
  if (!state?.servedConfig) fail(`no lab ${flags.name} with a served configuration`);
  runConfigSync(state.config, state.servedConfig, state.addressMoves ?? {}, state.auth?.labFiles);
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
 * What `lab exec` does, for a long-running process of this one (lab watch):
 * `command` as a mesh workload of `node`, in cgroup mesh/<tag> (removed by
 * the returned cleanup, and by `down` with the node's cgroup).
 */
export function spawnInLabNode(state: LabState, node: string, tag: string, command: string[]): { child: ChildProcess; cleanup: () => void } {
  const n = state.nodes.find((x) => x.name === node);
  if (!n) throw new Error(`no node ${node} in lab ${state.name}`);
  const cg = join(n.cgroup, 'mesh', tag);
  mkdirSync(cg, { recursive: true });
  const child = spawn('sh', ['-c', 'echo $$ > "$0" && exec "$@"', join(cg, 'cgroup.procs'), 'ip', 'netns', 'exec', n.netns, ...command], { stdio: ['pipe', 'pipe', 'pipe'] });
  return { child, cleanup: () => removeCgroupTree(cg) };
}

export function readLabState(flags: LabFlags): LabState | undefined {
  return readState(flags);
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
          ? http.createServer((req, res) => {
              const node = process.env[LAB_NODE_ENV];
              if (node) res.setHeader('x-nodemesh-lab-node', node);
              res.end(`${flags.workload} ${req.url}`);
            })
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


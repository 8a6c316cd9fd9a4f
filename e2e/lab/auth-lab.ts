// A two-node lab with the whole auth datapath of issue #6: on each node the
// bpf agent (--auth-datapath: nm_auth_connect4 and nm_auth_ingress on the
// mesh cgroup, nm_ip_identity and nm_auth_required from the model) and the
// auth agent (SVIDs from one CA, which the first agent creates in the shared
// CA directory; the handshake service on the node's link address; the auth
// gate on the node's loopback; entries in the node's own pinned maps). Workloads share their node's network namespace,
// each on its own address on lo, in its own cgroup under the node's mesh
// cgroup. n1 (10.244.1.0/24) serves, n2 (10.244.2.0/24) connects.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthDatapath } from '../../bpf/sockmap/src/auth-map.js';
import { BpfMap } from '../../bpf/sockmap/src/maps.js';
import { readCounter } from '../../bpf/sockmap/src/counters.js';
import type { CounterName } from '../../bpf/sockmap/src/structs.js';
import { CLIENT_JS, SERVER_JS } from './auth-workloads.js';
import { jsonLines, type Lines } from './json-lines.js';
import { Lab, type LabNode } from './lab.js';
import { NODEMESH } from './mesh.js';

export const TD = 'cluster.local';
export const spiffe = (sa: string) => `spiffe://${TD}/ns/shop/sa/${sa}`;
export const GATE = { host: '127.0.0.1', port: 15007 };
export const AUTH_PORT = 4250;
export const ADMIN = '127.0.0.1:9878';

/** A MeshPolicy (namespace shop): workloads labelled app=`from` must authenticate to those labelled app=`app` on TCP `port` (per pair, or per connection). */
export function authPolicy(o: { name: string; app: string; from: string; port: number; scope?: 'connection' }): string {
  return `apiVersion: nodemesh.io/v1alpha1
kind: MeshPolicy
metadata: { name: ${o.name}, namespace: shop }
spec:
  endpointSelector: { matchLabels: { app: ${o.app} } }
  ingress:
    - fromEndpoints: [{ matchLabels: { app: ${o.from} } }]
      toPorts: [{ ports: [{ port: "${o.port}", protocol: TCP }] }]
      authentication: { mode: required${o.scope ? `, scope: ${o.scope}` : ''} }
`;
}

export interface AuthLabWorkload {
  name: string;
  sa: string;
  address: string;
  node: 'n1' | 'n2';
  app: string;
}

export interface AuthLabOptions {
  tag: string;
  workloads: AuthLabWorkload[];
  /** Extra YAML documents (policies). */
  policies: string;
  /** Extra flags of both auth agents (also the default of startAuth). */
  authArgs?: string[];
}

export interface NodeAgents {
  node: LabNode;
  pinRoot: string;
  stateDir: string;
  bpf: Lines & { child: ChildProcess };
  auth?: Lines & { child: ChildProcess };
  dp: AuthDatapath;
  counters: BpfMap;
}

/** The initiating workload (auth-workloads.ts CLIENT_JS): send() writes a command and resolves with its reply. */
export type LabClient = Lines & { child: ChildProcess; send(c: Record<string, unknown>): Promise<Record<string, unknown>> };

/** The lab, with its configuration directory and CA, and both nodes' agents. */
export class AuthLab {
  readonly lab: Lab;
  readonly root: string;
  readonly configDir: string;
  readonly caDir: string;
  readonly n1: NodeAgents;
  readonly n2: NodeAgents;
  readonly link: { a: string; b: string };
  readonly authArgs: string[];

  private constructor(lab: Lab, root: string, link: { a: string; b: string }, n1: NodeAgents, n2: NodeAgents, authArgs: string[]) {
    this.lab = lab;
    this.root = root;
    this.configDir = join(root, 'config');
    this.caDir = join(root, 'ca');
    this.link = link;
    this.n1 = n1;
    this.n2 = n2;
    this.authArgs = authArgs;
  }

  static async create(o: AuthLabOptions): Promise<AuthLab> {
    const lab = Lab.create(o.tag);
    const root = mkdtempSync(join(tmpdir(), `nm-${o.tag}-`));
    try {
      const n1 = lab.addNode('n1');
      const n2 = lab.addNode('n2');
      const link = lab.link(n1, n2);
      n1.addLocalAddresses(o.workloads.filter((w) => w.node === 'n1').map((w) => w.address));
      n2.addLocalAddresses(o.workloads.filter((w) => w.node === 'n2').map((w) => w.address));
      n1.route('10.244.2.0/24', link.b);
      n2.route('10.244.1.0/24', link.a);
      const configDir = join(root, 'config');
      const caDir = join(root, 'ca');
      mkdirSync(configDir);
      // Empty: both agents start at once and one of them creates the root (auth/src/certs/ca-dir.ts).
      mkdirSync(caDir);
      writeFileSync(join(configDir, 'nodes.yaml'), [nodeDoc('n1', link.a, '10.244.1.0/24'), nodeDoc('n2', link.b, '10.244.2.0/24')].join('---\n'));
      writeFileSync(join(configDir, 'workloads.yaml'), o.workloads.map(workloadDoc).join('---\n'));
      writeFileSync(join(configDir, 'policies.yaml'), o.policies);
      const agents = async (node: LabNode): Promise<NodeAgents> => {
        const pinRoot = join(lab.pinRoot, node.name);
        const child = spawn(
          NODEMESH,
          ['bpf', 'agent', '--cgroup', node.cgroupDir, '--pin-root', pinRoot, '--config', configDir, '--mesh-cgroup', node.cgroup('mesh'), '--admin', 'off', '--auth-datapath'],
          { stdio: ['ignore', 'inherit', 'pipe'] },
        );
        lab.children.add(child);
        const bpf = { ...jsonLines(child, child.stderr!), child };
        await bpf.wait((l) => l.msg === 'auth datapath synced', 60_000);
        const dp = AuthDatapath.open(pinRoot);
        return { node, pinRoot, stateDir: join(root, `state-${node.name}`), bpf, dp, counters: BpfMap.openPinned(join(pinRoot, 'maps', 'nm_counters')) };
      };
      const lab2 = new AuthLab(lab, root, link, await agents(n1), await agents(n2), o.authArgs ?? []);
      await Promise.all([lab2.startAuth(lab2.n1), lab2.startAuth(lab2.n2)]);
      return lab2;
    } catch (e) {
      lab.teardown();
      rmSync(root, { recursive: true, force: true });
      throw e;
    }
  }

  /** Starts (or restarts) the node's auth agent in its namespace, in cgroup system/auth (under the node's: the getsockopt and sockops hooks apply; not under mesh: its own connects are never held). */
  async startAuth(n: NodeAgents, extra: string[] = this.authArgs): Promise<void> {
    const child = n.node.spawn(
      NODEMESH,
      ['auth', 'agent', '--node', n.node.name, '--config', this.configDir, '--state-dir', n.stateDir, '--ca-dir', this.caDir, '--trust-domain', TD, '--admin', ADMIN, '--bpf-pin-root', n.pinRoot, '--gate', `${GATE.host}:${GATE.port}`, ...extra],
      { cgroup: 'system/auth', hostSys: true },
    );
    n.auth = { ...jsonLines(child, child.stderr!), child };
    await n.auth.wait((l) => l.msg === 'auth agent running', 60_000);
  }

  /** The receiving workload on n1 (auth-workloads.ts SERVER_JS), serving `listen` ("host:port:proto,…"); resolves once every port listens. */
  async startServer(listen: string, cgroup = 'mesh/servers'): Promise<Lines> {
    const server = jsonLines(this.n1.node.spawn(process.execPath, ['-e', SERVER_JS], { cgroup, env: { LISTEN: listen } }));
    for (const spec of listen.split(',')) {
      const port = Number(spec.split(':')[1]);
      await server.wait((l) => l.event === 'listening' && l.port === port);
    }
    return server;
  }

  /** The initiating workload on n2, in `cgroup` (under mesh/: the connect hook applies; elsewhere: it does not). A reply is matched by the command's id (`tag` + a counter when absent). */
  async startClient(cgroup = 'mesh/clients', tag = 'c'): Promise<LabClient> {
    const child = this.n2.node.spawn(process.execPath, ['-e', CLIENT_JS], { cgroup });
    const out = jsonLines(child);
    await out.wait((l) => l.event === 'ready');
    let seq = 0;
    return {
      ...out,
      child,
      send: (c) => {
        const id = String(c.id ?? `${tag}${++seq}`);
        const seen = out.count((l) => l.id === id);
        child.stdin!.write(`${JSON.stringify({ ...c, id })}\n`);
        return out.wait((l) => l.id === id && out.lines.filter((x) => x.id === id).indexOf(l) >= seen, 60_000);
      },
    };
  }

  /** SIGKILL: no clean-up of its own (the gate stays in nm_auth_gate, with nobody listening). */
  async killAuth(n: NodeAgents): Promise<void> {
    const child = n.auth?.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM: the agent withdraws its gate from nm_auth_gate before it exits. */
  async stopAuth(n: NodeAgents): Promise<void> {
    const child = n.auth?.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }

  count(n: NodeAgents, name: CounterName): bigint {
    return readCounter(n.counters, name);
  }

  /** `nodemesh auth status --json` run in the node's namespace, parsed. */
  authStatus(n: NodeAgents): Record<string, unknown> {
    return JSON.parse(n.node.exec(NODEMESH, ['auth', 'status', '--admin', ADMIN, '--json'])) as Record<string, unknown>;
  }

  teardown(): void {
    for (const n of [this.n1, this.n2]) {
      n.counters.close();
      n.dp.close();
    }
    this.lab.teardown();
    rmSync(this.root, { recursive: true, force: true });
  }
}

function nodeDoc(name: string, address: string, podCidr: string): string {
  return `apiVersion: nodemesh.io/v1alpha1
kind: Node
metadata:
  name: ${name}
  annotations: { nodemesh.io/auth-port: "${AUTH_PORT}" }
spec: { tunnelEndpoint: ${address}, podCIDRs: [${podCidr}] }
`;
}

function workloadDoc(w: AuthLabWorkload): string {
  return `apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: ${w.name}, namespace: shop }
spec: { address: ${w.address}, labels: { app: ${w.app} }, serviceAccount: ${w.sa}, node: ${w.node} }
`;
}

// Running the mesh in a lab node: workload processes driven over stdio, and
// nodemesh itself (xds-server, node proxy with the embedded engine, the BPF
// agent) as a user runs it, through bin/nodemesh.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LabNode } from './lab.js';
import type { Command } from './workload.js';

export const NODEMESH = fileURLToPath(new URL('../../bin/nodemesh', import.meta.url));
const WORKLOAD = fileURLToPath(new URL('./workload.ts', import.meta.url));

export class WorkloadClient {
  private seq = 0;
  private readonly pending = new Map<number, (r: Record<string, unknown>) => void>();
  private stderr = '';

  constructor(
    readonly name: string,
    readonly cgroup: string,
    private readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const r = JSON.parse(line) as Record<string, unknown> & { seq: number };
      this.pending.get(r.seq)?.(r);
      this.pending.delete(r.seq);
    });
    child.stderr!.on('data', (d) => (this.stderr += d));
    child.on('exit', (code) => {
      for (const [, resolve] of this.pending) resolve({ ok: false, error: `workload ${name} exited (${code}): ${this.stderr}` });
      this.pending.clear();
    });
  }

  /** Sends a command; resolves with the reply (throws when the workload reports an error). */
  async send<T = Record<string, unknown>>(cmd: Command): Promise<T> {
    const seq = ++this.seq;
    const reply = new Promise<Record<string, unknown>>((resolve) => this.pending.set(seq, resolve));
    this.child.stdin!.write(JSON.stringify({ seq, ...cmd }) + '\n');
    const r = await reply;
    if (!r.ok) throw new Error(`workload ${this.name}: ${cmd.op}: ${String(r.error)}`);
    return r as T;
  }

  /** Like send(), but returns the error message instead of throwing. */
  async attempt(cmd: Command): Promise<Record<string, unknown>> {
    return this.send(cmd).catch((e: Error) => ({ ok: false, error: e.message }));
  }

  stop(): void {
    this.child.stdin!.end();
  }
}

/** Starts a workload process in cgroup `cgroup` (relative to the node's). */
export function startWorkload(node: LabNode, name: string, cgroup: string): WorkloadClient {
  const child = node.spawn(process.execPath, ['--import', 'tsx', WORKLOAD], { cgroup });
  return new WorkloadClient(name, node.cgroup(cgroup), child);
}

/** `nodemesh xds-server` serving `configDir` on a Unix socket, in the node. */
export function startXdsServer(node: LabNode, opts: { cgroup: string; configDir: string; socket: string; accessLog?: string }): ChildProcess {
  const extra = opts.accessLog ? ['--access-log', opts.accessLog] : [];
  return node.spawn(NODEMESH, ['xds-server', '--config', opts.configDir, '--listen', `unix:${opts.socket}`, '--admin', 'off', '--log-level', 'warn', ...extra], {
    cgroup: opts.cgroup,
    stdio: 'inherit',
  });
}

/** `nodemesh node-proxy --engine embedded` in the node. */
export function startNodeProxy(node: LabNode, opts: { cgroup: string; socket: string; admin: string }): ChildProcess {
  return node.spawn(NODEMESH, ['node-proxy', '--engine', 'embedded', '--xds', `unix:${opts.socket}`, '--node-id', node.name, '--admin', opts.admin, '--log-level', 'warn'], {
    cgroup: opts.cgroup,
    stdio: 'inherit',
  });
}

/** Polls `url` from inside the node (through `client`) until it answers 200. */
export async function waitHttpOk(client: WorkloadClient, url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await client.attempt({ op: 'http', url });
    if (r.ok && r.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} never answered 200 (last: ${JSON.stringify(r)})`);
    await new Promise((res) => setTimeout(res, 150));
  }
}

/** Runs `nodemesh <args>` to completion on the host (the BPF agent needs no namespace); returns stdout. */
export function runNodemesh(args: string[]): string {
  const r = spawnSync(NODEMESH, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`nodemesh ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export interface BpfAgent {
  child: ChildProcess;
  /** Its JSON log lines so far, parsed. */
  logs: Record<string, unknown>[];
  /** Resolves with the first log line (present or future) that `match` accepts. */
  waitLog(match: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `nodemesh bpf agent` for `node`, on the host (it needs the host's /sys for
 * cgroups and bpffs); killed by the lab's teardown like the node's processes.
 */
export function startBpfAgent(node: LabNode, opts: { pinRoot: string; configDir: string; meshCgroup: string; proxyCgroup: string; admin?: string }): BpfAgent {
  const args = ['bpf', 'agent', '--cgroup', node.cgroupDir, '--pin-root', opts.pinRoot, '--config', opts.configDir];
  args.push('--mesh-cgroup', opts.meshCgroup, '--proxy-cgroup', opts.proxyCgroup, '--admin', opts.admin ?? 'off');
  const child = spawn(NODEMESH, args, { stdio: ['ignore', 'inherit', 'pipe'] });
  node.lab.children.add(child);
  child.on('exit', () => node.lab.children.delete(child));
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stderr! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line });
    }
    for (const w of waiters) w();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    logs,
    waitLog: (match, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = logs.find(match);
          if (!hit) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`bpf agent: no matching log line in ${timeoutMs} ms; logs: ${JSON.stringify(logs)}`));
        }, timeoutMs);
        waiters.add(check);
        void exited.then(() => {
          if (waiters.has(check)) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`bpf agent exited; logs: ${JSON.stringify(logs)}`));
          }
        });
        check();
      }),
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

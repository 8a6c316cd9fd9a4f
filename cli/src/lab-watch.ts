// `nodemesh lab watch`: the live view of a running `nodemesh lab up` (what
// `npm run demo` shows). Every --interval-ms, from every node, 100 requests
// per service VIP:port, sent by a client that runs as a mesh workload of
// that node (what `lab exec` does: the node's netns, a cgroup under its mesh
// cgroup, so its connects are steered by BPF); it prints where they landed
// (workload@node), the node's BPF counters that moved meanwhile, and each
// node's WireGuard peers with their last handshake and bytes (and how many
// more since the last round). Edit a weight in the lab's config directory
// and the split changes on the next round. The auth-required flow of the lab
// (lab-cmd.ts) is probed too, from its source workload's node and address:
// n connections by pod address, each answered by the destination's TCP echo;
// the source node's connect hook counters say how many were held by the
// auth gate (then forwarded after the handshake: the first one) and how many
// went direct (an entry was in the kernel); then each node's gate counters
// and entries, as `nodemesh auth status` reports them.
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bytes, labStatus, readLabState, spawnInLabNode, type LabFlags, type LabState, type LabStatus } from './lab-cmd.js';
import type { ProbeRequest, ProbeResult, ProbeTarget } from './lab-probe.js';

export interface LabWatchFlags extends LabFlags {
  intervalMs: string;
  requests: string;
  once?: boolean;
}

interface Prober {
  node: string;
  ask(req: Omit<ProbeRequest, 'seq'>): Promise<ProbeResult[]>;
  stop(): void;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROBE = fileURLToPath(new URL(`./lab-probe.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));

/** The probe client as a long-running mesh workload of `node`. */
async function startProber(state: LabState, node: string): Promise<Prober> {
  const args = PROBE.endsWith('.ts') ? ['--import', 'tsx', PROBE] : [PROBE];
  const { child, cleanup } = spawnInLabNode(state, node, `watch-${process.pid}`, [process.execPath, ...args]);
  const pending = new Map<number, (r: ProbeResult[]) => void>();
  let seq = 0;
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as { ready?: boolean; seq?: number; results?: ProbeResult[] };
      if (m.ready) resolve();
      else if (m.seq !== undefined) {
        pending.get(m.seq)?.(m.results!);
        pending.delete(m.seq);
      }
    });
    child.once('exit', (code) => {
      const err = new Error(`the watch client on ${node} exited (${code}): ${stderr.trim()}`);
      reject(err);
      for (const [, r] of pending) r([{ answers: {}, failed: 0, error: err.message }]);
      pending.clear();
      cleanup();
    });
  });
  void ready.catch(() => {});
  // Started from the repository root: `--import tsx` resolves there.
  await ready;
  return {
    node,
    ask: (req) =>
      new Promise((resolve) => {
        const s = ++seq;
        pending.set(s, resolve);
        child.stdin!.write(`${JSON.stringify({ seq: s, ...req })}\n`);
      }),
    stop: () => {
      child.kill('SIGKILL');
      cleanup();
    },
  };
}

const time = () => new Date().toISOString().slice(11, 19);

/** Where the answers came from: "<workload>@<node>" (the node from the answer, or the only node that runs a workload of that name). */
function landed(state: LabState, who: string): string {
  if (who.includes('@')) return who;
  const nodes = new Set(state.workloads.filter((w) => w.name === who).map((w) => w.node));
  return nodes.size === 1 ? `${who}@${[...nodes][0]}` : who;
}

function targetsOf(state: LabState): { label: string; target: ProbeTarget }[] {
  const out: { label: string; target: ProbeTarget }[] = [];
  for (const svc of state.services) {
    const [ns, name] = svc.name.split('/');
    for (const [i, port] of svc.ports.entries())
      for (const vip of svc.vips) {
        const kind = svc.protocols?.[i] ?? 'tcp';
        out.push({ label: `${`${name}.${ns}`.padEnd(18)} ${kind.padEnd(4)} ${`${vip}:${port}`.padEnd(17)}`, target: { kind, host: vip, port } });
      }
  }
  return out;
}

export async function runLabWatch(flags: LabWatchFlags): Promise<void> {
  const state = readLabState(flags);
  if (!state || state.phase !== 'up') {
    console.error(`nodemesh lab watch: lab ${flags.name} is not up (nodemesh lab up${flags.name === 'default' ? '' : ` --name ${flags.name}`})`);
    process.exit(1);
  }
  if (!existsSync(PROBE)) throw new Error(`${PROBE} is missing`);
  process.chdir(ROOT);
  const n = Number(flags.requests);
  const targets = targetsOf(state);
  const encrypted = state.nodes.every((x) => x.encryption);
  const flow = state.auth?.flow;
  const authTarget: ProbeTarget | undefined = flow && { kind: 'tcp', host: flow.dst.address, port: flow.port, local: flow.src.address };
  const probers = await Promise.all(state.nodes.map((x) => startProber(state, x.name)));
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const p of probers) p.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  console.log(
    `nodemesh lab watch: lab ${state.name}, config ${state.config} (watched: edit a weight and save)\n` +
      `every ${Number(flags.intervalMs) / 1000} s, from each node: ${n} requests per service, each answered by workload@node${encrypted ? ' ((wg): from the other node, through WireGuard)' : ''};\n` +
      `then the BPF counters that moved on each node, and the WireGuard peers. Ctrl-C stops.` +
      (flow
        ? `\nauth: ${flow.src.workload}@${flow.src.node} -> ${flow.dst.workload}@${flow.dst.node} ${flow.dst.address}:${flow.port} requires mutual authentication (policy ${flow.policy}): ` +
          `the first connection is held by ${flow.src.node}'s auth gate until the agents have authenticated, later ones go direct; then each node's gate counters and entries.`
        : ''),
  );
  let last: LabStatus | undefined = await labStatus(flags);
  for (;;) {
    const started = Date.now();
    const rounds = await Promise.all(
      probers.map(async (p) => {
        const withAuth = flow && p.node === flow.src.node ? [authTarget!] : [];
        const results = await p.ask({ n, targets: [...targets.map((t) => t.target), ...withAuth] });
        return { node: p.node, results, auth: withAuth.length ? results[targets.length] : undefined };
      }),
    );
    const now = await labStatus(flags);
    const lines = [`\n${time()}`];
    for (const r of rounds)
      for (const [i, t] of targets.entries()) {
        const res = r.results[i] ?? { answers: {}, failed: n, error: 'no answer' };
        const shares = Object.entries(res.answers)
          .map(([who, c]) => [landed(state, who), c] as const)
          .sort(([a], [b]) => a.localeCompare(b))
          // Landed on another node: through WireGuard when the lab encrypts.
          .map(([who, c]) => `${who} ${Math.round((100 * c) / n)}%${encrypted && !who.endsWith(`@${r.node}`) ? ' (wg)' : ''}`)
          .join('  ');
        lines.push(`  from ${r.node.padEnd(7)} ${t.label} ${shares}${res.failed ? `  failed ${res.failed} (${res.error})` : ''}`);
      }
    if (flow) {
      const res = rounds.find((r) => r.auth)?.auth ?? { answers: {}, failed: n, error: 'no answer' };
      const shares = Object.entries(res.answers)
        .map(([who, c]) => `${who}@${flow.dst.node} ${Math.round((100 * c) / n)}%${encrypted && flow.dst.node !== flow.src.node ? ' (wg)' : ''}`)
        .join('  ');
      const held = (now?.authFlow?.held ?? 0) - (last?.authFlow?.held ?? 0);
      const direct = (now?.authFlow?.direct ?? 0) - (last?.authFlow?.direct ?? 0);
      // What the gate did with what the connect hook sent it: unknown while its agent does not answer.
      const gateNow = now?.nodes.find((x) => x.name === flow.src.node)?.auth?.gate;
      const gateLast = last?.nodes.find((x) => x.name === flow.src.node)?.auth?.gate;
      const forwarded = gateNow && gateLast ? gateNow.forwarded - gateLast.forwarded : undefined;
      const gated = !held ? '' : forwarded === undefined ? `${held} sent to the gate, whose agent does not answer, ` : `${held} held by the gate${forwarded === held ? ' then forwarded' : `, ${forwarded} forwarded`}, `;
      lines.push(
        `  from ${flow.src.node.padEnd(7)} ${flow.dst.workload.padEnd(18)} auth ${`${flow.dst.address}:${flow.port}`.padEnd(17)} ${shares}${res.failed ? `  failed ${res.failed} (${res.error})` : ''}  ` +
          `(as ${flow.src.workload} ${flow.src.address}, auth required: ${gated}${direct} direct)`,
      );
    }
    for (const node of now?.nodes ?? []) {
      const before = last?.nodes.find((x) => x.name === node.name)?.steering?.counters ?? {};
      const moved = Object.entries(node.steering?.counters ?? {})
        .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
        .filter(([, d]) => d > 0)
        .map(([k, d]) => `${k} +${d}`);
      lines.push(`  bpf ${node.name.padEnd(7)} ${node.steering ? moved.join('  ') || '(no counter moved)' : node.steeringError}`);
    }
    for (const node of now?.nodes ?? []) {
      if (!node.encryption) {
        lines.push(`  wg  ${node.name.padEnd(7)} ${node.encryptionError ?? 'encryption off'}`);
        continue;
      }
      const prev = last?.nodes.find((x) => x.name === node.name)?.encryption;
      for (const p of node.encryption.peers) {
        const was = prev?.peers.find((x) => x.publicKey === p.publicKey);
        const hs = p.latestHandshake ? `${Math.max(0, Math.round((Date.now() - Date.parse(p.latestHandshake)) / 1000))}s ago` : 'never';
        const delta = (a: number, b: number | undefined) => (b === undefined ? '' : ` (+${bytes(Math.max(0, a - b))})`);
        lines.push(
          `  wg  ${node.name.padEnd(7)} ${node.encryption.ifname} → ${(p.node ?? '?').padEnd(7)} ${p.endpoint ?? '-'}  handshake ${hs}  tx ${bytes(p.txBytes)}${delta(p.txBytes, was?.txBytes)}  rx ${bytes(p.rxBytes)}${delta(p.rxBytes, was?.rxBytes)}`,
        );
      }
      if (!node.encryption.peers.length) lines.push(`  wg  ${node.name.padEnd(7)} no peers`);
    }
    for (const node of now?.nodes ?? []) {
      if (!node.auth) {
        if (node.authError) lines.push(`  auth ${node.name.padEnd(7)} ${node.authError}`);
        continue;
      }
      const g = node.auth.gate;
      const was = last?.nodes.find((x) => x.name === node.name)?.auth?.gate;
      const d = (a: number, b: number | undefined) => (b === undefined || a === b ? '' : ` (+${a - b})`);
      const refused = (x: typeof g) => Object.values(x?.refused ?? {}).reduce((a, b) => a + (b ?? 0), 0);
      lines.push(
        `  auth ${node.name.padEnd(7)} ${g ? `gate ${g.held} held${d(g.held, was?.held)}, ${g.forwarded} forwarded${d(g.forwarded, was?.forwarded)}, ${refused(g)} refused${d(refused(g), was && refused(was))}` : 'gate off'}; ${node.auth.entries.length} entries`,
      );
    }
    console.log(lines.join('\n'));
    last = now;
    if (flags.once) return stop();
    await new Promise((r) => setTimeout(r, Math.max(0, Number(flags.intervalMs) - (Date.now() - started))));
  }
}

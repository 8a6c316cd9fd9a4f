// `nodemesh lab up|status|exec|down` (issue #5): the user-facing lab on the
// real kernel, run as a user runs it (bin/nodemesh, separate processes). up
// starts examples/ on two nodes (netns + veth) with per-node xds-server, node
// proxy and BPF agent; a request from a workload to a service VIP is answered
// through the proxy (BPF counters and the proxy's access log asserted),
// locally and across the veth link; status reports it; down leaves no
// namespace, cgroup, pin, process or file behind. A unique lab name per run;
// down runs in after() whatever happened. Needs root and the built objects.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { objectsMissing } from '../bpf/sockmap/src/preflight.js';
import { alive, type LabStatus } from '../cli/src/lab-cmd.js';
import { cgroup2Root, labUnavailable } from './lab/lab.js';
import { NODEMESH } from './lab/mesh.js';

const skip = labUnavailable() ?? objectsMissing();
if (skip) console.log(`# SKIPPED lab CLI e2e: ${skip}`);

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
      /link node-a 10\.255\.1\.1 <-> node-b 10\.255\.1\.2/,
      /workload postgres-0 on node-a: tcp:10\.244\.1\.20:5432/,
      /workload web-abc12 on node-a: http:10\.244\.1\.10:8080/,
      /workload checkout-v1 on node-a: grpc:127\.0\.0\.11:19001/,
      /xds-server on node-b/,
      /node proxy on node-a: .*ready/,
      /bpf agent for node-b/,
      /lab e2e\d+ is up: 2 nodes, 5 workloads, 11 processes/,
    ])
      assert.match(upOutput, re);
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

  it('a workload on node-b reaches a service whose backend runs on node-a, over the veth link', () => {
    const before = counters('node-b');
    const script = "const s = require('net').connect(5432, '10.96.0.30'); s.once('data', (d) => { process.stdout.write(String(d)); s.destroy(); });";
    assert.equal(inNode('node-b', script).trim(), 'postgres-0');
    const after = counters('node-b');
    assert.equal((after.connect_redirected ?? 0) - (before.connect_redirected ?? 0), 1);
    // node-b's proxy dials 10.244.1.20 (no service): not redirected.
    assert.equal((after.connect_not_service ?? 0) - (before.connect_not_service ?? 0), 1);
  });

  it('status shows nodes, workloads, processes and per-node BPF state', () => {
    const s = status();
    pids = s.processes.map((p) => p.pid);
    assert.equal(s.phase, 'up');
    assert.deepEqual(s.nodes.map((n) => [n.name, n.netnsExists, n.steering?.links, n.steering?.services]), [
      ['node-a', true, 7, 3],
      ['node-b', true, 7, 3],
    ]);
    assert.deepEqual(
      s.workloads.map((w) => `${w.node} ${w.name} ${w.address} ${w.running}`).sort(),
      ['node-a checkout-v1 127.0.0.11 true', 'node-a postgres-0 10.244.1.20 true', 'node-a web-abc12 10.244.1.10 true', 'node-b checkout-v2 127.0.0.12 true', 'node-b web-abc12 10.244.2.10 true'],
    );
    assert.deepEqual(
      s.processes.filter((p) => p.role !== 'workload').map((p) => `${p.node} ${p.role} ${p.running}`).sort(),
      ['node-a bpf-agent true', 'node-a node-proxy true', 'node-a xds-server true', 'node-b bpf-agent true', 'node-b node-proxy true', 'node-b xds-server true'],
    );
    const human = nodemesh(['lab', 'status', ...common]);
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, /node node-a/);
    assert.match(human.stdout, /running {2}bpf-agent/);
    assert.match(human.stdout, /connect_redirected\s+[1-9]/);
  });

  it('up again while the lab runs refuses, and the lab keeps running', () => {
    const r = nodemesh(['lab', 'up', ...common, '--config', EXAMPLES]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /lab e2e\d+ is up \(11 processes running/);
    assert.ok(status().processes.every((p) => p.running));
  });

  it('down removes every namespace, cgroup, pin, process and file', () => {
    assert.ok(pids.length === 11, `pids from status: ${pids.join(' ')}`);
    const r = nodemesh(['lab', 'down', ...common]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /lab e2e\d+ removed/);
    const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(netns, new RegExp(prefix));
    assert.equal(existsSync(join(cgroup2Root()!, prefix)), false, 'cgroup');
    assert.equal(existsSync(join('/sys/fs/bpf', prefix)), false, 'pins');
    assert.deepEqual(pids.filter(alive), [], 'processes (a zombie init has not reaped yet counts as gone)');
    assert.deepEqual(readdirSync(stateDir), [], 'state file, logs and sockets');
    // Again: nothing left, still fine.
    const again = nodemesh(['lab', 'down', ...common]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /nothing to remove/);
  });
});

describe('nodemesh lab down after a crashed up', { skip }, () => {
  it('removes the namespaces, cgroups and pins of a lab whose state file is gone', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'nodemesh-lab-cli-crash-'));
    const crashed = `c${process.pid}`;
    const p = `nmlab-cli-${crashed}`;
    const cg = join(cgroup2Root()!, p);
    try {
      // What an up killed after its first steps leaves: a netns, a cgroup with a process, a pin dir; no state file.
      assert.equal(spawnSync('ip', ['netns', 'add', `${p}-node-a`]).status, 0);
      spawnSync('mkdir', ['-p', join(cg, 'node-a', 'mesh', 'w'), join('/sys/fs/bpf', p, 'node-a')]);
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
    } finally {
      spawnSync('ip', ['netns', 'del', `${p}-node-a`]);
      spawnSync(NODEMESH, ['lab', 'down', '--name', crashed, '--state-dir', stateDir]);
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

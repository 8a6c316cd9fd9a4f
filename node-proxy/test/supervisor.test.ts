// The Envoy supervisor's process handling: readiness, crash restarts with
// backoff, hot restart and graceful stop. The process it supervises here is
// test/fixtures/fake-envoy.mjs, a stand-in for Envoy's process interface
// (flags, admin endpoints, hot-restart epochs, exits); Envoy's own behaviour
// under the supervisor is tested by envoy.test.ts where `envoy` is on PATH.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../xds-server/src/log.js';
import { waitFor } from '../../xds-server/test/helpers.js';
import { bootstrapJson, envoyBootstrap } from '../src/bootstrap.js';
import { findEnvoy } from '../src/envoy/find.js';
import { EnvoySupervisor, type EnvoySupervisorOptions } from '../src/envoy/supervisor.js';
import { freePort } from '../../tools/free-port.js';

const FAKE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/fake-envoy.mjs');
console.log(
  'NOTE: supervisor.test.ts supervises test/fixtures/fake-envoy.mjs: a STAND-IN for Envoy\'s process interface ' +
    '(command line, admin endpoints, hot-restart epochs, exits), not Envoy. Envoy\'s own behaviour is tested by ' +
    'envoy.test.ts when `envoy` is on PATH.',
);

interface LogRecord {
  msg: string;
  at: number;
  [k: string]: unknown;
}

interface FakeEvent {
  t: number;
  pid: number;
  epoch: number;
  baseId: number;
  event: string;
  [k: string]: unknown;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP connection to a listener of the fake: each line sent is answered with "epoch=<N> pid=<pid>". */
class LineClient {
  private buf = '';
  private waiting: ((line: string) => void)[] = [];
  closed = false;

  private constructor(readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (c: string) => {
      this.buf += c;
      for (let i = this.buf.indexOf('\n'); i >= 0; i = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        this.waiting.shift()?.(line);
      }
    });
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => {});
  }

  static connect(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => resolve(new LineClient(s)));
      s.once('error', reject);
    });
  }

  ask(): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer within 2 s')), 2_000);
      this.waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
      this.sock.write('ping\n');
    });
  }
}

/** One supervisor over the fake, in its own directory, with its logs captured. */
class Harness {
  readonly dir = mkdtempSync(join(tmpdir(), 'nodemesh-supervisor-'));
  readonly logs: LogRecord[] = [];
  readonly clients: LineClient[] = [];
  readonly baseId = 1000 + Math.floor(Math.random() * 50_000);
  sup!: EnvoySupervisor;
  adminPort = 0;
  dataPort = 0;

  static async create(o: Partial<EnvoySupervisorOptions> & { initMs?: number } = {}): Promise<Harness> {
    const h = new Harness();
    harnesses.push(h);
    h.adminPort = await freePort();
    h.dataPort = await freePort();
    const bootstrapPath = join(h.dir, 'bootstrap.json');
    const b = envoyBootstrap({
      nodeId: 'fake',
      cluster: 'fake',
      xdsAddress: `unix:${join(h.dir, 'xds.sock')}`,
      adminPort: h.adminPort,
      staticListeners: [{ name: 'data', address: { socket_address: { address: '127.0.0.1', port_value: h.dataPort } } }],
    });
    writeFileSync(bootstrapPath, bootstrapJson(b));
    const { initMs, ...rest } = o;
    h.sup = new EnvoySupervisor({
      envoyPath: FAKE,
      bootstrapPath,
      adminAddress: `127.0.0.1:${h.adminPort}`,
      baseId: h.baseId,
      drainTimeS: 1,
      parentShutdownTimeS: 2,
      log: createLogger({ level: 'debug', write: (line) => h.logs.push({ ...(JSON.parse(line) as { msg: string }), at: Date.now() }) }),
      env: { ...process.env, FAKE_ENVOY_DIR: h.dir, FAKE_ENVOY_INIT_MS: String(initMs ?? 100) },
      stdio: 'ignore',
      readyPollMs: 50,
      killGraceMs: 300,
      backoff: { initialMs: 150, maxMs: 2_000, resetAfterMs: 500 },
      ...rest,
    });
    return h;
  }

  events(): FakeEvent[] {
    const f = join(this.dir, 'events.jsonl');
    if (!existsSync(f)) return [];
    return readFileSync(f, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as FakeEvent);
  }

  logged(msg: string): LogRecord[] {
    return this.logs.filter((r) => r.msg === msg);
  }

  control(file: 'crash' | 'ignore-sigterm', content = ''): void {
    writeFileSync(join(this.dir, file), content);
  }

  clear(file: 'crash' | 'ignore-sigterm'): void {
    rmSync(join(this.dir, file), { force: true });
  }

  async connect(): Promise<LineClient> {
    const c = await waitFor('the data listener', () => LineClient.connect(this.dataPort).catch(() => undefined), 5_000);
    this.clients.push(c);
    return c;
  }

  /** Runs even when a test failed: no fake may outlive the suite. */
  async cleanup(): Promise<void> {
    for (const c of this.clients) c.sock.destroy();
    await Promise.race([this.sup?.stop({ drainWaitMs: 0 }).catch(() => {}), sleep(3_000)]);
    const pids = new Set([...this.events().map((e) => e.pid), ...this.logged('envoy started').map((r) => r.pid as number)]);
    for (const pid of pids) {
      if (!alive(pid)) continue;
      try {
        process.kill(-pid, 'SIGKILL'); // the supervisor starts each Envoy in its own process group
      } catch {
        process.kill(pid, 'SIGKILL');
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const harnesses: Harness[] = [];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('EnvoySupervisor (against the fake-envoy stand-in)', () => {
  before(() => chmodSync(FAKE, 0o755));
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.cleanup();
  });

  it('starts Envoy with the hot-restart command line and waits for /ready to answer LIVE', async () => {
    const h = await Harness.create({ initMs: 300 });
    const started = h.sup.start();
    assert.equal(h.sup.status().state, 'starting');
    await started;
    const resolvedAt = Date.now();

    const st = h.sup.status();
    assert.equal(st.state, 'ready');
    assert.equal(st.epoch, 0);
    const ev = h.events();
    const probes = ev.filter((e) => e.event === 'ready_probe');
    assert.ok(probes.some((p) => p.state !== 'LIVE'), 'the supervisor polled /ready while Envoy was still initializing');
    assert.equal(probes.at(-1)?.state, 'LIVE');
    const live = ev.find((e) => e.event === 'live');
    assert.ok(live && live.t <= resolvedAt, 'start() resolved only after Envoy went LIVE');
    assert.deepEqual(ev.find((e) => e.event === 'start')?.argv, [
      '-c', join(h.dir, 'bootstrap.json'),
      '--restart-epoch', '0',
      '--base-id', String(h.baseId),
      '--drain-time-s', '1',
      '--parent-shutdown-time-s', '2',
      '--drain-strategy', 'gradual',
      '--log-format-escaped',
    ]);
    assert.deepEqual(
      h.logged('envoy state').map((r) => [r.from, r.to]),
      [['stopped', 'starting'], ['starting', 'ready']],
    );
    assert.match(await (await h.connect()).ask(), /^epoch=0 /);
  });

  it('restarts a crashed Envoy with doubling backoff, reset after a ready spell', async () => {
    const h = await Harness.create();
    await h.sup.start();

    h.control('crash'); // the running epoch crashes, and so does the first restart
    await waitFor('two scheduled restarts', () => h.logged('envoy restart scheduled').length >= 2, 5_000);
    h.clear('crash');
    await waitFor('ready after two restarts', () => h.sup.status().state === 'ready' && h.sup.status().restarts === 2, 5_000);

    const scheduled = h.logged('envoy restart scheduled');
    assert.deepEqual(scheduled.map((r) => r.delayMs), [150, 300]);
    const crashes = h.logged('envoy exited unexpectedly');
    const starts = h.logged('envoy started');
    assert.equal(crashes.length, 2);
    assert.equal(starts.length, 3);
    const gap1 = starts[1]!.at - crashes[0]!.at;
    const gap2 = starts[2]!.at - crashes[1]!.at;
    assert.ok(gap1 >= 150, `first restart waited ${gap1} ms`);
    assert.ok(gap2 >= 300, `second restart waited ${gap2} ms`);
    assert.ok(gap2 > gap1, `the second restart (${gap2} ms) waited longer than the first (${gap1} ms)`);
    const st = h.sup.status();
    assert.equal(st.lastExitCode, 1);
    assert.equal(st.lastExit?.expected, false);
    assert.equal(st.epoch, 0, 'a crash restarts from epoch 0');

    // Ready for longer than resetAfterMs: the next crash restarts after the initial delay again.
    await sleep(600);
    h.control('crash');
    await waitFor('a third scheduled restart', () => h.logged('envoy restart scheduled').length >= 3, 5_000);
    h.clear('crash');
    assert.equal(h.logged('envoy restart scheduled')[2]!.delayMs, 150);
    await waitFor('ready again', () => h.sup.status().state === 'ready', 5_000);
    assert.equal(h.sup.status().restarts, 3);
  });

  it('hot restart: epoch 1 with the same base id while epoch 0 keeps answering; the parent exiting is no crash', async () => {
    const h = await Harness.create();
    await h.sup.start();
    const conn = await h.connect();
    const first = await conn.ask();
    assert.match(first, /^epoch=0 /);
    const pid0 = h.sup.status().processes[0]!.pid!;

    await h.sup.hotRestart();
    const resolvedAt = Date.now();
    // Epoch 0 answers /ready with LIVE until epoch 1 takes the admin port:
    // only an answer from epoch 1 itself counts.
    const live1 = h.events().find((e) => e.event === 'live' && e.epoch === 1);
    assert.ok(live1 && live1.t <= resolvedAt, 'hotRestart() resolved only after epoch 1 went LIVE');

    let st = h.sup.status();
    assert.equal(st.state, 'ready');
    assert.equal(st.epoch, 1);
    assert.equal(st.hotRestarts, 1);
    assert.deepEqual(
      st.processes.map((p) => [p.epoch, p.role]).sort(),
      [[0, 'parent'], [1, 'serving']],
    );
    const starts = h.events().filter((e) => e.event === 'start');
    const argOf = (e: FakeEvent, flag: string) => {
      const argv = e.argv as string[];
      return argv[argv.indexOf(flag) + 1];
    };
    assert.deepEqual(starts.map((e) => argOf(e, '--restart-epoch')), ['0', '1']);
    assert.deepEqual(starts.map((e) => argOf(e, '--base-id')), [String(h.baseId), String(h.baseId)]);

    // The parent still serves the connection it had, and is alive.
    assert.ok(alive(pid0));
    assert.equal(await conn.ask(), first);
    const dump = await h.sup.configDump();
    assert.ok(Array.isArray(dump.configs), 'configDump() returns the admin /config_dump object');

    // Envoy's child ends the parent after --parent-shutdown-time-s (2 s here).
    await waitFor('the parent to exit', () => h.sup.status().processes.length === 1, 6_000);
    st = h.sup.status();
    assert.equal(st.state, 'ready');
    assert.equal(st.epoch, 1);
    assert.equal(st.restarts, 0, 'the parent exiting is not a crash');
    assert.deepEqual([st.lastExit?.epoch, st.lastExit?.code, st.lastExit?.expected], [0, 0, true]);
    assert.deepEqual(h.logged('envoy exited unexpectedly'), []);
    assert.deepEqual(h.logged('envoy restart scheduled'), []);
    const ev = h.events();
    const terminated = ev.find((e) => e.event === 'parent_terminated' && e.epoch === 0)!;
    assert.ok(terminated.t - live1.t >= 1_990, 'the parent was left running for parent-shutdown-time');
    const fresh = await waitFor('epoch 1 on the listener', async () => {
      const c = await h.connect().catch(() => undefined);
      const a = await c?.ask().catch(() => undefined);
      return a?.startsWith('epoch=1 ') ? a : undefined;
    }, 5_000);
    assert.match(fresh, /^epoch=1 /);
  });

  it('a hot restart whose new epoch dies leaves the serving epoch in place, and can be retried', async () => {
    const h = await Harness.create();
    await h.sup.start();
    const conn = await h.connect();
    assert.match(await conn.ask(), /^epoch=0 /);

    h.control('crash', '1');
    await assert.rejects(h.sup.hotRestart(), /hot restart failed: epoch 1 exited/);
    await waitFor('ready on epoch 0', () => h.sup.status().state === 'ready', 5_000);
    let st = h.sup.status();
    assert.equal(st.epoch, 0);
    assert.equal(st.restarts, 0);
    assert.match(await conn.ask(), /^epoch=0 /);
    assert.deepEqual(h.logged('envoy restart scheduled'), []);

    h.clear('crash');
    await h.sup.hotRestart();
    st = h.sup.status();
    assert.equal(st.epoch, 1, 'the retry uses the same epoch number');
  });

  it('stop(): /healthcheck/fail, then /drain_listeners?graceful, the drain time, SIGTERM, and SIGKILL if ignored', async () => {
    const h = await Harness.create();
    await h.sup.start();
    const pid = h.sup.status().processes[0]!.pid!;
    h.control('ignore-sigterm');

    await h.sup.stop();

    const ev = h.events();
    const at = (name: string) => ev.findIndex((e) => e.event === name);
    assert.ok(at('healthcheck_fail') >= 0 && at('healthcheck_fail') < at('drain_listeners'), 'health checks fail first');
    assert.ok(at('drain_listeners') < at('sigterm'), 'listeners drain before SIGTERM');
    assert.equal(ev[at('drain_listeners')]!.graceful, true);
    assert.ok(ev[at('sigterm')]!.t - ev[at('drain_listeners')]!.t >= 990, 'SIGTERM waited for the drain time (1 s)');
    assert.deepEqual(ev.filter((e) => e.event === 'wrong_method'), [], 'mutating admin calls are POSTs');
    const st = h.sup.status();
    assert.equal(st.state, 'stopped');
    assert.deepEqual(st.processes, []);
    assert.equal(st.lastExit?.signal, 'SIGKILL');
    assert.equal(h.logged('envoy ignored SIGTERM; sending SIGKILL').length, 1);
    assert.equal(alive(pid), false);
    assert.deepEqual(
      h.logged('envoy state').map((r) => r.to),
      ['starting', 'ready', 'draining', 'stopped'],
    );
  });

  it('stop(): an Envoy that honours SIGTERM exits cleanly, without SIGKILL', async () => {
    const h = await Harness.create();
    await h.sup.start();
    await h.sup.stop({ drainWaitMs: 0 });
    const st = h.sup.status();
    assert.deepEqual([st.state, st.lastExit?.code, st.lastExit?.signal, st.lastExit?.expected], ['stopped', 0, null, true]);
    assert.deepEqual(h.logged('envoy ignored SIGTERM; sending SIGKILL'), []);
    assert.deepEqual(h.logged('envoy exited unexpectedly'), []);
  });

  it('rejects a parent-shutdown time shorter than the drain time', async () => {
    await assert.rejects(async () => Harness.create({ drainTimeS: 10, parentShutdownTimeS: 5 }), /parentShutdownTimeS \(5\) must be at least drainTimeS \(10\)/);
  });
});

describe('findEnvoy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nodemesh-find-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'envoy'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(dir, 'not-executable'), '', { mode: 0o644 });

  it('finds envoy on PATH', () => {
    assert.equal(findEnvoy({ PATH: `/nonexistent:${bin}` }), join(bin, 'envoy'));
  });
  it('prefers NODEMESH_ENVOY, a path or a name on PATH', () => {
    assert.equal(findEnvoy({ PATH: '/nonexistent', NODEMESH_ENVOY: join(bin, 'envoy') }), join(bin, 'envoy'));
    assert.equal(findEnvoy({ PATH: bin, NODEMESH_ENVOY: 'envoy' }), join(bin, 'envoy'));
  });
  it('returns undefined when there is none, or it is not executable', () => {
    assert.equal(findEnvoy({ PATH: '/nonexistent' }), undefined);
    assert.equal(findEnvoy({ PATH: bin, NODEMESH_ENVOY: join(dir, 'not-executable') }), undefined);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
});

// Supervises the node's Envoy: waits for readiness, restarts it after a crash
// with backoff, hot-restarts it on demand and drains it on stop.
//
// Hot restart follows Envoy's own protocol (and restarter/hot-restarter.py):
// epoch N+1 is started with the same base id while N keeps serving; Envoy
// itself hands the listen sockets over, drains N and, after
// --parent-shutdown-time-s, tells N to exit. The supervisor never kills a
// draining parent early and treats its exit as the normal end of a hot
// restart. Any other exit of the serving Envoy is a crash: everything left is
// terminated (a fresh epoch 0 needs the listen ports and the base id) and
// epoch 0 is started again after a backoff.
import type { Logger } from '../../../xds-server/src/log.js';
import { EnvoyAdmin, type ConfigDumpQuery } from './admin.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { envoyArgs, EnvoyProcess, type ProcessExit } from './process.js';

export type EnvoyState = 'starting' | 'ready' | 'restarting' | 'draining' | 'stopped';

export interface EnvoySupervisorOptions {
  envoyPath: string;
  bootstrapPath: string;
  /** `host:port` of Envoy's admin listener (the bootstrap's admin address). */
  adminAddress: string;
  /** Envoy's --base-id: unique per Envoy on the host, shared by all its epochs. */
  baseId: number;
  drainTimeS: number;
  /** Must be at least drainTimeS, or a hot-restarted parent is stopped mid-drain. */
  parentShutdownTimeS: number;
  log: Logger;
  /** Appended to Envoy's command line (e.g. --log-level, --concurrency). */
  extraArgs?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Envoy's stdout and stderr; default inherit. */
  stdio?: 'inherit' | 'ignore';
  backoff?: BackoffOptions;
  /** Interval of GET /ready while waiting for an epoch; default 200 ms. */
  readyPollMs?: number;
  /** An epoch not ready after this long is killed and counted as a crash; default 120 s. */
  readyTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL; default 10 s. */
  killGraceMs?: number;
}

export interface EnvoyProcessStatus {
  epoch: number;
  pid: number | undefined;
  /** serving: answers admin and owns the listeners; starting: not ready yet; parent: draining after a hot restart. */
  role: 'serving' | 'starting' | 'parent';
  startedAt: string;
  readyAt?: string;
  /** Why the supervisor is ending it. */
  terminating?: string;
}

export interface EnvoyExit {
  epoch: number;
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: string;
  /** False for a crash; true for a drained parent or a process the supervisor ended. */
  expected: boolean;
  reason?: string;
}

export interface EnvoyStatus {
  state: EnvoyState;
  /** Epoch of the serving Envoy, if one is serving. */
  epoch: number | undefined;
  baseId: number;
  /** Restarts after crashes (hot restarts are not counted here). */
  restarts: number;
  hotRestarts: number;
  lastExitCode: number | null | undefined;
  lastExit: EnvoyExit | undefined;
  /** While a restart is scheduled: milliseconds until it. */
  nextRestartInMs: number | undefined;
  processes: EnvoyProcessStatus[];
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class EnvoySupervisor {
  private readonly o: EnvoySupervisorOptions;
  private readonly admin: EnvoyAdmin;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly readyPollMs: number;
  private readonly readyTimeoutMs: number;
  private readonly killGraceMs: number;
  private envoyPath: string;
  private bootstrapPath: string;

  private state: EnvoyState = 'stopped';
  private readonly procs = new Set<EnvoyProcess>();
  private serving: EnvoyProcess | undefined;
  /** The epoch coming up; with `hot` set it is a hot restart of `serving`. */
  private incoming: { proc: EnvoyProcess; hot?: Waiter } | undefined;
  private readyWaiters: Waiter[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private restartAt: number | undefined;
  private stopping: Promise<void> | undefined;
  private restarts = 0;
  private hotRestarts = 0;
  private lastExit: EnvoyExit | undefined;

  constructor(o: EnvoySupervisorOptions) {
    for (const [k, v] of [['baseId', o.baseId], ['drainTimeS', o.drainTimeS], ['parentShutdownTimeS', o.parentShutdownTimeS]] as const) {
      // Envoy parses these as unsigned integers.
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`${k} must be a non-negative integer, got ${v}`);
    }
    if (o.parentShutdownTimeS < o.drainTimeS) {
      throw new RangeError(`parentShutdownTimeS (${o.parentShutdownTimeS}) must be at least drainTimeS (${o.drainTimeS})`);
    }
    this.o = o;
    this.admin = new EnvoyAdmin(o.adminAddress);
    this.log = o.log.child({ component: 'envoy-supervisor', baseId: o.baseId });
    this.backoff = new Backoff(o.backoff);
    this.readyPollMs = o.readyPollMs ?? 200;
    this.readyTimeoutMs = o.readyTimeoutMs ?? 120_000;
    this.killGraceMs = o.killGraceMs ?? 10_000;
    this.envoyPath = o.envoyPath;
    this.bootstrapPath = o.bootstrapPath;
  }

  /** Starts epoch 0; resolves once Envoy is ready, however many crash restarts that takes. */
  start(): Promise<void> {
    if (this.state !== 'stopped' || this.procs.size > 0) return Promise.reject(new Error(`envoy supervisor already running (${this.state})`));
    this.stopping = undefined;
    const ready = this.waitReady();
    this.startFresh();
    return ready;
  }

  /**
   * Starts the next epoch while the serving one keeps serving; resolves when
   * the new epoch is ready (its parent then drains and exits on its own).
   * `update` switches the bootstrap or binary for this and later starts.
   */
  hotRestart(update: { bootstrapPath?: string; envoyPath?: string } = {}): Promise<void> {
    const serving = this.serving;
    // Envoy refuses a new epoch while the previous one is initializing.
    if (this.state !== 'ready' || !serving) return Promise.reject(new Error(`cannot hot restart envoy while ${this.state}`));
    if (update.bootstrapPath) this.bootstrapPath = update.bootstrapPath;
    if (update.envoyPath) this.envoyPath = update.envoyPath;
    return new Promise((resolve, reject) => {
      this.setState('restarting', { reason: 'hot restart', fromEpoch: serving.epoch });
      this.incoming = { proc: this.spawn(serving.epoch + 1), hot: { resolve, reject } };
      this.watchReadiness(this.incoming.proc);
    });
  }

  /**
   * Fails health checks (so load balancers stop sending), drains the listeners
   * gracefully, waits the drain time (or `drainWaitMs`), then SIGTERM and,
   * after the kill grace, SIGKILL.
   */
  stop(opts: { drainWaitMs?: number } = {}): Promise<void> {
    this.stopping ??= this.shutdown(opts.drainWaitMs ?? this.o.drainTimeS * 1000);
    return this.stopping;
  }

  /** GET /config_dump from the admin of the Envoy holding the admin port. */
  configDump(query?: ConfigDumpQuery): Promise<Record<string, unknown>> {
    return this.admin.configDump(query);
  }

  status(): EnvoyStatus {
    const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
    return {
      state: this.state,
      epoch: this.serving?.epoch,
      baseId: this.o.baseId,
      restarts: this.restarts,
      hotRestarts: this.hotRestarts,
      lastExitCode: this.lastExit?.code,
      lastExit: this.lastExit,
      nextRestartInMs: this.restartAt === undefined ? undefined : Math.max(0, this.restartAt - Date.now()),
      processes: [...this.procs].map((p) => ({
        epoch: p.epoch,
        pid: p.pid,
        role: p === this.serving ? 'serving' : p === this.incoming?.proc ? 'starting' : 'parent',
        startedAt: iso(p.startedAt)!,
        ...(p.readyAt !== undefined ? { readyAt: iso(p.readyAt) } : {}),
        ...(p.terminating ? { terminating: p.terminating } : {}),
      })),
    };
  }

  private waitReady(): Promise<void> {
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  private setState(to: EnvoyState, fields: Record<string, unknown> = {}): void {
    const from = this.state;
    this.state = to;
    this.log.info('envoy state', { from, to, epoch: this.serving?.epoch, ...fields });
  }

  private startFresh(): void {
    this.setState('starting', { epoch: 0 });
    this.incoming = { proc: this.spawn(0) };
    this.watchReadiness(this.incoming.proc);
  }

  private spawn(epoch: number): EnvoyProcess {
    const args = envoyArgs({
      bootstrapPath: this.bootstrapPath,
      epoch,
      baseId: this.o.baseId,
      drainTimeS: this.o.drainTimeS,
      parentShutdownTimeS: this.o.parentShutdownTimeS,
      extraArgs: this.o.extraArgs,
    });
    const p = new EnvoyProcess(epoch, this.envoyPath, args, { env: this.o.env, stdio: this.o.stdio }, (x) => this.onExit(x));
    this.procs.add(p);
    this.log.info('envoy started', { epoch, pid: p.pid, binary: this.envoyPath, args });
    return p;
  }

  private watchReadiness(p: EnvoyProcess): void {
    this.awaitReady(p).catch((e: unknown) => this.log.error('envoy readiness check failed', { epoch: p.epoch, err: e }));
  }

  private async awaitReady(p: EnvoyProcess): Promise<void> {
    const deadline = p.startedAt + this.readyTimeoutMs;
    let last = '';
    while (this.incoming?.proc === p && !p.exit && !this.stopping) {
      const state = await this.probe(p.epoch);
      if (this.incoming?.proc !== p || p.exit || this.stopping) return;
      if (state === 'LIVE') return this.promote(p);
      if (state !== last) this.log.debug('envoy not ready yet', { epoch: p.epoch, state });
      last = state;
      if (Date.now() > deadline) {
        this.log.error('envoy not ready in time; killing it', { epoch: p.epoch, pid: p.pid, timeoutMs: this.readyTimeoutMs, state });
        await p.terminate(`not ready within ${this.readyTimeoutMs} ms`, this.killGraceMs, () => this.logKill(p));
        return;
      }
      await new Promise((r) => setTimeout(r, this.readyPollMs));
    }
  }

  /** 'LIVE' when `epoch` answers /ready with LIVE, else what was seen instead. */
  private async probe(epoch: number): Promise<string> {
    try {
      const r = await this.admin.live();
      if (!r.live) return r.state || 'not ready';
      // Early in a hot restart the parent still holds the admin port.
      const answering = await this.admin.restartEpoch();
      return answering === epoch ? 'LIVE' : `admin answered by epoch ${answering}`;
    } catch (e) {
      return `admin unreachable: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  private promote(p: EnvoyProcess): void {
    const hot = this.incoming?.hot;
    const parent = this.serving;
    p.readyAt = Date.now();
    this.serving = p;
    this.incoming = undefined;
    if (hot && parent) {
      this.hotRestarts++;
      this.watchParent(parent);
    }
    this.setState('ready', { epoch: p.epoch, pid: p.pid, startupMs: p.readyAt - p.startedAt, ...(parent && hot ? { parentEpoch: parent.epoch } : {}) });
    hot?.resolve();
    for (const w of this.readyWaiters.splice(0)) w.resolve();
  }

  /**
   * Envoy's child ends the parent after --parent-shutdown-time-s. Should that
   * not happen (the child crashed, say), the parent is ended a kill grace later
   * so it does not hold the base id and sockets forever.
   */
  private watchParent(parent: EnvoyProcess): void {
    const timer = setTimeout(() => {
      if (parent.exit || !this.procs.has(parent)) return;
      this.log.warn('envoy parent still running after parent-shutdown-time; terminating it', { epoch: parent.epoch, pid: parent.pid });
      void parent.terminate('outlived parent-shutdown-time', this.killGraceMs, () => this.logKill(parent));
    }, this.o.parentShutdownTimeS * 1000 + this.killGraceMs);
    void parent.exited.then(() => clearTimeout(timer));
  }

  private onExit(p: EnvoyProcess): void {
    this.procs.delete(p);
    const e = p.exit!;
    const wasServing = p === this.serving;
    const wasIncoming = p === this.incoming?.proc;
    const parent = !wasServing && !wasIncoming;
    // A parent exits 0 when its child tells it to: the end of a hot restart.
    const expected = this.stopping !== undefined || (parent && (p.terminating !== undefined || e.code === 0));
    const reason = p.terminating ?? e.error ?? (parent && e.code === 0 ? 'parent drained after hot restart' : undefined);
    this.lastExit = {
      epoch: p.epoch,
      pid: p.pid,
      code: e.code,
      signal: e.signal,
      at: new Date(e.at).toISOString(),
      expected,
      ...(reason ? { reason } : {}),
    };
    const fields = { epoch: p.epoch, pid: p.pid, code: e.code, signal: e.signal, ...(reason ? { reason } : {}) };
    if (expected) this.log.info('envoy exited', fields);
    else this.log.warn(parent ? 'envoy parent exited abnormally' : 'envoy exited unexpectedly', fields);

    if (this.stopping || parent) return;
    if (wasServing) this.serving = undefined;
    const hot = wasIncoming ? this.incoming?.hot : undefined;
    if (wasIncoming) this.incoming = undefined;
    if (hot) void this.hotRestartFailed(p, hot);
    else void this.recover(p);
  }

  /** The new epoch died before it was ready: keep the old one if it still serves. */
  private async hotRestartFailed(p: EnvoyProcess, hot: Waiter): Promise<void> {
    hot.reject(new Error(`hot restart failed: epoch ${p.epoch} exited before it was ready (${describeExit(p.exit!)})`));
    const serving = this.serving;
    // Once the child has asked for it, the parent's admin is gone and it can
    // be neither watched nor drained: then only a fresh start is left.
    if (serving && !serving.exit && (await this.probe(serving.epoch)) === 'LIVE') {
      if (this.stopping || this.serving !== serving) return;
      this.setState('ready', { epoch: serving.epoch, reason: `hot restart to epoch ${p.epoch} failed; epoch ${serving.epoch} keeps serving` });
      return;
    }
    if (this.stopping) return;
    await this.recover(p);
  }

  private async recover(crashed: EnvoyProcess): Promise<void> {
    this.setState('restarting', { reason: 'crash', crashedEpoch: crashed.epoch });
    this.incoming?.hot?.reject(new Error(`hot restart abandoned: epoch ${crashed.epoch} crashed`));
    this.serving = undefined;
    this.incoming = undefined;
    const reason = `epoch ${crashed.epoch} crashed; a fresh epoch 0 needs the listen ports and base id`;
    await Promise.all([...this.procs].map((q) => q.terminate(reason, this.killGraceMs, () => this.logKill(q))));
    if (this.stopping) return;
    const readyFor = crashed.readyAt === undefined ? 0 : crashed.exit!.at - crashed.readyAt;
    const delayMs = this.backoff.next(readyFor);
    this.restartAt = Date.now() + delayMs;
    this.log.warn('envoy restart scheduled', { delayMs, restart: this.restarts + 1, crashedEpoch: crashed.epoch, readyForMs: readyFor });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restartAt = undefined;
      this.restarts++;
      this.startFresh();
    }, delayMs);
  }

  private async shutdown(drainWaitMs: number): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.restartAt = undefined;
    const stopped = new Error('envoy supervisor stopped');
    this.incoming?.hot?.reject(stopped);
    for (const w of this.readyWaiters.splice(0)) w.reject(stopped);
    if (this.procs.size > 0) {
      this.setState('draining');
      const target = this.serving ?? this.incoming?.proc;
      if (target && (await this.drain(target.epoch))) {
        const allExited = Promise.all([...this.procs].map((p) => p.exited));
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([allExited, new Promise((r) => (timer = setTimeout(r, drainWaitMs)))]);
        clearTimeout(timer);
      }
      await Promise.all([...this.procs].map((p) => p.terminate('stopping', this.killGraceMs, () => this.logKill(p))));
    }
    this.serving = undefined;
    this.incoming = undefined;
    this.setState('stopped');
  }

  /** True when the listeners are draining, so waiting the drain time is worth it. */
  private async drain(epoch: number): Promise<boolean> {
    try {
      await this.admin.healthcheckFail();
      this.log.info('envoy health checks failing', { epoch });
    } catch (e) {
      this.log.warn('envoy /healthcheck/fail failed', { epoch, err: e });
    }
    try {
      await this.admin.drainListeners();
      this.log.info('envoy draining listeners', { epoch, drainTimeS: this.o.drainTimeS });
      return true;
    } catch (e) {
      this.log.warn('envoy /drain_listeners failed; stopping without drain', { epoch, err: e });
      return false;
    }
  }

  private logKill(p: EnvoyProcess): void {
    this.log.warn('envoy ignored SIGTERM; sending SIGKILL', { epoch: p.epoch, pid: p.pid, graceMs: this.killGraceMs });
  }
}

function describeExit(e: ProcessExit): string {
  if (e.error) return e.error;
  return e.signal ? `signal ${e.signal}` : `code ${e.code}`;
}

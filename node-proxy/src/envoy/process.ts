// One Envoy process (one restart epoch): its command line, signals and exit.
// Policy — when to restart, which exits are crashes — is the supervisor's.
import { spawn, type ChildProcess } from 'node:child_process';

export interface EnvoyCommandLine {
  bootstrapPath: string;
  epoch: number;
  baseId: number;
  drainTimeS: number;
  parentShutdownTimeS: number;
  extraArgs?: readonly string[];
}

/** Envoy's argv for one epoch. Every epoch of a hot-restart chain shares the base id. */
export function envoyArgs(c: EnvoyCommandLine): string[] {
  return [
    '-c', c.bootstrapPath,
    '--restart-epoch', String(c.epoch),
    '--base-id', String(c.baseId),
    '--drain-time-s', String(c.drainTimeS),
    '--parent-shutdown-time-s', String(c.parentShutdownTimeS),
    // Connections are closed progressively over the drain time rather than
    // all at its start, so clients do not reconnect in one burst.
    '--drain-strategy', 'gradual',
    // One log line per message even when it contains newlines: the lines can
    // be shipped as they are.
    '--log-format-escaped',
    ...(c.extraArgs ?? []),
  ];
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the binary could not be started at all. */
  error?: string;
  at: number;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  stdio?: 'inherit' | 'ignore';
}

export class EnvoyProcess {
  readonly startedAt = Date.now();
  readyAt: number | undefined;
  /** Why the supervisor is ending this process; an exit after it is expected. */
  terminating: string | undefined;
  exit: ProcessExit | undefined;
  readonly exited: Promise<ProcessExit>;
  private readonly proc: ChildProcess;

  constructor(
    readonly epoch: number,
    binary: string,
    readonly args: readonly string[],
    o: SpawnOptions,
    onExit: (p: EnvoyProcess) => void,
  ) {
    let resolve!: (e: ProcessExit) => void;
    this.exited = new Promise((r) => (resolve = r));
    const settle = (e: ProcessExit) => {
      if (this.exit) return;
      this.exit = e;
      resolve(e);
      onExit(this);
    };
    const out = o.stdio ?? 'inherit';
    // Its own process group: a terminal's Ctrl-C (SIGINT to the foreground
    // group) then reaches only nodemesh, which drains Envoy instead of Envoy
    // dying mid-request, and signals can address anything Envoy might fork.
    this.proc = spawn(binary, [...args], { stdio: ['ignore', out, out], env: o.env ?? process.env, detached: true });
    this.proc.on('exit', (code, signal) => settle({ code, signal, at: Date.now() }));
    // 'exit' may not follow a failed spawn (ENOENT, EACCES).
    this.proc.on('error', (err) => {
      if (this.proc.pid === undefined) settle({ code: null, signal: null, error: err.message, at: Date.now() });
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exit || this.pid === undefined) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      // Not a group leader any more (or already gone): the process itself.
      try {
        this.proc.kill(sig);
      } catch {
        /* gone */
      }
    }
  }

  /**
   * SIGTERM (Envoy exits promptly and cleanly on it), then SIGKILL if it is
   * still running after `graceMs`; `onKill` is told before SIGKILL is sent.
   * Resolves once the process has exited.
   */
  async terminate(reason: string, graceMs: number, onKill?: () => void): Promise<void> {
    if (this.exit) return;
    this.terminating ??= reason;
    this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (!timedOut) return;
    onKill?.();
    this.signal('SIGKILL');
    await this.exited;
  }
}

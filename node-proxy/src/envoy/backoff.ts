// Restart delays for a crashing Envoy: doubling from `initialMs` up to `maxMs`,
// so a crash loop (bad bootstrap, port taken) neither spins the CPU nor floods
// the logs, and back to `initialMs` once a run has been ready for
// `resetAfterMs`, so a crash after days of service restarts promptly.

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  resetAfterMs?: number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetAfterMs: number;
  private nextMs: number;

  constructor(o: BackoffOptions = {}) {
    this.initialMs = o.initialMs ?? 1_000;
    this.maxMs = o.maxMs ?? 30_000;
    this.resetAfterMs = o.resetAfterMs ?? 60_000;
    if (!(this.initialMs > 0 && this.maxMs >= this.initialMs && this.resetAfterMs >= 0)) {
      throw new RangeError(`invalid backoff: initial ${this.initialMs} ms, max ${this.maxMs} ms, reset after ${this.resetAfterMs} ms`);
    }
    this.nextMs = this.initialMs;
  }

  /**
   * The delay before the next restart. `readyForMs` is how long the run that
   * just ended was ready (0 if it never was).
   */
  next(readyForMs: number): number {
    if (readyForMs >= this.resetAfterMs) this.nextMs = this.initialMs;
    const delay = this.nextMs;
    this.nextMs = Math.min(this.nextMs * 2, this.maxMs);
    return delay;
  }
}

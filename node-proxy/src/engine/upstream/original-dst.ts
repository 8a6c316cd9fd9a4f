// ORIGINAL_DST hosts: one per original destination seen, made on first use
// and dropped after a cleanup interval without use (Envoy's cleanup_interval,
// default 5 s). Health, weights and outlier ejection do not apply: Envoy's
// CLUSTER_PROVIDED balancer always returns the destination's host.
import type { LbContext } from '../types.js';
import { Host, hostKey } from './hosts.js';

export const ORIGINAL_DST_CLEANUP_MS = 5000;

export class OriginalDstHosts {
  private readonly hosts = new Map<string, Host>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly onRemove: (h: Host) => void) {}

  pick(ctx: LbContext): Host | undefined {
    const d = ctx.originalDst;
    if (!d) return undefined;
    const key = hostKey(d.address, d.port);
    let host = this.hosts.get(key);
    if (!host) this.hosts.set(key, (host = new Host(d.address, d.port)));
    host.used = true;
    return host;
  }

  /** (Re)starts the cleanup sweep. */
  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => this.sweep(), Math.max(1, intervalMs));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    for (const [key, h] of this.hosts) {
      if (h.used) h.used = false;
      else {
        this.hosts.delete(key);
        this.onRemove(h);
      }
    }
  }
}

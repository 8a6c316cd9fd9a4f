// Outlier detection as Envoy's DetectorImpl (without
// split_external_local_origin_errors): every result is an HTTP status —
// connect failures and resets count as 503, timeouts as 504. Consecutive-5xx
// and consecutive-gateway-failure ejections happen as soon as the count is
// reached; success-rate and failure-percentage ejections and unejections run
// on the `interval` sweep. A host stays ejected for
// min(base_ejection_time × backoff, max_ejection_time); the backoff grows
// with each ejection and shrinks by one per interval spent healthy.
import type { Decoded } from '../types.js';
import type { Counter, Gauge, Stats } from '../stats.js';
import { durationMs, wrapped, wrappedBool } from './fields.js';

export interface OutlierConfig {
  intervalMs: number;
  baseEjectionMs: number;
  maxEjectionMs: number;
  maxEjectionJitterMs: number;
  maxEjectionPercent: number;
  alwaysEjectOneHost: boolean;
  consecutive5xx: number;
  enforcing5xx: number;
  consecutiveGateway: number;
  enforcingGateway: number;
  srMinimumHosts: number;
  srRequestVolume: number;
  srStdevFactor: number;
  enforcingSr: number;
  fpThreshold: number;
  fpMinimumHosts: number;
  fpRequestVolume: number;
  enforcingFp: number;
  hcUneject: boolean;
}

export function parseOutlierConfig(o: Decoded): OutlierConfig {
  const base = durationMs(o.base_ejection_time, 30_000);
  return {
    intervalMs: durationMs(o.interval, 10_000),
    baseEjectionMs: base,
    maxEjectionMs: durationMs(o.max_ejection_time, Math.max(300_000, base)),
    maxEjectionJitterMs: durationMs(o.max_ejection_time_jitter, 0),
    maxEjectionPercent: Math.min(100, wrapped(o.max_ejection_percent, 10)),
    alwaysEjectOneHost: wrappedBool(o.always_eject_one_host, false),
    consecutive5xx: wrapped(o.consecutive_5xx, 5),
    enforcing5xx: wrapped(o.enforcing_consecutive_5xx, 100),
    consecutiveGateway: wrapped(o.consecutive_gateway_failure, 5),
    enforcingGateway: wrapped(o.enforcing_consecutive_gateway_failure, 0),
    srMinimumHosts: wrapped(o.success_rate_minimum_hosts, 5),
    srRequestVolume: wrapped(o.success_rate_request_volume, 100),
    srStdevFactor: wrapped(o.success_rate_stdev_factor, 1900) / 1000,
    enforcingSr: wrapped(o.enforcing_success_rate, 100),
    fpThreshold: wrapped(o.failure_percentage_threshold, 85),
    fpMinimumHosts: wrapped(o.failure_percentage_minimum_hosts, 5),
    fpRequestVolume: wrapped(o.failure_percentage_request_volume, 50),
    enforcingFp: wrapped(o.enforcing_failure_percentage, 0),
    hcUneject: wrappedBool(o.successful_active_health_check_uneject_host, true),
  };
}

export interface OutlierHost {
  readonly key: string;
  failedOutlier: boolean;
  failedActiveHc: boolean;
}

type Kind = 'consecutive_5xx' | 'consecutive_gateway_failure' | 'success_rate' | 'failure_percentage';

interface Monitor {
  consecutive5xx: number;
  consecutiveGateway: number;
  backoff: number;
  lastEjection?: number;
  lastUnejection?: number;
  jitterMs: number;
  current: { total: number; success: number };
  previous: { total: number; success: number };
}

export class OutlierDetector<H extends OutlierHost> {
  private readonly monitors = new Map<H, Monitor>();
  private timer?: NodeJS.Timeout;
  private active = 0;
  private readonly activeGauge: Gauge;
  private readonly counter: (name: string) => Counter;

  constructor(
    private cfg: OutlierConfig,
    stats: Stats,
    cluster: string,
    /** Called after a host is ejected or returned, so the host set rebuilds. */
    private readonly onChange: (host: H) => void,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = () => performance.now(),
  ) {
    const tags = { envoy_cluster_name: cluster };
    this.counter = (name) => stats.counter(`envoy_cluster_outlier_detection_${name}`, tags);
    this.activeGauge = stats.gauge('envoy_cluster_outlier_detection_ejections_active', tags);
    for (const n of ['ejections_enforced_total', 'ejections_overflow', 'ejections_enforced_consecutive_5xx', 'ejections_detected_consecutive_5xx']) this.counter(n);
    this.arm();
  }

  update(cfg: OutlierConfig): void {
    const rearm = cfg.intervalMs !== this.cfg.intervalMs;
    this.cfg = cfg;
    if (rearm) this.arm();
  }

  addHost(host: H): void {
    if (!this.monitors.has(host))
      this.monitors.set(host, { consecutive5xx: 0, consecutiveGateway: 0, backoff: 0, jitterMs: 0, current: { total: 0, success: 0 }, previous: { total: 0, success: 0 } });
  }

  removeHost(host: H): void {
    if (!this.monitors.delete(host)) return;
    if (host.failedOutlier) this.setActive(this.active - 1);
  }

  /** Stops the sweep and returns every ejected host (the detector is being removed). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const host of this.monitors.keys()) {
      if (host.failedOutlier) {
        host.failedOutlier = false;
        this.onChange(host);
      }
    }
    this.monitors.clear();
    this.setActive(0);
  }

  /** An HTTP status from the host (or 503 for a connect failure or reset, 504 for a timeout, 200 for a TCP connect). */
  report(host: H, status: number): void {
    const m = this.monitors.get(host);
    if (!m) return;
    m.current.total++;
    if (status >= 500 && status < 600) {
      if (status === 502 || status === 503 || status === 504) {
        if (++m.consecutiveGateway === this.cfg.consecutiveGateway) this.consecutive(host, m, 'consecutive_gateway_failure');
      } else {
        m.consecutiveGateway = 0;
      }
      if (++m.consecutive5xx === this.cfg.consecutive5xx) this.consecutive(host, m, 'consecutive_5xx');
    } else {
      m.current.success++;
      m.consecutive5xx = 0;
      m.consecutiveGateway = 0;
    }
  }

  /** successful_active_health_check_uneject_host (default true). */
  healthCheckPassed(host: H): void {
    if (this.cfg.hcUneject && host.failedOutlier && !host.failedActiveHc && this.monitors.has(host)) this.uneject(host);
  }

  private consecutive(host: H, m: Monitor, kind: Kind): void {
    if (host.failedOutlier) return;
    this.counter(`ejections_detected_${kind}`).inc();
    this.eject(host, kind);
    if (kind === 'consecutive_5xx') m.consecutive5xx = 0;
    else m.consecutiveGateway = 0;
  }

  private enforcing(kind: Kind): number {
    const c = this.cfg;
    return { consecutive_5xx: c.enforcing5xx, consecutive_gateway_failure: c.enforcingGateway, success_rate: c.enforcingSr, failure_percentage: c.enforcingFp }[kind];
  }

  private eject(host: H, kind: Kind): void {
    const m = this.monitors.get(host)!;
    // Envoy counts the host about to be ejected: with 10% and fewer than ten hosts, none is ejected
    // unless always_eject_one_host is set.
    const percent = (100 * (this.active + 1)) / this.monitors.size;
    const allowed = percent <= this.cfg.maxEjectionPercent || (this.cfg.alwaysEjectOneHost && this.active === 0);
    if (!allowed) {
      this.counter('ejections_overflow').inc();
      return;
    }
    if (this.random() * 100 >= this.enforcing(kind)) return;
    this.setActive(this.active + 1);
    this.counter('ejections_enforced_total').inc();
    this.counter(`ejections_enforced_${kind}`).inc();
    host.failedOutlier = true;
    m.lastEjection = this.now();
    m.jitterMs = Math.floor(this.random() * (this.cfg.maxEjectionJitterMs + 1));
    if (m.backoff * this.cfg.baseEjectionMs < this.cfg.maxEjectionMs + this.cfg.baseEjectionMs) m.backoff++;
    this.onChange(host);
  }

  private uneject(host: H): void {
    const m = this.monitors.get(host)!;
    this.setActive(this.active - 1);
    host.failedOutlier = false;
    m.consecutive5xx = 0;
    m.consecutiveGateway = 0;
    m.lastUnejection = this.now();
    this.onChange(host);
  }

  private setActive(n: number): void {
    this.active = Math.max(0, n);
    this.activeGauge.set(this.active);
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.sweep(), Math.max(1, this.cfg.intervalMs));
    this.timer.unref();
  }

  private sweep(): void {
    const now = this.now();
    const c = this.cfg;
    for (const [host, m] of this.monitors) {
      if (host.failedOutlier && Math.min(c.baseEjectionMs * m.backoff, c.maxEjectionMs) + m.jitterMs <= now - (m.lastEjection ?? now)) this.uneject(host);
      m.previous = m.current;
      m.current = { total: 0, success: 0 };
    }
    this.successRate();
    for (const [host, m] of this.monitors) {
      if (!host.failedOutlier && m.lastUnejection !== undefined && now - m.lastUnejection >= c.intervalMs && m.backoff > 0) m.backoff--;
    }
    this.arm();
  }

  private successRate(): void {
    const c = this.cfg;
    if (this.monitors.size < c.srMinimumHosts && this.monitors.size < c.fpMinimumHosts) return;
    const sr: [H, number][] = [];
    const fp: [H, number][] = [];
    for (const [host, m] of this.monitors) {
      if (host.failedOutlier || m.previous.total === 0) continue;
      const rate = (m.previous.success * 100) / m.previous.total;
      if (m.previous.total >= c.srRequestVolume) sr.push([host, rate]);
      if (m.previous.total >= c.fpRequestVolume) fp.push([host, rate]);
    }
    if (sr.length && sr.length >= c.srMinimumHosts) {
      const mean = sr.reduce((s, [, r]) => s + r, 0) / sr.length;
      const stdev = Math.sqrt(sr.reduce((s, [, r]) => s + (r - mean) ** 2, 0) / sr.length);
      const threshold = mean - c.srStdevFactor * stdev;
      for (const [host, rate] of sr) {
        if (rate >= threshold) continue;
        this.counter('ejections_detected_success_rate').inc();
        this.eject(host, 'success_rate');
      }
    }
    if (fp.length && fp.length >= c.fpMinimumHosts) {
      for (const [host, rate] of fp) {
        if (100 - rate < c.fpThreshold || host.failedOutlier) continue;
        this.counter('ejections_detected_failure_percentage').inc();
        this.eject(host, 'failure_percentage');
      }
    }
  }
}

// Active health checking as Envoy's HealthCheckerImplBase with the HTTP and
// TCP checkers. A host is checked at once when added, then every interval.
// A new host starts unhealthy (FAILED_ACTIVE_HC) and its first success makes
// it healthy at once; after that it takes healthy_threshold successes. A
// wrong HTTP status fails a host at once; network failures and timeouts take
// unhealthy_threshold. Until the cluster has had traffic, checks run every
// no_traffic_interval (60 s), as Envoy.
import http from 'node:http';
import type net from 'node:net';
import type { Logger } from '../../../../xds-server/src/log.js';
import type { Counter, Gauge, Stats } from '../stats.js';
import type { Decoded } from '../types.js';
import { durationMs, has, list, obj, wrapped, wrappedBool } from './fields.js';
import { singleSocketAgent } from './pool-http1.js';

export interface HcHost {
  readonly key: string;
  failedActiveHc: boolean;
  activeHcTimeout: boolean;
}

export interface HcDeps<H extends HcHost> {
  cluster: string;
  stats: Stats;
  log: Logger;
  /** A connection for one check, over the cluster's transport socket. */
  dial(host: H, timeoutMs: number): Promise<net.Socket>;
  /** Whether the cluster ever opened an upstream connection (Envoy: upstream_cx_total used). */
  hadTraffic(): boolean;
  /** After every check; `changed` when the host's health flipped. `first` on its first result. */
  onResult(host: H, healthy: boolean, changed: boolean, first: boolean): void;
}

type Outcome = 'success' | 'active' | 'network' | 'timeout';
type Transition = 'changed' | 'pending' | 'unchanged';

interface Config {
  timeoutMs: number;
  intervalMs: number;
  jitterMs: number;
  jitterPercent: number;
  initialJitterMs: number;
  unhealthyIntervalMs: number;
  unhealthyEdgeMs: number;
  healthyEdgeMs: number;
  noTrafficMs: number;
  noTrafficHealthyMs: number;
  unhealthyThreshold: number;
  healthyThreshold: number;
  reuse: boolean;
  http?: { path: string; host: string; expected: [number, number][] };
}

function parse(hc: Decoded, cluster: string): Config {
  const interval = durationMs(hc.interval, 1000);
  const unhealthyInterval = durationMs(hc.unhealthy_interval, interval);
  const noTraffic = durationMs(hc.no_traffic_interval, 60_000);
  const cfg: Config = {
    timeoutMs: durationMs(hc.timeout, 1000),
    intervalMs: interval,
    jitterMs: durationMs(hc.interval_jitter, 0),
    jitterPercent: Number(hc.interval_jitter_percent ?? 0),
    initialJitterMs: durationMs(hc.initial_jitter, 0),
    unhealthyIntervalMs: unhealthyInterval,
    unhealthyEdgeMs: durationMs(hc.unhealthy_edge_interval, unhealthyInterval),
    healthyEdgeMs: durationMs(hc.healthy_edge_interval, interval),
    noTrafficMs: noTraffic,
    noTrafficHealthyMs: durationMs(hc.no_traffic_healthy_interval, noTraffic),
    unhealthyThreshold: Math.max(1, wrapped(hc.unhealthy_threshold, 1)),
    healthyThreshold: Math.max(1, wrapped(hc.healthy_threshold, 1)),
    reuse: wrappedBool(hc.reuse_connection, true),
  };
  if (has(hc.http_health_check)) {
    const h = obj(hc.http_health_check);
    const ranges = list(h.expected_statuses).map((r) => [Number(r.start ?? 0), Number(r.end ?? 0)] as [number, number]);
    // Envoy's default is 200 only; configured ranges are [start, end).
    cfg.http = { path: String(h.path ?? '/'), host: String(h.host || cluster), expected: ranges.length ? ranges : [[200, 201]] };
  }
  return cfg;
}

export class HealthChecker<H extends HcHost> {
  private readonly cfg: Config;
  private readonly sessions = new Map<H, Session<H>>();
  readonly counters: { attempt: Counter; success: Counter; failure: Counter; networkFailure: Counter };
  private readonly healthyGauge: Gauge;

  constructor(
    hc: Decoded,
    private readonly deps: HcDeps<H>,
  ) {
    this.cfg = parse(hc, deps.cluster);
    const tags = { envoy_cluster_name: deps.cluster };
    const c = (n: string) => deps.stats.counter(`envoy_cluster_health_check_${n}`, tags);
    this.counters = { attempt: c('attempt'), success: c('success'), failure: c('failure'), networkFailure: c('network_failure') };
    this.healthyGauge = deps.stats.gauge('envoy_cluster_health_check_healthy', tags);
  }

  addHost(host: H): void {
    if (this.sessions.has(host)) return;
    const s = new Session(host, this.cfg, this.deps, this);
    this.sessions.set(host, s);
    s.start();
  }

  removeHost(host: H): void {
    this.sessions.get(host)?.stop();
    this.sessions.delete(host);
    this.syncGauge();
  }

  stop(): void {
    for (const s of this.sessions.values()) s.stop();
    this.sessions.clear();
    this.syncGauge();
  }

  syncGauge(): void {
    let n = 0;
    for (const h of this.sessions.keys()) if (!h.failedActiveHc) n++;
    this.healthyGauge.set(n);
  }
}

class Session<H extends HcHost> {
  private first = true;
  private numHealthy = 0;
  private numUnhealthy = 0;
  private timer?: NodeJS.Timeout;
  private socket?: net.Socket;
  private agent?: http.Agent;
  private stopped = false;
  /** Bumped per check so a late result of a timed-out check is ignored. */
  private seq = 0;

  constructor(
    private readonly host: H,
    private readonly cfg: Config,
    private readonly deps: HcDeps<H>,
    private readonly parent: HealthChecker<H>,
  ) {}

  start(): void {
    if (this.cfg.initialJitterMs > 0) this.schedule(Math.floor(Math.random() * this.cfg.initialJitterMs));
    else this.run();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.dropConnection();
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), Math.max(1, ms));
    this.timer.unref();
  }

  private run(): void {
    if (this.stopped) return;
    const seq = ++this.seq;
    this.parent.counters.attempt.inc();
    const timeout = setTimeout(() => {
      if (seq !== this.seq) return;
      this.seq++;
      this.dropConnection(); // Envoy closes the connection of a timed-out check
      this.finish('timeout');
    }, this.cfg.timeoutMs);
    timeout.unref();
    this.check().then(
      (outcome) => {
        if (seq !== this.seq || this.stopped) return;
        clearTimeout(timeout);
        this.finish(outcome);
      },
      () => {
        if (seq !== this.seq || this.stopped) return;
        clearTimeout(timeout);
        this.finish('network');
      },
    );
  }

  private async check(): Promise<Outcome> {
    const http1 = this.cfg.http;
    if (!http1) {
      const s = await this.deps.dial(this.host, this.cfg.timeoutMs);
      s.destroy();
      return 'success';
    }
    if (!this.socket || this.socket.destroyed) {
      this.dropConnection();
      const socket = await this.deps.dial(this.host, this.cfg.timeoutMs);
      socket.on('error', () => {});
      socket.once('close', () => {
        if (this.socket === socket) this.dropConnection();
      });
      this.socket = socket;
      this.agent = singleSocketAgent(socket);
    }
    const agent = this.agent!;
    const status = await new Promise<number>((resolve, reject) => {
      const r = http.request({ host: 'hc.invalid', port: 1, agent, method: 'GET', path: http1.path, setHost: false, headers: { host: http1.host, 'user-agent': 'Envoy/HC' } });
      r.once('response', (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      });
      r.once('error', reject);
      r.end();
    });
    if (!this.cfg.reuse) this.dropConnection();
    return http1.expected.some(([lo, hi]) => status >= lo && status < hi) ? 'success' : 'active';
  }

  private dropConnection(): void {
    this.socket?.destroy();
    this.agent?.destroy();
    this.socket = undefined;
    this.agent = undefined;
  }

  private finish(outcome: Outcome): void {
    const host = this.host;
    const first = this.first;
    this.first = false;
    let t: Transition = 'unchanged';
    if (outcome === 'success') {
      this.numUnhealthy = 0;
      if (host.failedActiveHc) {
        if (first || ++this.numHealthy >= this.cfg.healthyThreshold) {
          host.failedActiveHc = false;
          host.activeHcTimeout = false;
          this.numHealthy = 0;
          t = 'changed';
        } else t = 'pending';
      }
      this.parent.counters.success.inc();
    } else {
      this.numHealthy = 0;
      if (!host.failedActiveHc) {
        if (outcome === 'active' || ++this.numUnhealthy >= this.cfg.unhealthyThreshold) {
          host.failedActiveHc = true;
          this.numUnhealthy = 0;
          t = 'changed';
        } else t = 'pending';
      }
      host.activeHcTimeout = outcome === 'timeout' && host.failedActiveHc;
      this.parent.counters.failure.inc();
      if (outcome !== 'active') this.parent.counters.networkFailure.inc();
    }
    this.parent.syncGauge();
    this.deps.onResult(host, outcome === 'success', t === 'changed', first);
    if (!this.stopped) this.schedule(this.interval(outcome === 'success', t));
  }

  private interval(healthy: boolean, t: Transition): number {
    const c = this.cfg;
    let base: number;
    if (this.deps.hadTraffic()) {
      if (!healthy) base = t === 'pending' ? c.unhealthyEdgeMs : c.unhealthyIntervalMs;
      else base = t === 'pending' ? c.healthyEdgeMs : c.intervalMs;
    } else {
      base = healthy && t !== 'pending' ? c.noTrafficHealthyMs : c.noTrafficMs;
    }
    const pct = Math.floor((c.jitterPercent * base) / 100);
    if (pct > 0) base += Math.floor(Math.random() * pct);
    if (c.jitterMs > 0) base += Math.floor(Math.random() * c.jitterMs);
    return Math.max(1, base);
  }
}

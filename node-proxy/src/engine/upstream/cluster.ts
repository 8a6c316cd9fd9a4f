// One upstream cluster: its hosts (STATIC, EDS or ORIGINAL_DST), load
// balancer, circuit breakers, outlier detector, health checker and per-host
// connection pools. update() applies a new Cluster/ClusterLoadAssignment in
// place, so hosts that stay keep their connections and health state.
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../../../xds-server/src/log.js';
import type { Stats } from '../stats.js';
import { upstreamTlsOptions, type UpstreamTls } from '../tls/upstream.js';
import { referencedSecrets } from '../tls/material.js';
import type { SecretStore } from '../tls/secrets.js';
import { UpstreamError, type Decoded, type LbContext, type UdpUpstream, type UpstreamCluster, type UpstreamHttpRequest } from '../types.js';
import { UdpSessions } from '../udp/upstream-sessions.js';
import { CircuitBreakers } from './circuit-breakers.js';
import { parseClusterConfig, type ClusterConfig } from './cluster-config.js';
import { ClusterStats } from './cluster-stats.js';
import { dial, DialError } from './connect.js';
import { durationMs, fingerprint, obj } from './fields.js';
import { HealthChecker } from './health-check.js';
import { HostSet } from './host-set.js';
import { hostSpecs, type Host } from './hosts.js';
import { ORIGINAL_DST_CLEANUP_MS, OriginalDstHosts } from './original-dst.js';
import { OutlierDetector, parseOutlierConfig } from './outlier.js';
import { abortError, type HttpPool, type PoolContext, type UpstreamResponse } from './pool.js';
import { Http1Pool } from './pool-http1.js';
import { Http2Pool } from './pool-http2.js';

export interface ClusterDeps {
  stats: Stats;
  log: Logger;
  random?: () => number;
}

export class Cluster implements UpstreamCluster {
  private cfg!: ClusterConfig;
  private raw: Decoded = {};
  private readonly cstats: ClusterStats;
  private readonly breakers: CircuitBreakers;
  private readonly hosts: HostSet;
  private readonly originalDst = new OriginalDstHosts((h) => this.retirePool(h));
  private outlier?: OutlierDetector<Host>;
  private hc?: HealthChecker<Host>;
  private readonly pools = new Map<Host, HttpPool>();
  private readonly retired = new Set<HttpPool>();
  private secrets!: SecretStore;
  private readonly tlsCache = new Map<'http' | 'tcp', UpstreamTls | UpstreamError | undefined>();
  private tlsDeps: unknown[] = [];
  private assignmentSeen = false;
  private warming?: { pending: Set<Host>; promise: Promise<void>; done: () => void };
  private draining = false;
  private readonly log: Logger;
  private readonly udp: UdpSessions;

  constructor(
    readonly name: string,
    raw: Decoded,
    assignment: Decoded | undefined,
    secrets: SecretStore,
    private readonly deps: ClusterDeps,
  ) {
    this.log = deps.log.child({ cluster: name });
    const cfg = parseClusterConfig(name, raw);
    this.cstats = new ClusterStats(deps.stats, name);
    this.breakers = new CircuitBreakers(cfg.thresholds, this.cstats);
    this.hosts = new HostSet(cfg.lb, this.cstats, deps.random);
    this.udp = new UdpSessions({
      cluster: name,
      connections: () => this.breakers.connections,
      stats: () => this.cstats,
      // Envoy's UDP load balancer context carries no downstream connection, so ORIGINAL_DST has no host.
      pick: (ctx) => (this.draining || this.cfg.type === 'ORIGINAL_DST' ? undefined : this.hosts.pick(ctx)),
    });
    this.update(raw, assignment, secrets);
  }

  update(raw: Decoded, assignment: Decoded | undefined, secrets: SecretStore): void {
    const prev = this.cfg as ClusterConfig | undefined;
    const prevRaw = this.raw;
    const cfg = parseClusterConfig(this.name, raw);
    this.cfg = cfg;
    this.raw = raw;
    this.secrets = secrets;
    // Secure contexts are rebuilt only when the TLS config or a secret it names changed (EDS updates are frequent).
    const tlsDeps = cfg.tls ? [cfg.transportKey, ...referencedSecrets(obj(cfg.tls.common_tls_context), secrets)] : [cfg.transportKey];
    if (tlsDeps.length !== this.tlsDeps.length || tlsDeps.some((d, i) => d !== this.tlsDeps[i])) this.tlsCache.clear();
    this.tlsDeps = tlsDeps;
    this.breakers.update(cfg.thresholds);
    if (prev && fingerprint(prev.lb) !== fingerprint(cfg.lb)) this.hosts.setLb(cfg.lb);
    if (prev && prev.transportKey !== cfg.transportKey) this.retireAllPools();
    if (!prev || fingerprint(prevRaw.outlier_detection) !== fingerprint(raw.outlier_detection)) this.syncOutlier(!!prev);
    if (!prev || fingerprint(prevRaw.health_checks) !== fingerprint(raw.health_checks)) this.syncHealthCheck(!!prev);
    if (cfg.type === 'ORIGINAL_DST') this.originalDst.start(durationMs(raw.cleanup_interval, ORIGINAL_DST_CLEANUP_MS));
    else {
      this.originalDst.stop();
      this.setHosts(cfg.type === 'STATIC' ? (cfg.loadAssignment ?? {}) : assignment);
    }
  }

  async request(req: UpstreamHttpRequest, ctx: LbContext): Promise<UpstreamResponse> {
    if (this.warming) await untilAborted(this.warming.promise, req.signal);
    this.transport('http');
    const host = this.choose(ctx);
    const pool = this.poolFor(host);
    const started = performance.now();
    let res: UpstreamResponse;
    try {
      res = await pool.request(req);
    } catch (err) {
      this.reportFailure(host, err, req.signal);
      throw err;
    }
    this.outlier?.report(host, res.status);
    this.cstats.responseCode(res.status);
    res.body.once('end', () => this.cstats.rqTime.record(performance.now() - started));
    return res;
  }

  /**
   * As Envoy's TCP connection pool, a tcp_proxy connection also counts as an
   * upstream request (upstream_rq_total/active, max_requests, the host's
   * active requests for LEAST_REQUEST) while it is open.
   */
  async connect(ctx: LbContext): Promise<{ socket: Duplex; host: string }> {
    if (this.warming) await this.warming.promise;
    const tls = this.transport('tcp');
    const host = this.choose(ctx);
    const { breakers, cstats } = this;
    if (!breakers.connections.canCreate()) {
      cstats.cxOverflow.inc();
      throw new UpstreamError('overflow', 'max_connections circuit breaker open', host.key);
    }
    if (!breakers.requests.canCreate()) {
      cstats.rqPendingOverflow.inc();
      throw new UpstreamError('overflow', 'max_requests circuit breaker open', host.key);
    }
    breakers.connections.inc();
    cstats.cxTotal.inc();
    cstats.cxActive.add(1);
    const started = performance.now();
    let socket: net.Socket;
    try {
      socket = await dial({ address: host.address, port: host.port, timeoutMs: this.cfg.connectTimeoutMs, tls });
    } catch (err) {
      breakers.connections.dec();
      cstats.cxActive.add(-1);
      cstats.cxConnectFail.inc();
      if (err instanceof DialError && err.timedOut) cstats.cxConnectTimeout.inc();
      this.outlier?.report(host, 503);
      throw new UpstreamError('connect_failure', (err as Error).message, host.key);
    }
    cstats.cxConnectMs.record(performance.now() - started);
    // Envoy's tcp_proxy reports a successful connect as a final success.
    this.outlier?.report(host, 200);
    breakers.requests.inc();
    cstats.rqTotal.inc();
    cstats.rqActive.add(1);
    host.activeRequests++;
    socket.once('close', () => {
      breakers.connections.dec();
      breakers.requests.dec();
      cstats.cxActive.add(-1);
      cstats.rqActive.add(-1);
      cstats.cxDestroy.inc();
      host.activeRequests--;
    });
    return { socket, host: host.key };
  }

  udpSession(ctx: LbContext, replacing?: UdpUpstream): UdpUpstream {
    return this.udp.open(ctx, replacing);
  }

  tryRetry(): boolean {
    if (!this.breakers.retries.canCreate()) {
      this.cstats.rqRetryOverflow.inc();
      return false;
    }
    this.breakers.retries.inc();
    return true;
  }

  retryDone(): void {
    this.breakers.retries.dec();
  }

  /** Stops health checking and outlier sweeps, closes idle connections; resolves when the last in-flight one has finished. */
  drain(): Promise<void> {
    this.draining = true;
    this.udp.clusterRemoved();
    this.originalDst.stop();
    this.hc?.stop();
    this.outlier?.stop();
    this.warming?.done();
    this.retireAllPools();
    return new Promise((resolve) => {
      const check = () => (this.retired.size === 0 ? resolve() : undefined);
      for (const p of this.retired) {
        const prev = p.onEmpty;
        p.onEmpty = () => {
          prev?.();
          check();
        };
      }
      check();
    });
  }

  /** Closes every connection now. */
  close(): void {
    void this.drain();
    for (const p of [...this.retired]) p.destroy();
  }

  private choose(ctx: LbContext): Host {
    // A removed cluster takes no new work; callers still holding it get what Envoy's router would.
    if (this.draining) throw new UpstreamError('no_healthy_upstream', `cluster ${this.name} was removed`);
    const host = this.cfg.type === 'ORIGINAL_DST' ? this.originalDst.pick(ctx) : (this.overrideHost(ctx) ?? this.hosts.pick(ctx));
    if (!host) {
      this.cstats.cxNoneHealthy.inc();
      throw new UpstreamError('no_healthy_upstream', `no healthy upstream in cluster ${this.name}`);
    }
    return host;
  }

  // Envoy's override host: honoured while the host is a healthy member (its
  // default override_host_status); strict sessions fail instead of moving.
  private overrideHost(ctx: LbContext): Host | undefined {
    const o = ctx.overrideHost;
    if (!o) return undefined;
    const host = this.hosts.get(o.host);
    if (host && host.healthy && !host.excluded) return host;
    if (o.strict) {
      this.cstats.cxNoneHealthy.inc();
      throw new UpstreamError('no_healthy_upstream', `stateful session host ${o.host} is not a healthy host of cluster ${this.name}`);
    }
    return undefined;
  }

  /** The TLS options for new connections; throws connect_failure while an SDS secret is missing. */
  private transport(kind: 'http' | 'tcp'): UpstreamTls | undefined {
    let t = this.tlsCache.get(kind);
    if (!this.tlsCache.has(kind)) {
      t = this.buildTls(kind);
      this.tlsCache.set(kind, t);
    }
    if (t instanceof UpstreamError) throw t;
    return t;
  }

  private buildTls(kind: 'http' | 'tcp'): UpstreamTls | UpstreamError | undefined {
    if (!this.cfg.tls) return undefined;
    // Envoy's HTTP pools offer the pool's protocol over ALPN when the context names none.
    const fallback = kind === 'tcp' ? [] : this.cfg.http2 ? ['h2'] : ['http/1.1'];
    try {
      const t = upstreamTlsOptions(this.cfg.tls, this.secrets, fallback);
      if ('missing' in t) return new UpstreamError('connect_failure', `cluster ${this.name} is waiting for SDS secrets: ${t.missing.join(', ')}`);
      return t;
    } catch (err) {
      this.log.error('cannot build upstream TLS context', { error: err });
      return new UpstreamError('connect_failure', `cluster ${this.name} has an unusable TLS context: ${(err as Error).message}`);
    }
  }

  private poolFor(host: Host): HttpPool {
    let pool = this.pools.get(host);
    if (pool) return pool;
    const ctx: PoolContext = {
      stats: this.cstats,
      breakers: this.breakers,
      log: this.log,
      // transport() throws while a secret is missing: as a rejection, like any connect failure.
      dial: () => Promise.resolve().then(() => dial({ address: host.address, port: host.port, timeoutMs: this.cfg.connectTimeoutMs, tls: this.transport('http') })),
      idleTimeoutMs: () => this.cfg.idleTimeoutMs,
      maxRequestsPerConnection: () => this.cfg.maxRequestsPerConnection,
      maxConcurrentStreams: () => this.cfg.maxConcurrentStreams,
      secure: () => !!this.cfg.tls,
    };
    pool = this.cfg.http2 ? new Http2Pool(ctx, host) : new Http1Pool(ctx, host);
    this.pools.set(host, pool);
    return pool;
  }

  private retirePool(host: Host): void {
    const pool = this.pools.get(host);
    if (!pool) return;
    this.pools.delete(host);
    this.retired.add(pool);
    pool.onEmpty = () => this.retired.delete(pool);
    pool.drain();
  }

  private retireAllPools(): void {
    for (const host of [...this.pools.keys()]) this.retirePool(host);
  }

  /** Connect failures and resets count as 503 for outlier detection, a per-try timeout as 504; overflow and downstream aborts do not count. */
  private reportFailure(host: Host, err: unknown, signal: AbortSignal): void {
    if (!(err instanceof UpstreamError) || !this.outlier) return;
    if (err.reason === 'timeout') this.outlier.report(host, 504);
    else if (signal.aborted) return;
    else if (err.reason === 'connect_failure' || err.reason === 'reset') this.outlier.report(host, 503);
  }

  private setHosts(assignment: Decoded | undefined): void {
    // Until its ClusterLoadAssignment arrives an EDS cluster has no hosts; afterwards a missing one keeps the last.
    if (!assignment) return;
    const { added, removed } = this.hosts.update(hostSpecs(assignment), (h) => {
      h.failedActiveHc = !!this.hc;
    });
    for (const h of added) {
      this.outlier?.addHost(h);
      this.hc?.addHost(h);
    }
    for (const h of removed) {
      this.outlier?.removeHost(h);
      this.hc?.removeHost(h);
      this.warming?.pending.delete(h);
      this.retirePool(h);
      this.udp.hostRemoved(h);
    }
    if (!this.assignmentSeen) {
      this.assignmentSeen = true;
      // Envoy keeps a new cluster warming until every host has had its first health check.
      if (this.hc && this.hosts.size) this.startWarming();
    }
    if (this.warming && !this.warming.pending.size) this.warming.done();
  }

  private startWarming(): void {
    let done!: () => void;
    const promise = new Promise<void>((resolve) => (done = resolve));
    const w = {
      pending: new Set(this.hosts.hosts),
      promise,
      done: () => {
        if (this.warming === w) this.warming = undefined;
        done();
      },
    };
    this.warming = w;
  }

  private syncOutlier(live: boolean): void {
    const cfg = this.cfg.outlier ? parseOutlierConfig(this.cfg.outlier) : undefined;
    if (this.outlier && cfg) return this.outlier.update(cfg);
    this.outlier?.stop();
    this.outlier = undefined;
    if (!cfg || this.cfg.type === 'ORIGINAL_DST') return;
    this.outlier = new OutlierDetector<Host>(cfg, this.deps.stats, this.name, () => this.hosts.changed(), this.deps.random);
    if (live) for (const h of this.hosts.hosts) this.outlier.addHost(h);
  }

  private syncHealthCheck(live: boolean): void {
    const had = !!this.hc;
    this.hc?.stop();
    this.hc = undefined;
    const hc = this.cfg.healthCheck;
    if (!hc || this.cfg.type === 'ORIGINAL_DST') {
      for (const h of this.hosts.hosts) h.failedActiveHc = h.activeHcTimeout = false;
      if (live) this.hosts.changed();
      return;
    }
    this.hc = new HealthChecker<Host>(hc, {
      cluster: this.name,
      stats: this.deps.stats,
      log: this.log,
      dial: (host, timeoutMs) => dial({ address: host.address, port: host.port, timeoutMs, tls: this.transport('tcp') }),
      hadTraffic: () => this.cstats.cxTotal.value() > 0,
      onResult: (host, healthy, changed, first) => {
        if (changed) this.hosts.changed();
        if (healthy) this.outlier?.healthCheckPassed(host);
        if (first && this.warming?.pending.delete(host) && !this.warming.pending.size) this.warming.done();
      },
    });
    for (const h of this.hosts.hosts) {
      // A health checker added to a live cluster starts its hosts unhealthy, as a new Envoy cluster does.
      if (!had) h.failedActiveHc = true;
      this.hc.addHost(h);
    }
    if (live) this.hosts.changed();
  }
}

/** Waits for `p`, or rejects as the attempt is aborted. */
function untilAborted(p: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

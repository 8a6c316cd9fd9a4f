// envoy.filters.network.tcp_proxy: one upstream connection per downstream
// connection, bytes copied both ways with backpressure, half-close passed on,
// idle timeout (Envoy's default: 1 h), weighted clusters chosen per connection.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AccessLogger } from '../access-log.js';
import type { DownstreamConnection, TerminalFilter } from '../listener/connection.js';
import type { Stats } from '../stats.js';
import { UpstreamError, type ClusterManager, type Decoded } from '../types.js';
import { durationMs, wrapped } from '../upstream/fields.js';

export interface TcpProxyDeps {
  clusters: ClusterManager;
  stats: Stats;
  accessLogs: AccessLogger[];
}

export class TcpProxy implements TerminalFilter {
  private readonly prefix: string;
  private readonly weighted: { name: string; weight: number }[];
  private readonly total: number;
  private readonly idleMs: number;
  private readonly maxAttempts: number;
  private readonly open = new Set<{ down: Duplex; up?: Duplex }>();

  constructor(
    cfg: Decoded,
    private readonly deps: TcpProxyDeps,
  ) {
    this.prefix = String(cfg.stat_prefix ?? '');
    const wc = (cfg.weighted_clusters as { clusters?: { name?: string; weight?: number }[] } | undefined)?.clusters;
    this.weighted = wc ? wc.map((c) => ({ name: c.name ?? '', weight: c.weight ?? 0 })) : [{ name: String(cfg.cluster ?? ''), weight: 1 }];
    this.total = this.weighted.reduce((s, c) => s + c.weight, 0);
    this.idleMs = durationMs(cfg.idle_timeout, 3_600_000);
    this.maxAttempts = wrapped(cfg.max_connect_attempts, 1);
  }

  private pick(): string {
    let r = Math.random() * this.total;
    for (const c of this.weighted) if ((r -= c.weight) < 0) return c.name;
    return this.weighted[this.weighted.length - 1]!.name;
  }

  handle(conn: DownstreamConnection): void {
    const tags = { envoy_tcp_prefix: this.prefix };
    const { stats } = this.deps;
    stats.counter('envoy_tcp_downstream_cx_total', tags).inc();
    const down = conn.socket;
    const entry: { down: Duplex; up?: Duplex } = { down };
    this.open.add(entry);
    const clusterName = this.pick();
    const cluster = this.deps.clusters.get(clusterName);
    const flags: string[] = [];
    let upstreamHost: string | undefined;
    let bytesIn = 0;
    let bytesOut = 0;
    let logged = false;
    const finish = () => {
      if (logged) return;
      logged = true;
      this.open.delete(entry);
      entry.up?.destroy();
      down.destroy();
      for (const l of this.deps.accessLogs)
        l.log({
          startTime: new Date(conn.startMs),
          durationMs: Date.now() - conn.startMs,
          protocol: '-',
          responseCode: 0,
          responseFlags: flags,
          bytesReceived: bytesIn,
          bytesSent: bytesOut,
          upstreamHost,
          upstreamCluster: clusterName,
          downstreamRemoteAddress: `${conn.facts.sourceAddress}:${conn.facts.sourcePort}`,
          downstreamLocalAddress: `${conn.facts.destinationAddress}:${conn.facts.destinationPort}`,
        });
    };
    // A FIN is passed on by pipe() (half-close); once one side is fully
    // closed the other is flushed and closed too, and the connection is
    // logged when both are gone.
    let closed = 0;
    const closedOne = () => ++closed === 2 && finish();
    down.on('close', () => {
      if (!entry.up) return finish();
      (entry.up as Socket).destroySoon();
      closedOne();
    });
    if (!cluster) {
      stats.counter('envoy_tcp_downstream_cx_no_route', tags).inc();
      flags.push('NR');
      finish();
      return;
    }
    // Bytes that arrive before the upstream is connected wait in the socket.
    down.pause();
    const attempt = async (n: number): Promise<void> => {
      try {
        const { socket: up, host } = await cluster.connect({ originalDst: conn.originalDst });
        if (logged) {
          up.destroy();
          return;
        }
        upstreamHost = host;
        entry.up = up;
        up.on('error', () => down.destroy());
        down.on('error', () => up.destroy());
        down.on('data', (b: Buffer) => void (bytesIn += b.length));
        up.on('data', (b: Buffer) => void (bytesOut += b.length));
        down.pipe(up);
        up.pipe(down);
        up.on('close', () => {
          (down as Socket).destroySoon();
          closedOne();
        });
        this.idle(down, up, () => {
          stats.counter('envoy_tcp_idle_timeout', tags).inc();
          finish();
        });
        down.resume();
      } catch (err) {
        const reason = err instanceof UpstreamError ? err.reason : 'connect_failure';
        if (reason === 'connect_failure' && n + 1 < this.maxAttempts && !logged) return attempt(n + 1);
        flags.push(reason === 'overflow' ? 'UO' : reason === 'no_healthy_upstream' ? 'UH' : 'UF');
        if (reason === 'connect_failure') stats.counter('envoy_tcp_upstream_cx_connect_fail', tags).inc();
        finish();
      }
    };
    void attempt(0);
  }

  private idle(down: Duplex, up: Duplex, onIdle: () => void): void {
    if (!this.idleMs) return;
    let timer = setTimeout(onIdle, this.idleMs);
    const bump = () => {
      clearTimeout(timer);
      timer = setTimeout(onIdle, this.idleMs);
    };
    down.on('data', bump);
    up.on('data', bump);
    const clear = () => clearTimeout(timer);
    down.on('close', clear);
    up.on('close', clear);
  }

  drain(): void {
    // TCP has no in-band way to ask a client to go away: connections run
    // until they end or the listener's drain time closes them.
  }

  close(): void {
    for (const e of this.open) {
      e.up?.destroy();
      e.down.destroy();
    }
    this.open.clear();
  }
}

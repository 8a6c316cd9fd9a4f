// One udp_proxy session (Envoy's UdpProxyFilter::ActiveSession): an upstream
// socket connected to the session's host, so only that host's datagrams come
// back on it; an idle timer re-armed by every datagram either way; the stats
// of each datagram moved.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Counter, Stats } from '../stats.js';
import type { UdpUpstream } from '../types.js';
import type { UdpProxyStats } from './udp-proxy.js';

export interface Peer {
  address: string;
  port: number;
}

export interface UdpSessionOptions {
  peer: Peer;
  cluster: string;
  upstream: UdpUpstream;
  idleTimeoutMs: number;
  /** Upstream datagrams above this size are dropped (upstream_socket_config.max_rx_datagram_size). */
  maxRxDatagramSize: number;
  proxyStats: UdpProxyStats;
  stats: Stats;
  sendDownstream(data: Buffer, peer: Peer, cb: (err: Error | null) => void): void;
  /** Called once, whatever ended the session. */
  onClose(): void;
}

/** cluster.<name>.udp.* and the cluster's upstream_cx_{rx,tx}_bytes_total. */
interface ClusterUdpStats {
  rxDatagrams: Counter;
  rxDatagramsDropped: Counter;
  rxErrors: Counter;
  txDatagrams: Counter;
  txErrors: Counter;
  rxBytes: Counter;
  txBytes: Counter;
}

function clusterStats(stats: Stats, cluster: string): ClusterUdpStats {
  const tags = { envoy_cluster_name: cluster };
  const c = (n: string) => stats.counter(`envoy_cluster_${n}`, tags);
  return {
    rxDatagrams: c('udp_sess_rx_datagrams'),
    rxDatagramsDropped: c('udp_sess_rx_datagrams_dropped'),
    rxErrors: c('udp_sess_rx_errors'),
    txDatagrams: c('udp_sess_tx_datagrams'),
    txErrors: c('udp_sess_tx_errors'),
    rxBytes: c('upstream_cx_rx_bytes_total'),
    txBytes: c('upstream_cx_tx_bytes_total'),
  };
}

export class UdpSession {
  readonly upstream: UdpUpstream;
  private readonly socket: dgram.Socket;
  private readonly timer: NodeJS.Timeout;
  private readonly cstats: ClusterUdpStats;
  /** Datagrams written before connect() completed (Node connects asynchronously; Envoy synchronously). */
  private pending: Buffer[] | undefined = [];
  private closed = false;
  private connectFailed = false;

  constructor(private readonly o: UdpSessionOptions) {
    this.upstream = o.upstream;
    this.cstats = clusterStats(o.stats, o.cluster);
    this.timer = setTimeout(() => {
      o.proxyStats.idleTimeout.inc();
      this.close();
    }, o.idleTimeoutMs);
    this.timer.unref();
    this.socket = dgram.createSocket({ type: isIPv6(o.upstream.address) ? 'udp6' : 'udp4' });
    // A connected UDP socket reports an ICMP port unreachable as a receive error.
    this.socket.on('error', () => this.cstats.rxErrors.inc());
    this.socket.on('message', (data: Buffer) => this.fromUpstream(data));
    this.socket.connect(o.upstream.port, o.upstream.address, (err?: Error) => {
      const queued = this.pending ?? [];
      this.pending = undefined;
      if (this.closed) return;
      if (err) this.connectFailed = true;
      for (const d of queued) this.sendUpstream(d);
    });
  }

  /** A datagram from the downstream peer. */
  write(data: Buffer): void {
    if (this.closed) return;
    this.o.proxyStats.rxBytes.inc(data.length);
    this.o.proxyStats.rxDatagrams.inc();
    this.timer.refresh();
    if (this.pending) this.pending.push(data);
    else this.sendUpstream(data);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.pending = undefined;
    this.socket.close();
    this.upstream.release();
    this.o.onClose();
  }

  private sendUpstream(data: Buffer): void {
    if (this.connectFailed) return this.cstats.txErrors.inc();
    this.socket.send(data, (err) => {
      if (err) return this.cstats.txErrors.inc();
      this.cstats.txDatagrams.inc();
      this.cstats.txBytes.inc(data.length);
    });
  }

  private fromUpstream(data: Buffer): void {
    if (this.closed) return;
    if (data.length > this.o.maxRxDatagramSize) {
      this.cstats.rxDatagramsDropped.inc();
      return;
    }
    this.timer.refresh();
    this.cstats.rxDatagrams.inc();
    this.cstats.rxBytes.inc(data.length);
    const ps = this.o.proxyStats;
    this.o.sendDownstream(data, this.o.peer, (err) => {
      if (err) return ps.txErrors.inc();
      ps.txBytes.inc(data.length);
      ps.txDatagrams.inc();
    });
  }
}

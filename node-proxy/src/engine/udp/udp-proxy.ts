// Envoy's udp_proxy listener filter (envoy.filters.udp_listener.udp_proxy):
// datagrams from one downstream address:port form a session; the session's
// first datagram picks the route's cluster and, through the cluster's load
// balancer, one host; the session gets its own upstream socket, connected to
// that host, and every later datagram of the session goes there. Upstream
// replies go back to the session's downstream address from the listener's
// socket. A session with no datagram either way for idle_timeout (default
// 60 s) ends. Stats are Envoy's udp.<stat_prefix>.* and the cluster's udp.*
// and upstream_cx_* ones.
import type { Logger } from '../../../../xds-server/src/log.js';
import type { Counter, Gauge, Stats } from '../stats.js';
import { UpstreamError, type ClusterManager, type Decoded, type UdpUpstream } from '../types.js';
import { durationMs, obj, unpackAny } from '../upstream/fields.js';
import { UdpSession, type Peer } from './session.js';

export const UDP_PROXY = 'envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig';
const UDP_ROUTE = 'envoy.extensions.filters.udp.udp_proxy.v3.Route';

/** Envoy's default for max_rx_datagram_size, on listener and upstream sockets alike. */
export const DEFAULT_MAX_RX_DATAGRAM_SIZE = 1500;

export interface UdpProxyConfig {
  statPrefix: string;
  /** The route's cluster; undefined when the matcher has no on_no_match (every datagram is no_route). */
  cluster?: string;
  idleTimeoutMs: number;
}

/** The decoded UdpProxyConfig (feature-checked) as the proxy runs it. */
export function compileUdpProxy(m: Decoded): UdpProxyConfig {
  let cluster: string | undefined;
  if (typeof m.cluster === 'string' && m.cluster) cluster = m.cluster;
  else if (m.matcher) {
    // The feature check admits a matcher with on_no_match → action → Route only.
    const action = unpackAny(obj(obj(obj(m.matcher).on_no_match).action).typed_config);
    if (action && action.name !== UDP_ROUTE) throw new Error(`udp_proxy matcher action ${action.name} is not a ${UDP_ROUTE}`);
    cluster = (action?.message.cluster as string | undefined) || undefined;
  } else throw new Error('udp_proxy: one of cluster or matcher is required');
  return { statPrefix: String(m.stat_prefix ?? ''), cluster, idleTimeoutMs: durationMs(m.idle_timeout, 60_000) };
}

export interface UdpProxyDeps {
  clusters: ClusterManager;
  stats: Stats;
  log: Logger;
  /** Sends a datagram from the listener's socket. */
  sendDownstream(data: Buffer, peer: Peer, cb: (err: Error | null) => void): void;
}

/** udp.<stat_prefix>.* */
export interface UdpProxyStats {
  sessTotal: Counter;
  sessActive: Gauge;
  noRoute: Counter;
  rxBytes: Counter;
  rxDatagrams: Counter;
  rxErrors: Counter;
  txBytes: Counter;
  txDatagrams: Counter;
  txErrors: Counter;
  idleTimeout: Counter;
}

function proxyStats(stats: Stats, prefix: string): UdpProxyStats {
  const tags = { envoy_udp_prefix: prefix };
  const c = (n: string) => stats.counter(`envoy_udp_${n}`, tags);
  return {
    sessTotal: c('downstream_sess_total'),
    sessActive: stats.gauge('envoy_udp_downstream_sess_active', tags),
    noRoute: c('downstream_sess_no_route'),
    rxBytes: c('downstream_sess_rx_bytes'),
    rxDatagrams: c('downstream_sess_rx_datagrams'),
    rxErrors: c('downstream_sess_rx_errors'),
    txBytes: c('downstream_sess_tx_bytes'),
    txDatagrams: c('downstream_sess_tx_datagrams'),
    txErrors: c('downstream_sess_tx_errors'),
    idleTimeout: c('idle_timeout'),
  };
}

export class UdpProxy {
  private readonly sessions = new Map<string, UdpSession>();
  private readonly stats: UdpProxyStats;
  private closed = false;

  constructor(
    readonly config: UdpProxyConfig,
    private readonly deps: UdpProxyDeps,
  ) {
    this.stats = proxyStats(deps.stats, config.statPrefix);
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  onDatagram(data: Buffer, peer: Peer): void {
    if (this.closed) return;
    const name = this.config.cluster;
    const cluster = name === undefined ? undefined : this.deps.clusters.get(name);
    if (!cluster?.udpSession) {
      this.stats.noRoute.inc();
      return;
    }
    const key = `${peer.address}|${peer.port}`;
    let session = this.sessions.get(key);
    if (session && !session.upstream.healthy()) {
      let next: UdpUpstream;
      try {
        next = cluster.udpSession({}, session.upstream);
      } catch {
        // The old session was given up for a new one the breaker refused: Envoy drops the datagram.
        session.close();
        return;
      }
      if (next !== session.upstream) {
        session.close();
        session = this.start(key, peer, cluster.name, next);
      }
    }
    if (!session) {
      let upstream: UdpUpstream;
      try {
        upstream = cluster.udpSession({});
      } catch (err) {
        // Counted by the cluster: upstream_cx_overflow or upstream_cx_none_healthy.
        if (!(err instanceof UpstreamError)) this.deps.log.error('udp_proxy: cannot open a session', { error: (err as Error).message });
        return;
      }
      session = this.start(key, peer, cluster.name, upstream);
    }
    session.write(data);
  }

  /** A receive error on the listener's socket. */
  onReceiveError(): void {
    this.stats.rxErrors.inc();
  }

  /** Ends every session (listener updated or removed). */
  close(): void {
    this.closed = true;
    for (const s of [...this.sessions.values()]) s.close();
  }

  private start(key: string, peer: Peer, cluster: string, upstream: UdpUpstream): UdpSession {
    const session = new UdpSession({
      peer,
      cluster,
      upstream,
      idleTimeoutMs: this.config.idleTimeoutMs,
      maxRxDatagramSize: DEFAULT_MAX_RX_DATAGRAM_SIZE,
      proxyStats: this.stats,
      stats: this.deps.stats,
      sendDownstream: this.deps.sendDownstream,
      onClose: () => {
        if (this.sessions.get(key) === session) this.sessions.delete(key);
        this.stats.sessActive.add(-1);
      },
    });
    upstream.onGone = () => session.close();
    this.sessions.set(key, session);
    this.stats.sessTotal.inc();
    this.stats.sessActive.add(1);
    return session;
  }
}

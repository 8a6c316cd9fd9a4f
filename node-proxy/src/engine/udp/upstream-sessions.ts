// A cluster's side of udp_proxy sessions, as Envoy's UdpProxyFilter::ClusterInfo
// does it: every session holds a slot of the cluster's max_connections
// circuit breaker and one host chosen by the cluster's load balancer; a host
// that leaves the cluster (or a removed cluster) ends its sessions at once; a
// session whose host turned unhealthy moves to a healthy other host on its
// next datagram when the balancer offers one.
import type { Resource } from '../upstream/circuit-breakers.js';
import type { ClusterStats } from '../upstream/cluster-stats.js';
import type { Host } from '../upstream/hosts.js';
import { UpstreamError, type LbContext, type UdpUpstream } from '../types.js';

export interface UdpSessionsDeps {
  cluster: string;
  /** The max_connections breaker: Envoy counts each UDP session as a connection. */
  connections(): Resource;
  stats(): ClusterStats;
  /** The load balancer's pick, counting nothing; undefined when there is no host to use. */
  pick(ctx: LbContext): Host | undefined;
}

class Hold implements UdpUpstream {
  readonly address: string;
  readonly port: number;
  readonly host: string;
  onGone?: () => void;
  private released = false;

  constructor(
    readonly h: Host,
    private readonly owner: UdpSessions,
  ) {
    this.address = h.address;
    this.port = h.port;
    this.host = h.key;
  }

  healthy(): boolean {
    return this.h.healthy;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.released(this);
  }

  gone(): void {
    this.release();
    this.onGone?.();
  }
}

export class UdpSessions {
  private readonly byHost = new Map<Host, Set<Hold>>();

  constructor(private readonly deps: UdpSessionsDeps) {}

  open(ctx: LbContext, replacing?: UdpUpstream): UdpUpstream {
    let host: Host | undefined;
    if (replacing) {
      // Envoy: only a healthy, different host replaces the session; otherwise it keeps its host.
      host = this.deps.pick(ctx);
      if (!host || !host.healthy || host.key === replacing.host) return replacing;
      replacing.release();
    }
    const connections = this.deps.connections();
    if (!connections.canCreate()) {
      this.deps.stats().cxOverflow.inc();
      throw new UpstreamError('overflow', `max_connections circuit breaker of cluster ${this.deps.cluster} open`);
    }
    host ??= this.deps.pick(ctx);
    if (!host) {
      this.deps.stats().cxNoneHealthy.inc();
      throw new UpstreamError('no_healthy_upstream', `no healthy upstream in cluster ${this.deps.cluster}`);
    }
    connections.inc();
    const hold = new Hold(host, this);
    let set = this.byHost.get(host);
    if (!set) this.byHost.set(host, (set = new Set()));
    set.add(hold);
    return hold;
  }

  /** The host left the cluster: its sessions end now. */
  hostRemoved(host: Host): void {
    for (const hold of [...(this.byHost.get(host) ?? [])]) hold.gone();
  }

  /** The cluster was removed: every session ends now. */
  clusterRemoved(): void {
    for (const set of [...this.byHost.values()]) for (const hold of [...set]) hold.gone();
  }

  /** @internal Hold.release */
  released(hold: Hold): void {
    this.deps.connections().dec();
    const set = this.byHost.get(hold.h);
    set?.delete(hold);
    if (set && !set.size) this.byHost.delete(hold.h);
  }
}

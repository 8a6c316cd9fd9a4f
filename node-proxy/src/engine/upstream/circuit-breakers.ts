// circuit_breakers.thresholds at priority DEFAULT: cluster-wide counts of
// connections, pending requests, active requests and active retries against
// their limits. Limits change in place on a cluster update; counts carry over.
import type { Thresholds } from './cluster-config.js';
import type { ClusterStats } from './cluster-stats.js';
import type { Gauge } from '../stats.js';

export class Resource {
  private count = 0;
  constructor(
    public max: number,
    private readonly open: Gauge,
  ) {}

  canCreate(): boolean {
    return this.count < this.max;
  }

  get current(): number {
    return this.count;
  }

  inc(): void {
    this.count++;
    this.sync();
  }

  dec(): void {
    if (this.count > 0) this.count--;
    this.sync();
  }

  sync(): void {
    this.open.set(this.count >= this.max ? 1 : 0);
  }
}

export class CircuitBreakers {
  readonly connections: Resource;
  readonly pending: Resource;
  readonly requests: Resource;
  readonly retries: Resource;

  constructor(t: Thresholds, stats: ClusterStats) {
    this.connections = new Resource(t.maxConnections, stats.cbCxOpen);
    this.pending = new Resource(t.maxPendingRequests, stats.cbRqPendingOpen);
    this.requests = new Resource(t.maxRequests, stats.cbRqOpen);
    this.retries = new Resource(t.maxRetries, stats.cbRqRetryOpen);
    this.update(t);
  }

  update(t: Thresholds): void {
    this.connections.max = t.maxConnections;
    this.pending.max = t.maxPendingRequests;
    this.requests.max = t.maxRequests;
    this.retries.max = t.maxRetries;
    for (const r of [this.connections, this.pending, this.requests, this.retries]) r.sync();
  }
}

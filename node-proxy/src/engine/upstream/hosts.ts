// Upstream hosts: what a ClusterLoadAssignment says about each endpoint, plus
// the health state the engine learns (outlier ejection, active health
// checks). A host keeps its identity (address:port) across EDS updates so its
// pool, outlier and health-check state survive them.
import { isIPv6 } from 'node:net';
import type { Decoded } from '../types.js';
import { list, obj, wrapped } from './fields.js';
import type { LbHost } from './lb/types.js';

export type EdsHealth = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';

export interface HostSpec {
  address: string;
  port: number;
  weight: number;
  health: EdsHealth;
  metadata?: Decoded;
  locality?: Decoded;
}

/** The part of a host a connection pool needs to release its accounting. */
export interface PoolHost {
  readonly key: string;
  activeRequests: number;
}

export function hostKey(address: string, port: number): string {
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

export class Host implements LbHost, PoolHost {
  readonly key: string;
  weight = 1;
  edsHealth: EdsHealth = 'UNKNOWN';
  metadata?: Decoded;
  locality?: Decoded;
  /** FAILED_OUTLIER_CHECK */
  failedOutlier = false;
  /** FAILED_ACTIVE_HC: set for every new host while a health checker runs, until its first success. */
  failedActiveHc = false;
  /** ACTIVE_HC_TIMEOUT */
  activeHcTimeout = false;
  activeRequests = 0;
  /** Whether an ORIGINAL_DST host was used since the last cleanup. */
  used = true;

  constructor(
    readonly address: string,
    readonly port: number,
  ) {
    this.key = hostKey(address, port);
  }

  apply(spec: HostSpec): void {
    this.weight = spec.weight;
    this.edsHealth = spec.health;
    this.metadata = spec.metadata;
    this.locality = spec.locality;
  }

  /** Excluded hosts take no traffic, even in panic, and do not count toward it (Envoy: EDS DRAINING). */
  get excluded(): boolean {
    return this.edsHealth === 'DRAINING';
  }

  /** Envoy's coarse health: no failure flag set. DEGRADED is treated as healthy (no degraded tier). */
  get healthy(): boolean {
    return !this.failedOutlier && !this.failedActiveHc && !this.excluded && this.edsHealth !== 'UNHEALTHY' && this.edsHealth !== 'TIMEOUT';
  }
}

/**
 * The priority-0 endpoints of a ClusterLoadAssignment. Locality weights are
 * not applied: Envoy uses them only with locality_weighted_lb_config, so the
 * effective weight is the endpoint's load_balancing_weight (default 1).
 */
export function hostSpecs(cla: Decoded | undefined): HostSpec[] {
  const out: HostSpec[] = [];
  const seen = new Set<string>();
  for (const group of list(cla?.endpoints)) {
    if (Number(group.priority ?? 0) !== 0) continue;
    for (const lb of list(group.lb_endpoints)) {
      const sa = obj(obj(obj(lb.endpoint).address).socket_address);
      const address = String(sa.address ?? '');
      const port = Number(sa.port_value ?? 0);
      if (!address) continue;
      const key = hostKey(address, port);
      if (seen.has(key)) continue;
      seen.add(key);
      const spec: HostSpec = {
        address,
        port,
        weight: Math.max(1, wrapped(lb.load_balancing_weight, 1)),
        health: (lb.health_status as EdsHealth | undefined) ?? 'UNKNOWN',
      };
      if (lb.metadata) spec.metadata = obj(lb.metadata);
      if (group.locality) spec.locality = obj(group.locality);
      out.push(spec);
    }
  }
  return out;
}

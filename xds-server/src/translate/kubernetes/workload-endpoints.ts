// Endpoints of a Service from nodemesh Workloads (endpoints outside
// Kubernetes) whose labels match the Service's selector, like Pods would.
import type { ConfigError } from '../../../../crds/src/errors.js';
import type { ServiceObject, WorkloadObject } from '../../../../crds/src/resources.js';
import type { EndpointHealth } from '../../model/types.js';
import type { EndpointSet } from './endpoint-set.js';
import { describe, objectError, sourceRef } from './source.js';
import { spiffeId } from './spiffe.js';

const HEALTH: Readonly<Record<WorkloadObject['spec']['health'], EndpointHealth>> = {
  Healthy: 'healthy',
  Unhealthy: 'unhealthy',
  Draining: 'draining',
};

/** A Service without a selector (or with an empty one) has its endpoints managed elsewhere and selects no Workloads. */
export function selects(service: ServiceObject, workload: WorkloadObject): boolean {
  const selector = Object.entries(service.spec.selector ?? {});
  if (selector.length === 0) return false;
  return selector.every(([k, v]) => workload.spec.labels[k] === v);
}

/**
 * The Workloads of one namespace indexed by label, so a Service's selector
 * looks only at Workloads carrying one of its labels instead of all of them
 * (Services × Workloads was quadratic: seconds at a few thousand of each).
 */
export class WorkloadIndex {
  private readonly byLabel = new Map<string, WorkloadObject[]>();

  constructor(workloads: readonly WorkloadObject[]) {
    for (const w of workloads)
      for (const [k, v] of Object.entries(w.spec.labels)) {
        const key = `${k}=${v}`;
        const list = this.byLabel.get(key);
        if (list) list.push(w);
        else this.byLabel.set(key, [w]);
      }
  }

  /** The Workloads `service` selects, in input order. */
  selectedBy(service: ServiceObject): WorkloadObject[] {
    let smallest: WorkloadObject[] | undefined;
    for (const [k, v] of Object.entries(service.spec.selector ?? {})) {
      const list = this.byLabel.get(`${k}=${v}`) ?? [];
      if (!smallest || list.length < smallest.length) smallest = list;
    }
    return (smallest ?? []).filter((w) => selects(service, w));
  }
}

export function addWorkloadEndpoint(service: ServiceObject, workload: WorkloadObject, set: EndpointSet, trustDomain: string, errors: ConfigError[]): void {
  const named = workload.spec.ports ?? {};
  const ports: Record<string, number> = {};
  for (const sp of service.spec.ports) {
    const byName = sp.name !== '' ? named[sp.name] : undefined;
    const port = byName ?? (typeof sp.targetPort === 'number' ? sp.targetPort : named[sp.targetPort]);
    if (port !== undefined) {
      ports[sp.name] = port;
      continue;
    }
    errors.push(
      objectError(
        workload,
        'spec.ports',
        `no port for ${describe(service)} port ${JSON.stringify(sp.name)} (targetPort ${JSON.stringify(sp.targetPort)}); the workload gets no traffic on it`,
        'warning',
      ),
    );
  }
  const locality = workload.spec.locality ?? {};
  set.add(
    {
      address: workload.spec.address,
      ports,
      node: workload.spec.node ?? '',
      locality: { region: locality.region ?? '', zone: locality.zone ?? '', subzone: locality.subzone ?? '' },
      identity: spiffeId(trustDomain, workload.metadata.namespace, workload.spec.serviceAccount),
      health: HEALTH[workload.spec.health],
      weight: workload.spec.weight,
      source: sourceRef(workload),
    },
    workload,
    'spec.address',
  );
}

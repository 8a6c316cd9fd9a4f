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

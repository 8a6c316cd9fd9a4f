// The parsed objects nodemesh understands, and Resources: the one typed input
// of the translator, whichever provider (files today) produced it.
import type { z } from 'zod';
import type { endpointSliceSchema } from './endpointslice.js';
import type { ConfigErrorOrigin } from './errors.js';
import type { serviceSchema } from './service.js';
import type { workloadSchema } from './workload.js';

/**
 * Where a parsed object came from. Kept on the object itself (not a side
 * table) so that model elements and errors derived from it can always name
 * their file and document.
 */
export interface Origin {
  origin: ConfigErrorOrigin;
}

export type ServiceObject = z.output<typeof serviceSchema> & Origin;
export type EndpointSliceObject = z.output<typeof endpointSliceSchema> & Origin;
export type WorkloadObject = z.output<typeof workloadSchema> & Origin;

export type KubeObject = ServiceObject | EndpointSliceObject | WorkloadObject;

export interface Resources {
  services: ServiceObject[];
  endpointSlices: EndpointSliceObject[];
  workloads: WorkloadObject[];
}

export function emptyResources(): Resources {
  return { services: [], endpointSlices: [], workloads: [] };
}

/** Appends an object to the Resources field of its kind. */
export function addToResources(resources: Resources, object: KubeObject): void {
  switch (object.kind) {
    case 'Service':
      resources.services.push(object);
      break;
    case 'EndpointSlice':
      resources.endpointSlices.push(object);
      break;
    case 'Workload':
      resources.workloads.push(object);
      break;
  }
}

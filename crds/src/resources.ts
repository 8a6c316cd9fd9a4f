// The parsed objects nodemesh understands, and Resources: the one typed input
// of the translator, whichever provider (files today) produced it.
import type { z } from 'zod';
import type { endpointSliceSchema } from './endpointslice.js';
import type { ConfigErrorOrigin } from './errors.js';
import type { serviceSchema } from './service.js';
import type { workloadSchema } from './workload.js';
import type { gatewaySchema } from './gateway-api/gateway.js';
import type { gatewayClassSchema } from './gateway-api/gatewayclass.js';
import type { httpRouteSchema } from './gateway-api/httproute.js';
import type { referenceGrantSchema } from './gateway-api/referencegrant.js';
import type { secretSchema } from './secret.js';
import type { ingressClassSchema, ingressSchema } from './ingress.js';

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

export type SecretObject = z.output<typeof secretSchema> & Origin;
export type GatewayClassObject = z.output<typeof gatewayClassSchema> & Origin;
export type GatewayObject = z.output<typeof gatewaySchema> & Origin;
export type HTTPRouteObject = z.output<typeof httpRouteSchema> & Origin;
export type ReferenceGrantObject = z.output<typeof referenceGrantSchema> & Origin;
export type IngressClassObject = z.output<typeof ingressClassSchema> & Origin;
export type IngressObject = z.output<typeof ingressSchema> & Origin;

export type KubeObject =
  | ServiceObject
  | EndpointSliceObject
  | WorkloadObject
  | SecretObject
  | GatewayClassObject
  | GatewayObject
  | HTTPRouteObject
  | ReferenceGrantObject
  | IngressClassObject
  | IngressObject;

export interface Resources {
  services: ServiceObject[];
  endpointSlices: EndpointSliceObject[];
  workloads: WorkloadObject[];
  /** Secrets of every type; Gateway listeners use the kubernetes.io/tls ones. */
  secrets: SecretObject[];
  gatewayClasses: GatewayClassObject[];
  gateways: GatewayObject[];
  httpRoutes: HTTPRouteObject[];
  referenceGrants: ReferenceGrantObject[];
  ingressClasses: IngressClassObject[];
  ingresses: IngressObject[];
}

export function emptyResources(): Resources {
  return { services: [], endpointSlices: [], workloads: [], secrets: [], gatewayClasses: [], gateways: [], httpRoutes: [], referenceGrants: [], ingressClasses: [], ingresses: [] };
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
    case 'Secret':
      resources.secrets.push(object);
      break;
    case 'GatewayClass':
      resources.gatewayClasses.push(object);
      break;
    case 'Gateway':
      resources.gateways.push(object);
      break;
    case 'HTTPRoute':
      resources.httpRoutes.push(object);
      break;
    case 'ReferenceGrant':
      resources.referenceGrants.push(object);
      break;
    case 'IngressClass':
      resources.ingressClasses.push(object);
      break;
    case 'Ingress':
      resources.ingresses.push(object);
      break;
    default: {
      // A new kind in KubeObject must get its Resources field here.
      const unhandled: never = object;
      void unhandled;
    }
  }
}

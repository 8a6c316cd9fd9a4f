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
import type { grpcRouteSchema } from './gateway-api/grpcroute.js';
import type { referenceGrantSchema } from './gateway-api/referencegrant.js';
import type { TCPRouteDoc, TLSRouteDoc, UDPRouteDoc } from './gateway-api/stream-routes.js';
import type { secretSchema } from './secret.js';
import type { namespaceSchema } from './namespace.js';
import type { ingressClassSchema, ingressSchema } from './ingress.js';
import type { nodeSchema } from './node.js';
import type { networkPolicySchema } from './networkpolicy.js';
import type { meshPolicySchema } from './meshpolicy.js';

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
export type GRPCRouteObject = z.output<typeof grpcRouteSchema> & Origin;
export type ReferenceGrantObject = z.output<typeof referenceGrantSchema> & Origin;
/** TLSRoute, TCPRoute, UDPRoute of any served apiVersion (they share one shape). */
export type TLSRouteObject = TLSRouteDoc & Origin;
export type TCPRouteObject = TCPRouteDoc & Origin;
export type UDPRouteObject = UDPRouteDoc & Origin;
export type IngressClassObject = z.output<typeof ingressClassSchema> & Origin;
export type IngressObject = z.output<typeof ingressSchema> & Origin;
/** nodemesh Node: published by each node's encryption agent (encryption/). */
export type NodeObject = z.output<typeof nodeSchema> & Origin;
export type NamespaceObject = z.output<typeof namespaceSchema> & Origin;
export type NetworkPolicyObject = z.output<typeof networkPolicySchema> & Origin;
export type MeshPolicyObject = z.output<typeof meshPolicySchema> & Origin;

export type KubeObject =
  | ServiceObject
  | EndpointSliceObject
  | WorkloadObject
  | SecretObject
  | GatewayClassObject
  | GatewayObject
  | HTTPRouteObject
  | GRPCRouteObject
  | ReferenceGrantObject
  | TLSRouteObject
  | TCPRouteObject
  | UDPRouteObject
  | IngressClassObject
  | IngressObject
  | NodeObject
  | NamespaceObject
  | NetworkPolicyObject
  | MeshPolicyObject;

export interface Resources {
  services: ServiceObject[];
  endpointSlices: EndpointSliceObject[];
  workloads: WorkloadObject[];
  /** Secrets of every type; Gateway listeners use the kubernetes.io/tls ones. */
  secrets: SecretObject[];
  gatewayClasses: GatewayClassObject[];
  gateways: GatewayObject[];
  httpRoutes: HTTPRouteObject[];
  grpcRoutes: GRPCRouteObject[];
  referenceGrants: ReferenceGrantObject[];
  tlsRoutes: TLSRouteObject[];
  tcpRoutes: TCPRouteObject[];
  udpRoutes: UDPRouteObject[];
  ingressClasses: IngressClassObject[];
  ingresses: IngressObject[];
  /** Mesh nodes (encryption peers); the xDS translator does not read them. */
  nodes: NodeObject[];
  /** Namespaces, for their labels (Gateway listeners select route namespaces by label). */
  namespaces: NamespaceObject[];
  /** Read for the nodemesh.io/mtls annotation only (auth policies); allow/deny is the CNI's. */
  networkPolicies: NetworkPolicyObject[];
  /** nodemesh MeshPolicies (auth policies). */
  meshPolicies: MeshPolicyObject[];
}

export function emptyResources(): Resources {
  return { services: [], endpointSlices: [], workloads: [], secrets: [], gatewayClasses: [], gateways: [], httpRoutes: [], grpcRoutes: [], referenceGrants: [], tlsRoutes: [], tcpRoutes: [], udpRoutes: [], ingressClasses: [], ingresses: [], nodes: [], namespaces: [], networkPolicies: [], meshPolicies: [] };
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
    case 'GRPCRoute':
      resources.grpcRoutes.push(object);
      break;
    case 'ReferenceGrant':
      resources.referenceGrants.push(object);
      break;
    case 'TLSRoute':
      resources.tlsRoutes.push(object);
      break;
    case 'TCPRoute':
      resources.tcpRoutes.push(object);
      break;
    case 'UDPRoute':
      resources.udpRoutes.push(object);
      break;
    case 'IngressClass':
      resources.ingressClasses.push(object);
      break;
    case 'Ingress':
      resources.ingresses.push(object);
      break;
    case 'Node':
      resources.nodes.push(object);
      break;
    case 'Namespace':
      resources.namespaces.push(object);
      break;
    case 'NetworkPolicy':
      resources.networkPolicies.push(object);
      break;
    case 'MeshPolicy':
      resources.meshPolicies.push(object);
      break;
    default: {
      // A new kind in KubeObject must get its Resources field here.
      const unhandled: never = object;
      void unhandled;
    }
  }
}

// The mesh model: the one internal representation every user API is translated
// into and the xDS translator reads from. Plain, serializable data (JSON round
// trips unchanged) so each stage can be golden-tested and diffed.
//
// Later user APIs add sibling arrays (gateways, HTTP routes, authentication
// policies); the xDS translator reads only this shape, never user resources.
import type { GatewayIR } from './gateway.js';
import type { MeshRouteIR } from './mesh-routes.js';
import type { AuthRequirementIR } from './auth-policies.js';

/** What speaks on a service port; decides HTTP-aware vs plain TCP handling. */
export type AppProtocol = 'http' | 'http2' | 'grpc' | 'tcp' | 'tls' | 'udp';

/** Envoy's lb_policy names that nodemesh exposes. */
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RING_HASH' | 'RANDOM' | 'MAGLEV';

/** Where an endpoint runs, as Envoy's core.v3.Locality. Empty strings mean unknown. */
export interface Locality {
  region: string;
  zone: string;
  subzone: string;
}

/** Which user object a model element came from, for errors and status. */
export interface SourceRef {
  kind: string;
  namespace: string;
  name: string;
  /** File and document index when the object came from the file provider. */
  file?: string;
  index?: number;
}

export interface ServicePort {
  /** Port name; unique within the service. May be '' when the service has one port. */
  name: string;
  port: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  appProtocol: AppProtocol;
}

export type EndpointHealth = 'healthy' | 'unhealthy' | 'draining';

export interface Endpoint {
  address: string;
  /** Service port name → the endpoint's port for it. Ports the endpoint lacks are absent. */
  ports: Record<string, number>;
  /** Node (and so node proxy) the endpoint runs on; '' when unknown. */
  node: string;
  locality: Locality;
  /** SPIFFE ID of the workload, when known. */
  identity?: string;
  health: EndpointHealth;
  /** Relative load-balancing weight, 1..128 (Envoy's endpoint weight range is ≥ 1). */
  weight: number;
  source: SourceRef;
}

export interface Service {
  namespace: string;
  name: string;
  /** Fully qualified name, e.g. reviews.default.svc.cluster.local. */
  hostname: string;
  /** Virtual IPs (ClusterIPs); empty for headless services. */
  vips: string[];
  ports: ServicePort[];
  endpoints: Endpoint[];
  lbPolicy: LbPolicy;
  source: SourceRef;
}

export interface MeshModel {
  /** SPIFFE trust domain, e.g. cluster.local. */
  trustDomain: string;
  /** DNS suffix of service hostnames, e.g. cluster.local. */
  clusterDomain: string;
  /** Sorted by namespace, then name. */
  services: Service[];
  /** Gateways (Gateway API, later Ingress); sorted by namespace, then name. Absent: none. */
  gateways?: GatewayIR[];
  /** East-west routes per Service port (GAMMA); sorted by namespace, service, port. Absent: none. */
  meshRoutes?: MeshRouteIR[];
  /** Which flows must be mutually authenticated (auth-policies.ts); sorted by destination. Absent: none. */
  authPolicies?: AuthRequirementIR[];
}

/** A model error: `path` is a dotted/bracketed path into MeshModel. */
export interface ModelError {
  path: string;
  message: string;
  source?: SourceRef;
}

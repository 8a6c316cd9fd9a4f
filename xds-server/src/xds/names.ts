// Resource names. Cluster names follow Istio's `outbound|port||host` form so
// that stats and admin output look familiar to people who run Istio.
import type { Service, ServicePort } from '../model/types.js';

export const clusterName = (svc: Service, port: ServicePort): string => `outbound|${port.port}||${svc.hostname}`;

/**
 * The HTTP/2 variant of a service port's cluster (same endpoints, HTTP/2 to
 * them): for routes whose requests need HTTP/2 when the port's own cluster
 * speaks HTTP/1.1 (GRPCRoute backends; model/gateway.ts BackendIR.protocol).
 * It takes Istio's subset slot: `outbound|8080|h2c|web.default.svc.cluster.local`.
 */
export const http2ClusterName = (cluster: string): string => {
  const [direction, port, , host] = cluster.split('|');
  return `${direction}|${port}|h2c|${host}`;
};

/** Route config and proxyless API listener name: what a gRPC client puts in `xds:///host:port`. */
export const hostPortName = (svc: Service, port: ServicePort): string => `${svc.hostname}:${port.port}`;

/** Per-service-port virtual listener of the Envoy profile (`vip_port`, as Istio). */
export const vipListenerName = (vip: string, port: ServicePort): string => `${vip}_${port.port}`;

/** The node proxy's capture listener and its passthrough cluster. */
export const OUTBOUND_LISTENER = 'nodemesh_outbound';
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';

// Gateways (model/gateway.ts). `|` cannot occur in a Kubernetes name, so each
// part of a gateway resource name stays unambiguous.

/** A gateway's route configuration for one port, shared by the listeners of all its addresses. */
export const gatewayRouteName = (gw: { namespace: string; name: string }, port: number): string => `gateway|${gw.namespace}/${gw.name}|${port}`;

/** A gateway's listener on one address and port: `gateway|<ns>/<name>|<address>:<port>` (IPv6 in brackets). */
export const gatewayListenerName = (gw: { namespace: string; name: string }, address: string, port: number): string =>
  `gateway|${gw.namespace}/${gw.name}|${address.includes(':') ? `[${address}]` : address}:${port}`;

/**
 * A cluster that never exists: weighted-cluster share of the traffic that
 * belonged to unresolvable backendRefs. Envoy answers it with the route's
 * cluster_not_found_response_code (500), as Envoy Gateway's
 * `invalid-backend-cluster`. Cannot clash with `outbound|…` service clusters.
 */
export const INVALID_BACKEND_CLUSTER = 'nodemesh_invalid_backend';

// Resource names. Cluster names follow Istio's `outbound|port||host` form so
// that stats and admin output look familiar to people who run Istio.
import type { Service, ServicePort } from '../model/types.js';

export const clusterName = (svc: Service, port: ServicePort): string => `outbound|${port.port}||${svc.hostname}`;

/** Route config and proxyless API listener name: what a gRPC client puts in `xds:///host:port`. */
export const hostPortName = (svc: Service, port: ServicePort): string => `${svc.hostname}:${port.port}`;

/** Per-service-port virtual listener of the Envoy profile (`vip_port`, as Istio). */
export const vipListenerName = (vip: string, port: ServicePort): string => `${vip}_${port.port}`;

/** The node proxy's capture listener and its passthrough cluster. */
export const OUTBOUND_LISTENER = 'nodemesh_outbound';
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';

// ClusterLoadAssignments: a service port's endpoints grouped by locality.
import type { ClusterLoadAssignment } from '../../../api/src/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.js';
import type { LbEndpoint } from '../../../api/src/generated/envoy/config/endpoint/v3/LbEndpoint.js';
import type { LocalityLbEndpoints } from '../../../api/src/generated/envoy/config/endpoint/v3/LocalityLbEndpoints.js';
import type { Endpoint, EndpointHealth, Service, ServicePort } from '../model/types.js';
import { clusterName } from './names.js';

const HEALTH: Record<EndpointHealth, LbEndpoint['health_status']> = {
  healthy: 'HEALTHY',
  unhealthy: 'UNHEALTHY',
  draining: 'DRAINING',
};

/** Filter metadata namespace under which endpoints carry their identity and node. */
export const METADATA_NAMESPACE = 'nodemesh.io';

export function serviceLoadAssignment(svc: Service, port: ServicePort): ClusterLoadAssignment {
  const byLocality = new Map<string, { eps: Endpoint[]; weight: number }>();
  for (const ep of svc.endpoints) {
    if (ep.ports[port.name] === undefined) continue;
    const key = `${ep.locality.region}/${ep.locality.zone}/${ep.locality.subzone}`;
    let group = byLocality.get(key);
    if (!group) byLocality.set(key, (group = { eps: [], weight: 0 }));
    group.eps.push(ep);
    if (ep.health === 'healthy') group.weight += ep.weight;
  }
  const endpoints: LocalityLbEndpoints[] = [];
  for (const { eps, weight } of byLocality.values()) {
    const { region, zone, subzone } = eps[0]!.locality;
    endpoints.push({
      locality: { region, zone, sub_zone: subzone },
      // gRPC clients ignore localities without a weight; Envoy uses it only
      // with locality-weighted LB. Sum of the endpoints' weights keeps both
      // consistent with per-endpoint weighting. Zero is not allowed (PGV gte 1).
      load_balancing_weight: { value: Math.max(1, weight) },
      lb_endpoints: eps.map((ep) => lbEndpoint(ep, ep.ports[port.name]!, port.protocol)),
    });
  }
  return { cluster_name: clusterName(svc, port), endpoints };
}

function lbEndpoint(ep: Endpoint, portValue: number, protocol: ServicePort['protocol']): LbEndpoint {
  const fields: Record<string, { stringValue: string }> = {};
  if (ep.identity) fields.identity = { stringValue: ep.identity };
  if (ep.node) fields.node = { stringValue: ep.node };
  const lb: LbEndpoint = {
    endpoint: { address: { socket_address: { address: ep.address, port_value: portValue, protocol: protocol === 'UDP' ? 'UDP' : 'TCP' } } },
    health_status: HEALTH[ep.health],
    load_balancing_weight: { value: ep.weight },
  };
  if (Object.keys(fields).length) lb.metadata = { filter_metadata: { [METADATA_NAMESPACE]: { fields } } };
  return lb;
}

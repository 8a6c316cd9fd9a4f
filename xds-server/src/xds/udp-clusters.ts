// Clusters of UDP service ports, for the gateways' UDPRoutes. The mesh serves
// no UDP itself (translator.ts skips UDP ports), so such a cluster is emitted
// only for the ports some gateway UDP stream sends to — models without
// UDPRoutes translate exactly as before. Its name takes Istio's subset slot,
// `outbound|53|udp|dns.default.svc.cluster.local`, because a Service may have
// a TCP and a UDP port of one number (DNS), whose plain names would clash.
import type { Cluster } from '../../../api/src/generated/envoy/config/cluster/v3/Cluster.js';
import type { ClusterLoadAssignment } from '../../../api/src/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.js';
import type { MeshModel, Service, ServicePort } from '../model/types.js';
import { serviceCluster } from './clusters.js';
import { serviceLoadAssignment } from './endpoints.js';

export const udpClusterName = (svc: Service, port: ServicePort): string => `outbound|${port.port}|udp|${svc.hostname}`;

/** Service hostname → UDP port numbers some gateway UDP stream sends to. Empty (the common case) costs one pass over the gateway ports. */
export function udpPorts(model: MeshModel): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const gw of model.gateways ?? [])
    for (const p of gw.ports) {
      if (p.protocol !== 'UDP') continue;
      for (const s of p.streams)
        for (const b of s.backends) {
          const [, port, subset, host] = b.cluster.split('|');
          if (subset !== 'udp' || host === undefined || port === undefined) continue;
          let ports = out.get(host);
          if (!ports) out.set(host, (ports = new Set()));
          ports.add(Number(port));
        }
    }
  return out;
}

/** The UDP ports of `svc` in `ports` (udpPorts), ascending; [] when none. */
export function udpPortsOf(svc: Service, ports: ReadonlyMap<string, ReadonlySet<number>>): number[] {
  const mine = ports.get(svc.hostname);
  return mine ? svc.ports.filter((p) => p.protocol === 'UDP' && mine.has(p.port)).map((p) => p.port) : [];
}

/** The EDS cluster and endpoints of a UDP port (its endpoints' addresses say UDP, endpoints.ts). */
export function udpPortResources(svc: Service, port: ServicePort): { cluster: Cluster; endpoints: ClusterLoadAssignment } {
  const name = udpClusterName(svc, port);
  const base = serviceCluster(svc, port);
  return {
    cluster: { ...base, name, eds_cluster_config: { ...base.eds_cluster_config, service_name: name } },
    endpoints: { ...serviceLoadAssignment(svc, port), cluster_name: name },
  };
}

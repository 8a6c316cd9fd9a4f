// Small model builders for tests and benchmarks: explicit, so every test's
// input is visible where it is used.
import type { Endpoint, MeshModel, Service, ServicePort } from '../model/types.js';

export function endpoint(address: string, port: number, extra: Partial<Endpoint> = {}): Endpoint {
  return {
    address,
    ports: { grpc: port },
    node: 'node-a',
    locality: { region: 'r1', zone: 'z1', subzone: '' },
    health: 'healthy',
    weight: 1,
    source: { kind: 'Workload', namespace: 'default', name: `w-${address}` },
    ...extra,
  };
}

export function service(name: string, opts: { namespace?: string; vip?: string; ports?: ServicePort[]; endpoints?: Endpoint[] } = {}): Service {
  const namespace = opts.namespace ?? 'default';
  return {
    namespace,
    name,
    hostname: `${name}.${namespace}.svc.cluster.local`,
    vips: opts.vip ? [opts.vip] : [],
    ports: opts.ports ?? [{ name: 'grpc', port: 50051, protocol: 'TCP', appProtocol: 'grpc' }],
    endpoints: opts.endpoints ?? [],
    lbPolicy: 'ROUND_ROBIN',
    source: { kind: 'Service', namespace, name },
  };
}

export function model(services: Service[]): MeshModel {
  return { trustDomain: 'cluster.local', clusterDomain: 'cluster.local', services };
}

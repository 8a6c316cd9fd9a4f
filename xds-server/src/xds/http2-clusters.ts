// Which service ports need an HTTP/2 variant cluster (clusters.ts): those a
// route sends to with BackendIR.protocol 'http2' (GRPCRoute backends whose
// port speaks HTTP/1.1), from gateways and GAMMA mesh routes alike. Emitted
// beside the port's own cluster, and only where asked for, so models without
// such routes translate exactly as before.
import type { HttpRouteIR } from '../model/gateway.js';
import type { MeshModel, Service } from '../model/types.js';

/** Service hostname → port numbers whose HTTP/2 variant some route uses. Empty (the common case) costs one pass over the routes. */
export function http2Ports(model: MeshModel): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  const want = (b: { cluster: string; protocol?: 'http2' }) => {
    if (b.protocol !== 'http2') return;
    // outbound|<port>||<hostname> (names.ts clusterName).
    const [, port, , host] = b.cluster.split('|');
    if (host === undefined || port === undefined) return;
    let ports = out.get(host);
    if (!ports) out.set(host, (ports = new Set()));
    ports.add(Number(port));
  };
  const scan = (r: HttpRouteIR) => {
    if (r.action.kind === 'forward') r.action.backends.forEach(want);
    r.mirrors.forEach(want);
  };
  for (const gw of model.gateways ?? []) for (const p of gw.ports) for (const vh of p.virtualHosts) vh.routes.forEach(scan);
  for (const m of model.meshRoutes ?? []) m.routes.forEach(scan);
  return out;
}

/** The ports of `svc` in `ports` (http2Ports), ascending; [] when none. */
export function http2PortsOf(svc: Service, ports: ReadonlyMap<string, ReadonlySet<number>>): number[] {
  const mine = ports.get(svc.hostname);
  return mine ? svc.ports.filter((p) => p.protocol === 'TCP' && mine.has(p.port)).map((p) => p.port) : [];
}

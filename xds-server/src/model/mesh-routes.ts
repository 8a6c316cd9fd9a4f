// The east-west routing part of the mesh model: what GAMMA (Gateway API for
// Service Mesh: HTTPRoutes whose parentRef is a Service) — and later other
// mesh routing APIs — resolve to. One entry per HTTP-speaking Service port
// that has routes; a port without an entry keeps the default "all traffic to
// the Service's own endpoints". Precedence is already applied, as in
// gateway.ts: routes are in evaluation order.
import type { HttpRouteIR } from './gateway.js';
import type { MeshModel, ModelError } from './types.js';

export interface MeshRouteIR {
  /** The Service (its "frontend": VIPs and hostname) whose port the routes program. */
  namespace: string;
  service: string;
  /** The Service port number (unique per protocol; only TCP ports speak HTTP). */
  port: number;
  /**
   * In evaluation order. Replaces the default route: a request that matches
   * none gets 404 (GEP-1294 "Route presence"); empty (routes whose rules have
   * no matches at all): every request gets 404.
   */
  routes: HttpRouteIR[];
}

/** Checks of MeshModel.meshRoutes: each names an existing HTTP service port, once. */
export function validateMeshRoutes(model: MeshModel): ModelError[] {
  if (!model.meshRoutes?.length) return []; // the common case costs nothing per publish
  const errors: ModelError[] = [];
  const services = new Map(model.services.map((s) => [`${s.namespace}/${s.name}`, s]));
  const seen = new Set<string>();
  (model.meshRoutes ?? []).forEach((m, i) => {
    const path = `meshRoutes[${i}]`;
    const id = `${m.namespace}/${m.service}`;
    const svc = services.get(id);
    if (svc === undefined) return errors.push({ path, message: `service ${id} does not exist` });
    const port = svc.ports.find((p) => p.protocol === 'TCP' && p.port === m.port);
    if (port === undefined) errors.push({ path: `${path}.port`, message: `service ${id} has no TCP port ${m.port}` });
    else if (!['http', 'http2', 'grpc'].includes(port.appProtocol)) errors.push({ path: `${path}.port`, message: `port ${m.port} of service ${id} is ${port.appProtocol}, not HTTP` });
    if (seen.has(`${id}:${m.port}`)) errors.push({ path, message: `duplicate routes for ${id}:${m.port}` });
    seen.add(`${id}:${m.port}`);
    const names = new Set<string>();
    m.routes.forEach((r, j) => {
      if (names.has(r.name)) errors.push({ path: `${path}.routes[${j}].name`, message: `duplicate route name "${r.name}"` });
      names.add(r.name);
    });
    return undefined;
  });
  return errors;
}

// RouteConfigurations: one per HTTP-speaking service port, shared by Envoy's
// per-service listener and by proxyless gRPC clients.
import type { Route } from '../../../api/src/generated/envoy/config/route/v3/Route.js';
import type { RouteConfiguration } from '../../../api/src/generated/envoy/config/route/v3/RouteConfiguration.js';
import type { MeshRouteIR } from '../model/mesh-routes.js';
import type { Service, ServicePort } from '../model/types.js';
import { gatewayRoute } from './gateway-routes.js';
import { clusterName, hostPortName, INVALID_BACKEND_CLUSTER } from './names.js';

/**
 * `mesh`: the port's GAMMA routes (model/mesh-routes.ts), when it has any.
 * They replace the default route rather than precede it (GEP-1294 "Route
 * presence"): a request none of them matches gets 404.
 */
export function serviceRouteConfig(svc: Service, port: ServicePort, mesh?: MeshRouteIR): RouteConfiguration {
  const name = hostPortName(svc, port);
  const routes: Route[] = mesh ? mesh.routes.map(gatewayRoute) : [{ match: { prefix: '/' }, route: { cluster: clusterName(svc, port) } }];
  return {
    name,
    virtual_hosts: [
      {
        name,
        // The listener (or the gRPC target) already selected this service port,
        // so every authority a client may use — short name, FQDN, VIP — is
        // this service's.
        domains: ['*'],
        routes,
      },
    ],
  };
}

/**
 * The same configuration in the subset gRPC's xDS client accepts (gRFC A28):
 * it rejects the whole RouteConfiguration for one route with a path matcher
 * or action it lacks. Only mesh routes need this (the default route is plain
 * `prefix` → `cluster`):
 * - path_separated_prefix P becomes the regex `^P(/.*)?$`, the same set of
 *   paths (a gRPC :path has no query string);
 * - a direct response or redirect (an HTTP notion) becomes a route to a
 *   cluster that never exists, so matching RPCs fail UNAVAILABLE, as grpc-go
 *   does for actions it does not support, instead of the client refusing
 *   every route of the service.
 */
export function proxylessRouteConfig(rc: RouteConfiguration): RouteConfiguration {
  return {
    ...rc,
    virtual_hosts: (rc.virtual_hosts ?? []).map((vh) => ({ ...vh, routes: (vh.routes ?? []).map(proxylessRoute) })),
  };
}

function proxylessRoute(r: Route): Route {
  const out: Route = { ...r };
  const p = r.match?.path_separated_prefix;
  if (p !== undefined) {
    const { path_separated_prefix: _, ...match } = r.match!;
    out.match = { ...match, safe_regex: { regex: `^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/.*)?$` } };
  }
  if (r.direct_response || r.redirect) {
    delete out.direct_response;
    delete out.redirect;
    out.route = { cluster: INVALID_BACKEND_CLUSTER };
  }
  return out;
}

// RouteConfigurations: one per HTTP-speaking service port, shared by Envoy's
// per-service listener and by proxyless gRPC clients.
import type { RouteConfiguration } from '../../../api/src/generated/envoy/config/route/v3/RouteConfiguration.js';
import type { Service, ServicePort } from '../model/types.js';
import { clusterName, hostPortName } from './names.js';

export function serviceRouteConfig(svc: Service, port: ServicePort): RouteConfiguration {
  const name = hostPortName(svc, port);
  return {
    name,
    virtual_hosts: [
      {
        name,
        // The listener (or the gRPC target) already selected this service port,
        // so every authority a client may use — short name, FQDN, VIP — is
        // this service's.
        domains: ['*'],
        routes: [{ match: { prefix: '/' }, route: { cluster: clusterName(svc, port) } }],
      },
    ],
  };
}

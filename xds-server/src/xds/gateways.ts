// Gateways (model/gateway.ts) → Envoy resources, for the Envoy profile only:
// proxyless gRPC clients are never a gateway. Pure per gateway: its resources
// depend on its GatewayIR alone — routes name the mesh's service clusters,
// which translateService already emits — so unchanged gateways are reused by
// XdsTranslator exactly as unchanged services are.
//
// Per HTTP/HTTPS port: a RouteConfiguration `gateway|<ns>/<name>|<port>` and,
// per address, a bound Listener `gateway|<ns>/<name>|<address>:<port>` that
// names it; per TLS certificate, a Secret `<ns>/<name>` (the Kubernetes
// Secret's), served over ADS. TLS and TCP ports: the same Listener, its
// chains proxying streams (no route configuration); an HTTPS port may carry
// TLS streams too. UDP ports: a UDP Listener
// `gateway|<ns>/<name>|<address>:<port>/udp` (gateway-streams.ts).
import { TypeUrl, type ResourceTypeUrl } from '../../../api/src/type-urls.js';
import type { ResourceRefs } from '../cache/resource.js';
import type { GatewayIR } from '../model/gateway.js';
import { gatewayAddresses, gatewayListener, gatewaySecret, usableCertificates } from './gateway-listeners.js';
import { gatewayRouteConfig } from './gateway-routes.js';
import { gatewayRouteName } from './names.js';

/** One resource as a generated-type message, before encoding. */
export interface GatewayResource {
  typeUrl: ResourceTypeUrl;
  name: string;
  message: object;
  refs?: ResourceRefs;
}

/** Listeners, then route configurations, then secrets (each secret once). */
export function gatewayResources(gw: GatewayIR): GatewayResource[] {
  const listeners: GatewayResource[] = [];
  const routes: GatewayResource[] = [];
  const secrets = new Map<string, GatewayResource>();
  for (const port of gw.ports) {
    const http = port.protocol === 'HTTP' || port.protocol === 'HTTPS';
    const routeName = gatewayRouteName(gw, port.port);
    const certs = [...usableCertificates(port).flatMap((c) => c.certs), ...port.streams.flatMap((s) => s.terminate ?? [])];
    const secretNames = [...new Set(certs.map((c) => c.secret))];
    let bound = false;
    for (const address of gatewayAddresses(gw)) {
      const l = gatewayListener(gw, port, address);
      if (!l) continue;
      listeners.push({ typeUrl: TypeUrl.Listener, name: l.name!, message: l, refs: { routes: http ? [routeName] : [], secrets: secretNames } });
      bound = true;
    }
    // A route configuration no listener names would fail the snapshot check.
    if (!bound) continue;
    if (http) routes.push({ typeUrl: TypeUrl.RouteConfiguration, name: routeName, message: gatewayRouteConfig(gw, port) });
    for (const c of certs) if (!secrets.has(c.secret)) secrets.set(c.secret, { typeUrl: TypeUrl.Secret, name: c.secret, message: gatewaySecret(c) });
  }
  return [...listeners, ...routes, ...secrets.values()];
}

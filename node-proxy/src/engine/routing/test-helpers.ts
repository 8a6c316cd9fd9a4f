// Shared by the routing tests: typed RouteConfiguration → compiled table, and requests.
import type { Route } from '../../../../api/src/generated/envoy/config/route/v3/Route.js';
import type { RouteConfiguration } from '../../../../api/src/generated/envoy/config/route/v3/RouteConfiguration.js';
import type { VirtualHost } from '../../../../api/src/generated/envoy/config/route/v3/VirtualHost.js';
import { decoded } from '../testing/decoded.js';
import type { RequestHead } from '../types.js';
import type { RouteForwardDecision, RoutingDecision } from './actions.js';
import { compileRouteConfiguration, type CompiledRouteTable } from './route-table.js';

export function table(rc: RouteConfiguration): CompiledRouteTable {
  return compileRouteConfiguration(decoded('envoy.config.route.v3.RouteConfiguration', { name: 'rc', ...rc }));
}

/** One virtual host for "*" with these routes. */
export function routes(list: Route[], vhost: Partial<VirtualHost> = {}, rc: Partial<RouteConfiguration> = {}): CompiledRouteTable {
  return table({ ...rc, virtual_hosts: [{ name: 'vh', domains: ['*'], ...vhost, routes: list }] });
}

export function req(over: Partial<RequestHead> = {}): RequestHead {
  return { method: 'GET', scheme: 'http', authority: 'example.com', path: '/', headers: {}, remoteAddress: '10.0.0.1:5555', ...over };
}

export function forward(d: RoutingDecision): RouteForwardDecision {
  if (d.kind !== 'forward') throw new Error(`expected a forward decision, got ${d.kind}`);
  return d;
}

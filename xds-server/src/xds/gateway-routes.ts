// RouteConfigurations of gateway ports: one per Gateway port, its virtual
// hosts and routes in the IR's order (the IR has already applied Gateway API
// precedence, and Envoy takes the first route that matches).
import type { HeaderMatcher } from '../../../api/src/generated/envoy/config/route/v3/HeaderMatcher.js';
import { sessionPerRoute } from './gateway-session.js';
import type { Route } from '../../../api/src/generated/envoy/config/route/v3/Route.js';
import type { RouteConfiguration } from '../../../api/src/generated/envoy/config/route/v3/RouteConfiguration.js';
import type { RouteMatch } from '../../../api/src/generated/envoy/config/route/v3/RouteMatch.js';
import type { VirtualHost } from '../../../api/src/generated/envoy/config/route/v3/VirtualHost.js';
import type { StringMatcher } from '../../../api/src/generated/envoy/type/matcher/v3/StringMatcher.js';
import type { GatewayIR, GatewayPortIR, HttpMatchIR, HttpRouteIR, StringMatchIR, VirtualHostIR } from '../model/gateway.js';
import { directResponse, forwardAction, headerMutations, redirectAction, trimmedPrefix } from './gateway-actions.js';
import { gatewayRouteName } from './names.js';

export function gatewayRouteConfig(gw: GatewayIR, port: GatewayPortIR): RouteConfiguration {
  return {
    name: gatewayRouteName(gw, port.port),
    virtual_hosts: port.virtualHosts.map((vh) => virtualHost(vh, port.port)),
  };
}

function virtualHost(vh: VirtualHostIR, port: number): VirtualHost {
  return { name: vh.name, domains: domainsWithPort(vh.domains, port), routes: vh.routes.map(gatewayRoute) };
}

/**
 * Envoy matches the authority with its port, so "foo.com" alone misses a
 * client that sends "foo.com:8080" (any non-default port, and some clients
 * always). Each name is listed in both forms, as Istio does for gateways;
 * "*" already matches both.
 */
export function domainsWithPort(domains: readonly string[], port: number): string[] {
  return domains.flatMap((d) => (d === '*' ? [d] : [d, `${d}:${port}`]));
}

export function gatewayRoute(r: HttpRouteIR): Route {
  const route: Route = { name: r.name, match: routeMatch(r.match) };
  const a = r.action;
  if (a.kind === 'redirect') route.redirect = redirectAction(a.redirect, r.match);
  else if (a.kind === 'direct') route.direct_response = directResponse(a.status, a.body);
  else Object.assign(route, forwardAction(r, a));
  Object.assign(route, headerMutations(r.requestHeaders, r.responseHeaders));
  if (r.session) route.typed_per_filter_config = sessionPerRoute(r.session, r.match);
  return route;
}

export function routeMatch(m: HttpMatchIR): RouteMatch {
  const out: RouteMatch = {};
  const p = m.path;
  if (!p) out.prefix = '/';
  else if (p.type === 'Exact') out.path = p.value;
  else if (p.type === 'RegularExpression') out.safe_regex = { regex: p.value };
  else {
    // Gateway API prefixes match whole path segments and ignore a trailing
    // slash ("/abc/" ≡ "/abc"), which is exactly path_separated_prefix
    // (whose rules forbid the trailing slash); "/" has no segment to match.
    const prefix = trimmedPrefix(p.value);
    if (prefix === '') out.prefix = '/';
    else out.path_separated_prefix = prefix;
  }
  const headers: HeaderMatcher[] = m.headers.map((h) => ({ name: h.name, string_match: stringMatcher(h) }));
  if (m.method) headers.push({ name: ':method', string_match: { exact: m.method } });
  if (headers.length) out.headers = headers;
  if (m.queryParams.length) out.query_parameters = m.queryParams.map((q) => ({ name: q.name, string_match: stringMatcher(q) }));
  return out;
}

function stringMatcher(m: StringMatchIR): StringMatcher {
  return m.type === 'Exact' ? { exact: m.value } : { safe_regex: { regex: m.value } };
}

// compileRouteConfiguration: RouteConfiguration → RouteTable. Throws
// ConfigRejected for configuration Envoy would reject (duplicate domains,
// invalid regexes or rewrites, unsupported formatter commands…), so the
// xDS client can NACK it.
import type { Decoded, RequestHead, RouteTable } from '../types.js';
import { compileAction, type RouteAction, type RouteScope, type RoutingDecision } from './actions.js';
import { bool, has, msg, msgs, str, strs, wrappedNum } from './fields.js';
import { compileLevel } from './headers.js';
import { compileRouteMatch, type RouteMatcher } from './match.js';
import { requestLookup } from './matchers.js';
import { compileMirrorPolicy, compileRetryPolicy } from './policies.js';
import { buildVhostIndex } from './vhosts.js';

/** A RouteTable whose decisions carry the additive fields of actions.ts. */
export interface CompiledRouteTable extends RouteTable {
  route(req: RequestHead, random?: () => number): RoutingDecision;
}

interface CompiledRoute {
  match: RouteMatcher;
  action: RouteAction;
}

interface CompiledVhost {
  name: string;
  routes: CompiledRoute[];
}

export function compileRouteConfiguration(rc: Decoded): CompiledRouteTable {
  const routeConfig = str(rc, 'name');
  const mostSpecificWins = bool(rc, 'most_specific_header_mutations_wins');
  const configRequest = compileLevel(rc, 'request', `route configuration ${routeConfig}`);
  const configResponse = compileLevel(rc, 'response', `route configuration ${routeConfig}`);
  const configMirrors = msgs(rc, 'request_mirror_policies').map(compileMirrorPolicy);
  const maxDirectResponseBodyBytes = wrappedNum(rc, 'max_direct_response_body_size_bytes') ?? 4096;

  const vhosts = msgs(rc, 'virtual_hosts').map((vh) => {
    const name = str(vh, 'name');
    const where = `virtual host ${routeConfig}/${name}`;
    const vhostMirrors = msgs(vh, 'request_mirror_policies').map(compileMirrorPolicy);
    const scope: RouteScope = {
      vhost: name,
      routeConfig,
      request: { vhost: compileLevel(vh, 'request', where), config: configRequest },
      response: { vhost: compileLevel(vh, 'response', where), config: configResponse },
      mostSpecificWins,
      mirrors: vhostMirrors.length ? vhostMirrors : configMirrors,
      maxDirectResponseBodyBytes,
    };
    if (has(vh, 'retry_policy')) scope.vhostRetry = compileRetryPolicy(msg(vh, 'retry_policy')!);
    const compiled: CompiledVhost = {
      name,
      routes: msgs(vh, 'routes').map((r) => ({ match: compileRouteMatch(msg(r, 'match')), action: compileAction(r, scope) })),
    };
    return { domains: strs(vh, 'domains'), value: compiled };
  });
  const index = buildVhostIndex(vhosts, { routeConfig, ignorePort: bool(rc, 'ignore_port_in_host_matching') });

  return {
    name: routeConfig,
    route(req: RequestHead, random: () => number = Math.random): RoutingDecision {
      const vh = index.find(req.authority);
      if (!vh) return { kind: 'none' };
      const headers = requestLookup(req);
      for (const r of vh.routes) {
        const matched = r.match.match(req, headers);
        if (matched !== undefined) return r.action(req, matched, random);
      }
      return { kind: 'none' };
    },
  };
}

// A Route's action (route / redirect / direct_response) → its decision for a
// matched request. Header mutation levels are listed in the order Envoy
// evaluates them, which is also the order to apply them: weighted cluster
// first, then route, virtual host, route configuration — reversed to
// configuration, virtual host, route when most_specific_header_mutations_wins.
// Later levels override earlier ones.
import type {
  Decoded,
  DirectDecision,
  ForwardDecision,
  HeaderMutation,
  NoRouteDecision,
  RedirectDecision,
  RequestHead,
  RetryPolicy,
  TypedConfig,
} from '../types.js';
import { checkPerRouteSession, STATEFUL_SESSION_PER_ROUTE } from '../http/stateful-session.js';
import { decodeMessage } from '../../../../api/src/any.js';
import { messageName } from '../../../../api/src/type-urls.js';
import { ConfigRejected, durationMs, has, msg, msgs, num, oneof, str, wrappedBool, wrappedNum } from './fields.js';
import { compileLevel } from './headers.js';
import { pathOnly } from './matchers.js';
import { compileHashPolicies, compileMirrorPolicy, compileRetryPolicy, type RouteMirrorPolicy } from './policies.js';
import { compileRedirect, newUri } from './redirect.js';
import { compileRegexRewrite } from './regex.js';

/** ForwardDecision plus what the contract lacks: auto_host_rewrite and per-mirror shadow suffix. */
export interface RouteForwardDecision extends ForwardDecision {
  mirrors: RouteMirrorPolicy[];
  /** auto_host_rewrite: the upstream request's authority should become the chosen host's hostname. */
  autoHostRewrite?: boolean;
}

/** DirectDecision plus Envoy's Location on 201/3xx direct responses and the exact bytes of inline_bytes. */
export type RouteDirectDecision = DirectDecision;

export type RoutingDecision = RouteForwardDecision | RedirectDecision | RouteDirectDecision | NoRouteDecision;

/** What a route inherits from its virtual host and route configuration. */
export interface RouteScope {
  vhost: string;
  routeConfig: string;
  request: { vhost?: HeaderMutation; config?: HeaderMutation };
  response: { vhost?: HeaderMutation; config?: HeaderMutation };
  mostSpecificWins: boolean;
  vhostRetry?: RetryPolicy;
  /** The virtual host's mirror policies, else the route configuration's. */
  mirrors: RouteMirrorPolicy[];
  maxDirectResponseBodyBytes: number;
}

export type RouteAction = (req: RequestHead, matchedPath: string, random: () => number) => RoutingDecision;

const NOT_FOUND_CODES: Record<string, number> = { SERVICE_UNAVAILABLE: 503, NOT_FOUND: 404, INTERNAL_SERVER_ERROR: 500 };

function levels(route: HeaderMutation | undefined, vhost: HeaderMutation | undefined, config: HeaderMutation | undefined, mostSpecificWins: boolean) {
  const list = mostSpecificWins ? [config, vhost, route] : [route, vhost, config];
  return list.filter((m): m is HeaderMutation => m !== undefined);
}

/** Replaces the matched part of the path (prefix_rewrite) or the query-less path (regex_rewrite), keeping the query. */
export function rewritePath(path: string, matched: string, prefixRewrite?: string, regex?: { apply(s: string): string }): string {
  if (prefixRewrite) return prefixRewrite + path.slice(matched.length);
  if (regex) {
    const just = pathOnly(path);
    return regex.apply(just) + path.slice(just.length);
  }
  return path;
}

export function compileAction(route: Decoded, scope: RouteScope): RouteAction {
  const name = str(route, 'name');
  const where = `route ${scope.routeConfig}/${scope.vhost}/${name}`;
  const request = levels(compileLevel(route, 'request', where), scope.request.vhost, scope.request.config, scope.mostSpecificWins);
  const response = levels(compileLevel(route, 'response', where), scope.response.vhost, scope.response.config, scope.mostSpecificWins);
  const base = { vhost: scope.vhost, route: name };

  switch (oneof(route, 'action')) {
    case 'route':
      return compileForward(msg(route, 'route'), scope, base, request, response, where, perFilterConfig(route, where));
    case 'redirect': {
      const cfg = compileRedirect(msg(route, 'redirect') ?? {});
      return (req, matched) => ({
        kind: 'redirect',
        ...base,
        status: cfg.status,
        location: newUri(req, rewritePath(req.path, matched, cfg.prefixRewrite, cfg.regexRewrite), cfg),
        responseHeaders: response,
      });
    }
    case 'direct_response': {
      const d = msg(route, 'direct_response');
      const status = num(d, 'status');
      const body = msg(d, 'body');
      let bytes: Buffer | undefined;
      const kind = oneof(body, 'specifier');
      if (kind === 'inline_string') bytes = Buffer.from(str(body, 'inline_string'));
      else if (kind === 'inline_bytes') bytes = Buffer.from(body?.['inline_bytes'] as Uint8Array);
      else if (kind !== undefined) throw new ConfigRejected(`${where}: direct_response body ${kind} is not supported`);
      if (bytes && bytes.length > scope.maxDirectResponseBodyBytes)
        throw new ConfigRejected(`${where}: response body size is ${bytes.length} bytes; maximum is ${scope.maxDirectResponseBodyBytes}`);
      // Envoy adds a Location to 201 and 3xx direct responses: the request's own URI.
      const withLocation = status === 201 || (status >= 300 && status < 400);
      return (req) => {
        const decision: RouteDirectDecision = { kind: 'direct', ...base, status, responseHeaders: response };
        if (bytes) {
          decision.body = bytes.toString();
          if (kind === 'inline_bytes') decision.bodyBytes = bytes;
        }
        if (withLocation) decision.location = newUri(req, req.path);
        return decision;
      };
    }
    default:
      throw new ConfigRejected(`${where}: unsupported action ${oneof(route, 'action') ?? '(none)'}`);
  }
}

// typed_per_filter_config, decoded once at compile time; the filters named
// in it read their own entry from the forward decision.
function perFilterConfig(route: Decoded, where: string): Record<string, TypedConfig> | undefined {
  const raw = route['typed_per_filter_config'] as Record<string, { type_url?: string; value?: Uint8Array }> | undefined;
  if (!raw || Object.keys(raw).length === 0) return undefined;
  const out: Record<string, TypedConfig> = {};
  for (const [name, any] of Object.entries(raw)) {
    const type = messageName(any.type_url ?? '');
    const config = decodeMessage(type, any.value ?? new Uint8Array(0)) as Decoded;
    if (type === STATEFUL_SESSION_PER_ROUTE) checkPerRouteSession(config, `${where}: typed_per_filter_config[${name}]`);
    out[name] = { type, config };
  }
  return out;
}

interface Target {
  cluster: string;
  weight: number;
  request?: HeaderMutation;
  response?: HeaderMutation;
  hostRewrite?: string;
}

function compileForward(
  a: Decoded | undefined,
  scope: RouteScope,
  base: { vhost: string; route: string },
  request: HeaderMutation[],
  response: HeaderMutation[],
  where: string,
  perFilter: Record<string, TypedConfig> | undefined,
): RouteAction {
  let targets: Target[];
  switch (oneof(a, 'cluster_specifier')) {
    case 'cluster':
      targets = [{ cluster: str(a, 'cluster'), weight: 1 }];
      break;
    case 'weighted_clusters':
      targets = msgs(msg(a, 'weighted_clusters'), 'clusters').map((c) => {
        const t: Target = { cluster: str(c, 'name'), weight: wrappedNum(c, 'weight') ?? 0 };
        if (!t.cluster) throw new ConfigRejected(`${where}: weighted cluster without a name (cluster_header is not supported)`);
        const req = compileLevel(c, 'request', where);
        const res = compileLevel(c, 'response', where);
        if (req) t.request = req;
        if (res) t.response = res;
        if (str(c, 'host_rewrite_literal')) t.hostRewrite = str(c, 'host_rewrite_literal');
        return t;
      });
      break;
    default:
      throw new ConfigRejected(`${where}: unsupported cluster specifier ${oneof(a, 'cluster_specifier') ?? '(none)'}`);
  }
  const total = targets.reduce((s, t) => s + t.weight, 0);
  if (total <= 0) throw new ConfigRejected(`${where}: sum of weights in the weighted_cluster must be greater than 0`);

  const prefixRewrite = str(a, 'prefix_rewrite') || undefined;
  const regexRewrite = compileRegexRewrite(msg(a, 'regex_rewrite'));
  if (prefixRewrite && regexRewrite) throw new ConfigRejected(`${where}: cannot specify both prefix_rewrite and regex_rewrite`);
  const hostKind = oneof(a, 'host_rewrite_specifier');
  const hostLiteral = hostKind === 'host_rewrite_literal' ? str(a, 'host_rewrite_literal') || undefined : undefined;
  const autoHost = hostKind === 'auto_host_rewrite' && wrappedBool(a, 'auto_host_rewrite') === true;
  const timeoutMs = durationMs(a, 'timeout') ?? 15_000;
  const retry = has(a, 'retry_policy') ? compileRetryPolicy(msg(a, 'retry_policy')!) : scope.vhostRetry;
  const own = msgs(a, 'request_mirror_policies').map(compileMirrorPolicy);
  const mirrors = own.length ? own : scope.mirrors;
  const hash = compileHashPolicies(msgs(a, 'hash_policy'));
  const notFound = NOT_FOUND_CODES[str(a, 'cluster_not_found_response_code', 'SERVICE_UNAVAILABLE')] ?? 503;

  const pick = (random: () => number): Target => {
    if (targets.length === 1) return targets[0]!;
    const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
    let selected = Math.floor(r * total);
    for (const t of targets) {
      if (selected < t.weight) return t;
      selected -= t.weight;
    }
    return targets[targets.length - 1]!;
  };

  return (req, matched, random) => {
    const t = pick(random);
    const d: RouteForwardDecision = {
      kind: 'forward',
      ...base,
      cluster: t.cluster,
      clusterNotFoundStatus: notFound,
      path: rewritePath(req.path, matched, prefixRewrite, regexRewrite),
      // A route-level literal is applied after the weighted cluster's, so it wins.
      authority: hostLiteral ?? t.hostRewrite ?? req.authority,
      requestHeaders: t.request ? [t.request, ...request] : request,
      responseHeaders: t.response ? [t.response, ...response] : response,
      timeoutMs,
      mirrors,
    };
    if (retry) d.retry = retry;
    if (autoHost) d.autoHostRewrite = true;
    const key = hash?.(req);
    if (key !== undefined) d.hashKey = key;
    if (perFilter) d.perFilterConfig = perFilter;
    return d;
  };
}

// What a gateway route does: forward (weights, rewrites, mirrors, timeouts,
// retries), redirect or answer directly; and its header mutations. Mirrors
// Envoy Gateway's xDS translation where the Gateway API leaves a choice.
import type { HeaderValueOption } from '../../../api/src/generated/envoy/config/core/v3/HeaderValueOption.js';
import type { DirectResponseAction } from '../../../api/src/generated/envoy/config/route/v3/DirectResponseAction.js';
import type { RedirectAction } from '../../../api/src/generated/envoy/config/route/v3/RedirectAction.js';
import type { Route } from '../../../api/src/generated/envoy/config/route/v3/Route.js';
import type { RetryPolicy } from '../../../api/src/generated/envoy/config/route/v3/RetryPolicy.js';
import type { RouteAction } from '../../../api/src/generated/envoy/config/route/v3/RouteAction.js';
import type { Duration } from '../../../api/src/generated/google/protobuf/Duration.js';
import type { HeaderModifierIR, HttpMatchIR, HttpRouteIR, RedirectIR, RetryIR, UrlRewriteIR } from '../model/gateway.js';
import { http2ClusterName, INVALID_BACKEND_CLUSTER } from './names.js';

type Forward = Extract<HttpRouteIR['action'], { kind: 'forward' }>;

/** The cluster a backend's requests go to: its HTTP/2 variant when the IR asks for HTTP/2 (clusters.ts). */
function upstream(b: { cluster: string; protocol?: 'http2' }): string {
  return b.protocol === 'http2' ? http2ClusterName(b.cluster) : b.cluster;
}

const NOT_FOUND_CODES: Record<number, RouteAction['cluster_not_found_response_code']> = { 503: 'SERVICE_UNAVAILABLE', 404: 'NOT_FOUND' };

/** A RouteAction, or the 500 the spec requires when no backend can take the request. */
export function forwardAction(r: HttpRouteIR, a: Forward): Pick<Route, 'route' | 'direct_response'> {
  // A weight-0 backend takes no traffic; leaving it out changes nothing and
  // keeps a lone weighted backend a plain `cluster`.
  const valid = a.backends.filter((b) => b.weight > 0);
  const total = valid.reduce((s, b) => s + b.weight, 0);
  const invalidShare = r.invalidBackendShare ?? 0;
  // The IR already turns these into `direct`; kept so a route is never emitted
  // with weights summing to 0, which Envoy rejects for the whole configuration.
  if (total === 0 || invalidShare >= 1) return { direct_response: directResponse(r.invalidBackendStatus ?? 500) };

  const action: RouteAction = {};
  if (invalidShare > 0) {
    // The IR gives the invalid part as a share of all traffic; as a weight
    // beside the valid total W it is share·W/(1−share), which gives back the
    // integer weight the translator started from.
    const invalidWeight = Math.max(1, Math.round((invalidShare * total) / (1 - invalidShare)));
    action.weighted_clusters = {
      clusters: [...valid.map((b) => ({ name: upstream(b), weight: { value: b.weight } })), { name: INVALID_BACKEND_CLUSTER, weight: { value: invalidWeight } }],
    };
    action.cluster_not_found_response_code = NOT_FOUND_CODES[r.invalidBackendStatus ?? 500] ?? 'INTERNAL_SERVER_ERROR';
  } else if (valid.length === 1) action.cluster = upstream(valid[0]!);
  else action.weighted_clusters = { clusters: valid.map((b) => ({ name: upstream(b), weight: { value: b.weight } })) };

  if (a.rewrite) applyRewrite(action, a.rewrite, r.match);
  const mirrors = r.mirrors.filter((m) => m.percent > 0);
  if (mirrors.length) {
    action.request_mirror_policies = mirrors.map((m) => ({
      cluster: upstream(m),
      // Without runtime_fraction Envoy mirrors every request.
      ...(m.percent < 100 && { runtime_fraction: { default_value: fraction(m.percent) } }),
    }));
  }
  applyTimeouts(action, r.timeouts, r.retry);
  return { route: action };
}

function fraction(percent: number) {
  return Number.isInteger(percent)
    ? { numerator: percent, denominator: 'HUNDRED' as const }
    : { numerator: Math.round(percent * 10_000), denominator: 'MILLION' as const };
}

function applyRewrite(action: RouteAction, rw: UrlRewriteIR, match: HttpMatchIR): void {
  if (rw.hostname) action.host_rewrite_literal = rw.hostname;
  if (!rw.path) return;
  if (rw.path.type === 'ReplaceFullPath') {
    // Over the path without its query, which Envoy keeps.
    action.regex_rewrite = { pattern: { regex: '^/.*$' }, substitution: literalSubstitution(rw.path.value) };
    return;
  }
  Object.assign(action, prefixReplacement(match, rw.path.value));
}

/**
 * ReplacePrefixMatch as Envoy rewrites: the spec's table (HTTPPathModifier)
 * says the matched prefix and the replacement are both taken without a
 * trailing slash, and an empty replacement leaves the rest of the path
 * starting with exactly one '/'. Envoy's prefix_rewrite of "/foo" by "" would
 * give "bar" for "/foo/bar" and "/" gives "//bar", so that case is a regex
 * (as Envoy Gateway does, envoyproxy/envoy#26055).
 */
function prefixReplacement(match: HttpMatchIR, replacement: string): Pick<RouteAction, 'prefix_rewrite' | 'regex_rewrite'> {
  const p = match.path;
  // The spec allows ReplacePrefixMatch only with a PathPrefix match; for an
  // exact path the "prefix" is the whole path, and a regex has no prefix to
  // keep, so both replace the path.
  if (p && p.type !== 'PathPrefix') return { regex_rewrite: { pattern: { regex: '^/.*$' }, substitution: literalSubstitution(replacement) } };
  const prefix = trimmedPrefix(p?.value ?? '/');
  const repl = trimmedPrefix(replacement);
  if (prefix === '') return repl === '' ? {} : { prefix_rewrite: `${repl}/` };
  if (repl === '') return { regex_rewrite: { pattern: { regex: `^${escapeRegex(prefix)}/*` }, substitution: '/' } };
  return { prefix_rewrite: repl };
}

/** RE2 substitutions read `\N` as a capture group; a Gateway API path is literal. */
function literalSubstitution(s: string): string {
  return s.replace(/\\/g, '\\\\');
}

/** The path a prefix match is against: trailing slashes dropped, '' for the root. */
export function trimmedPrefix(value: string): string {
  return value.replace(/\/+$/, '');
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * timeouts.request bounds the whole request (retries included): the route
 * timeout. timeouts.backendRequest bounds each try: per_try_timeout when
 * retries are configured; without retries there is a single try, so the
 * route timeout is the smaller of the two (0 means "no timeout").
 */
function applyTimeouts(action: RouteAction, t: HttpRouteIR['timeouts'], retry: RetryIR | undefined): void {
  const request = t?.requestMs;
  const backend = t?.backendRequestMs;
  if (retry) {
    action.retry_policy = retryPolicy(retry, backend);
    if (request !== undefined) action.timeout = duration(request);
    return;
  }
  // A backendRequest of 0 disables only itself: the route keeps the request
  // timeout, or Envoy's default when there is none.
  let timeout = request;
  if (backend !== undefined && backend > 0) timeout = timeout === undefined || timeout === 0 ? backend : Math.min(timeout, backend);
  if (timeout !== undefined) action.timeout = duration(timeout);
}

/** GEP-1731, as Envoy Gateway: connection failures and resets always, the listed codes when there are any. */
function retryPolicy(retry: RetryIR, perTryMs: number | undefined): RetryPolicy {
  const on = ['connect-failure', 'refused-stream', 'reset'];
  if (retry.codes.length) on.push('retriable-status-codes');
  const policy: RetryPolicy = { retry_on: on.join(','), num_retries: { value: retry.attempts } };
  if (retry.codes.length) policy.retriable_status_codes = retry.codes;
  if (perTryMs !== undefined && perTryMs > 0) policy.per_try_timeout = duration(perTryMs);
  // base_interval must be > 0; a zero backoff is the smallest Envoy allows.
  if (retry.backoffMs !== undefined) policy.retry_back_off = { base_interval: duration(Math.max(1, retry.backoffMs)) };
  return policy;
}

export function duration(ms: number): Duration {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

const REDIRECT_CODES: Record<number, RedirectAction['response_code']> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

export function redirectAction(r: RedirectIR, match: HttpMatchIR): RedirectAction {
  const out: RedirectAction = { response_code: REDIRECT_CODES[r.statusCode] ?? 'MOVED_PERMANENTLY' };
  if (r.scheme) out.scheme_redirect = r.scheme;
  if (r.hostname) out.host_redirect = r.hostname;
  if (r.port !== undefined) out.port_redirect = r.port;
  if (r.path?.type === 'ReplaceFullPath') out.path_redirect = r.path.value;
  else if (r.path) {
    const p = prefixReplacement(match, r.path.value);
    if (p.prefix_rewrite !== undefined) out.prefix_rewrite = p.prefix_rewrite;
    // RedirectAction.regex_rewrite replaces the path, query kept, as RouteAction's.
    if (p.regex_rewrite) out.regex_rewrite = p.regex_rewrite;
  }
  return out;
}

export function directResponse(status: number, body?: string): DirectResponseAction {
  return body === undefined ? { status } : { status, body: { inline_string: body } };
}

type HeaderMutations = Pick<Route, 'request_headers_to_add' | 'request_headers_to_remove' | 'response_headers_to_add' | 'response_headers_to_remove'>;

/** Route-level header mutations: `set` overwrites, `add` appends. */
export function headerMutations(req: HeaderModifierIR | undefined, res: HeaderModifierIR | undefined): HeaderMutations {
  const out: HeaderMutations = {};
  const toAdd = (m: HeaderModifierIR) => [
    ...m.set.map((h) => option(h, 'OVERWRITE_IF_EXISTS_OR_ADD')),
    ...m.add.map((h) => option(h, 'APPEND_IF_EXISTS_OR_ADD')),
  ];
  if (req && toAdd(req).length) out.request_headers_to_add = toAdd(req);
  if (req?.remove.length) out.request_headers_to_remove = req.remove;
  if (res && toAdd(res).length) out.response_headers_to_add = toAdd(res);
  if (res?.remove.length) out.response_headers_to_remove = res.remove;
  return out;
}

function option(h: { name: string; value: string }, action: HeaderValueOption['append_action']): HeaderValueOption {
  // Envoy reads '%' in header values as a formatter operator; Gateway API values are literal.
  return { header: { key: h.name, value: h.value.replace(/%/g, '%%') }, append_action: action };
}

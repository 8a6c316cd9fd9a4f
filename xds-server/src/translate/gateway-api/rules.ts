// One HTTPRoute's rules → one entry per (rule, match), each carrying the IR
// route it becomes on every virtual host the route serves, plus the problems
// that decide its ResolvedRefs condition. Independent of parents: a route is
// compiled once however many Gateways it attaches to.
import type { HttpRouteMatchSpec, HttpRouteRuleSpec } from '../../../../crds/src/gateway-api/httproute.js';
import { durationMs } from '../../../../crds/src/gateway-api/common.js';
import type { GRPCRouteObject, HTTPRouteObject } from '../../../../crds/src/resources.js';
import type { BackendIR, HttpMatchIR, HttpRouteIR } from '../../model/gateway.js';
import { sourceRef } from '../kubernetes/source.js';
import { resolveBackend } from './backends.js';
import type { Context } from './context.js';
import { translateFilters } from './filters.js';
import { compileSessionPersistence } from './session.js';
import { re2Problem } from '../../../../api/src/re2.js';
import type { Problem } from './status.js';

export interface RouteEntry {
  ruleIndex: number;
  matchIndex: number;
  ir: HttpRouteIR;
  /** GRPCRoute entries: what that kind's precedence ranks by (precedence.ts); absent for HTTPRoute entries. */
  grpc?: GrpcRank;
}

/** Characters of the matched service and method, and the number of header matches (GRPCRouteRule.matches docs). */
export interface GrpcRank {
  service: number;
  method: number;
  headers: number;
}

/** An HTTPRoute (this file) or a GRPCRoute (grpc-rules.ts) compiled to IR routes. */
export interface CompiledRoute {
  route: HTTPRouteObject | GRPCRouteObject;
  entries: RouteEntry[];
  /** Unresolved references (ResolvedRefs False), in rule order. */
  refProblems: Problem[];
  /** Values nodemesh cannot serve (Accepted False UnsupportedValue): the route is not attached at all. */
  unsupported: Problem[];
}

function matchIR(m: HttpRouteMatchSpec): HttpMatchIR {
  const ir: HttpMatchIR = {
    path: { type: m.path.type, value: m.path.value },
    headers: m.headers.map(({ type, name, value }) => ({ type, name, value })),
    queryParams: m.queryParams.map(({ type, name, value }) => ({ type, name, value })),
  };
  if (m.method !== undefined) ir.method = m.method;
  return ir;
}

// RegularExpression dialects are implementation-specific; nodemesh's proxies
// evaluate RE2 (Envoy's safe_regex; the engine translates RE2), so a value must be one.
function regexProblems(m: HttpRouteMatchSpec, path: string): Problem[] {
  const values: [string, string][] = [];
  if (m.path.type === 'RegularExpression') values.push([`${path}.path.value`, m.path.value]);
  m.headers.forEach((h, i) => h.type === 'RegularExpression' && values.push([`${path}.headers[${i}].value`, h.value]));
  m.queryParams.forEach((q, i) => q.type === 'RegularExpression' && values.push([`${path}.queryParams[${i}].value`, q.value]));
  const out: Problem[] = [];
  for (const [at, value] of values) {
    const why = re2Problem(value);
    if (why !== undefined) out.push({ reason: 'UnsupportedValue', message: `invalid RE2 regular expression: ${why}`, path: at });
  }
  return out;
}

function compileRule(ctx: Context, route: HTTPRouteObject, rule: HttpRouteRuleSpec, i: number, out: CompiledRoute): void {
  const ns = route.metadata.namespace;
  const at = `spec.rules[${i}]`;
  const filters = translateFilters(ctx, rule.filters, ns, `${at}.filters`);
  out.refProblems.push(...filters.problems, ...filters.unresolvable);

  let action: HttpRouteIR['action'];
  let invalidShare = 0;
  if (filters.unresolvable.length > 0) {
    action = { kind: 'direct', status: 500 };
  } else if (filters.redirect !== undefined) {
    action = { kind: 'redirect', redirect: filters.redirect };
  } else {
    const backends: BackendIR[] = [];
    let invalidWeight = 0;
    rule.backendRefs.forEach((b, j) => {
      const path = `${at}.backendRefs[${j}]`;
      if (b.filters.length > 0) {
        // Per-backend filters (Extended support) are not implemented; skipping them would change behaviour silently.
        out.unsupported.push({ reason: 'UnsupportedValue', message: 'backendRefs[].filters are not supported yet', path: `${path}.filters` });
        return;
      }
      const r = resolveBackend(ctx, b, ns, path);
      if (r.ok) backends.push({ cluster: r.cluster, weight: b.weight });
      else {
        out.refProblems.push(r.problem);
        invalidWeight += b.weight;
      }
    });
    const validWeight = backends.reduce((s, b) => s + b.weight, 0);
    // No backends, all invalid, or all weight 0: the spec's 500 for every matching request.
    if (validWeight === 0) action = { kind: 'direct', status: 500 };
    else {
      action = filters.rewrite !== undefined ? { kind: 'forward', backends, rewrite: filters.rewrite } : { kind: 'forward', backends };
      if (invalidWeight > 0) invalidShare = invalidWeight / (validWeight + invalidWeight);
    }
  }

  const timeouts: NonNullable<HttpRouteIR['timeouts']> = {};
  // "0s" disables a timeout; the IR keeps 0 and the xDS side maps it to Envoy's 0 (disabled).
  const request = rule.timeouts?.request === undefined ? undefined : durationMs(rule.timeouts.request);
  const backendRequest = rule.timeouts?.backendRequest === undefined ? undefined : durationMs(rule.timeouts.backendRequest);
  if (request !== undefined) timeouts.requestMs = request;
  if (backendRequest !== undefined) timeouts.backendRequestMs = backendRequest;

  let session: HttpRouteIR['session'];
  if (rule.sessionPersistence !== undefined) {
    const s = compileSessionPersistence(rule.sessionPersistence, { namespace: ns, route: route.metadata.name, rule: i, path: `${at}.sessionPersistence` });
    out.unsupported.push(...s.problems);
    session = s.ir;
  }

  rule.matches.forEach((m, j) => {
    out.unsupported.push(...regexProblems(m, `${at}.matches[${j}]`));
    const ir: HttpRouteIR = {
      name: `${ns}/${route.metadata.name}/rule/${i}/match/${j}`,
      source: sourceRef(route),
      match: matchIR(m),
      action,
      mirrors: action.kind === 'direct' ? [] : filters.mirrors,
    };
    if (invalidShare > 0) ir.invalidBackendShare = invalidShare;
    if (action.kind !== 'direct') {
      if (filters.requestHeaders) ir.requestHeaders = filters.requestHeaders;
      if (filters.responseHeaders) ir.responseHeaders = filters.responseHeaders;
    }
    if (Object.keys(timeouts).length > 0) ir.timeouts = timeouts;
    if (session !== undefined && action.kind === 'forward') ir.session = session;
    if (rule.retry !== undefined) {
      // GEP-1731 leaves the default attempts to the implementation; 1 is Envoy's num_retries default.
      ir.retry = { codes: [...rule.retry.codes], attempts: rule.retry.attempts ?? 1 };
      const backoff = rule.retry.backoff === undefined ? undefined : durationMs(rule.retry.backoff);
      if (backoff !== undefined) ir.retry.backoffMs = backoff;
    }
    // A copy per match: entries never share objects (goldens stay alias-free, consumers may not mutate each other's).
    out.entries.push({ ruleIndex: i, matchIndex: j, ir: structuredClone(ir) });
  });
}

export function compileRoute(ctx: Context, route: HTTPRouteObject): CompiledRoute {
  const out: CompiledRoute = { route, entries: [], refProblems: [], unsupported: [] };
  route.spec.rules.forEach((rule, i) => compileRule(ctx, route, rule, i, out));
  return out;
}

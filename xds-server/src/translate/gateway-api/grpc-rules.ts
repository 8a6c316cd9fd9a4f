// One GRPCRoute's rules → the same IR routes HTTPRoutes compile to (one per
// rule and match), so gateways, GAMMA and the xDS translator need nothing of
// their own for gRPC. What differs from HTTPRoute, per the spec:
// - matches: service/method become a :path match (GEP-1016's table): Exact
//   service+method → Exact `/svc/method`; service → PathPrefix `/svc/`;
//   method → RegularExpression `/[^/]+/method` (the suffix case, which the
//   IR has no matcher for); RegularExpression → one regex over the path,
//   each part grouped so an alternation stays inside its part. No method or
//   content-type match is added, as Envoy Gateway: the spec asks for none,
//   and a non-gRPC request matching a gRPC route is the client's choice.
// - "If multiple entries specify equivalent header names, only the first
//   entry with an equivalent name MUST be considered": later ones (header
//   names are case-insensitive) are dropped.
// - precedence ranks service characters, method characters, header matches
//   (RouteEntry.grpc; precedence.ts), not HTTPRoute's path types.
// - invalid backendRefs get UNAVAILABLE, not 500: the IR answers 503, which a
//   gRPC client reads as UNAVAILABLE (gRPC's HTTP-to-status mapping, also
//   Envoy's for gRPC local replies). ExtensionRef filters keep the 500 the
//   spec asks for ("MUST receive a HTTP error response").
// - backends are reached over HTTP/2 whatever the Service port says
//   (grpcroute_types.go: implementations "MAY infer the protocol from the
//   Route type"; Envoy Gateway sends h2c): BackendIR.protocol 'http2' where
//   the port's own cluster is not already HTTP/2. Ports gRPC cannot run on
//   (appProtocol tls: nodemesh originates no TLS; udp) are invalid backends,
//   ResolvedRefs False UnsupportedProtocol.
// - GRPCRoute v1 has no timeouts or retries.
import type { GrpcMethodMatchSpec, GrpcRouteMatchSpec, GrpcRouteRuleSpec } from '../../../../crds/src/gateway-api/grpcroute.js';
import type { BackendObjectRef } from '../../../../crds/src/gateway-api/common.js';
import type { GRPCRouteObject } from '../../../../crds/src/resources.js';
import { re2Problem } from '../../../../api/src/re2.js';
import type { BackendIR, HttpMatchIR, HttpRouteIR } from '../../model/gateway.js';
import type { ServicePort } from '../../model/types.js';
import { sourceRef } from '../kubernetes/source.js';
import { resolveBackend } from './backends.js';
import type { Context } from './context.js';
import { translateFilters } from './filters.js';
import type { CompiledRoute, GrpcRank } from './rules.js';
import type { Problem } from './status.js';

export const GRPC_ROUTE = 'GRPCRoute';

/** The HTTP status gRPC clients map to UNAVAILABLE: the spec's answer for invalid backends. */
export const GRPC_UNAVAILABLE_HTTP_STATUS = 503;

// Names by the CRD's Exact patterns can hold no '/', so one path segment each.
const ANY_SEGMENT = '[^/]+';

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// '' is "left empty" in the spec's words: any service (or method).
const given = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

/** GEP-1016's method matcher table, as an IR path match (undefined: any path). */
export function methodPath(m: GrpcMethodMatchSpec | undefined): HttpMatchIR['path'] {
  if (m === undefined) return undefined;
  const service = given(m.service);
  const method = given(m.method);
  if (m.type === 'Exact') {
    if (service !== undefined && method !== undefined) return { type: 'Exact', value: `/${service}/${method}` };
    if (service !== undefined) return { type: 'PathPrefix', value: `/${service}/` };
    if (method !== undefined) return { type: 'RegularExpression', value: `/${ANY_SEGMENT}/${escapeRegex(method)}` };
    return undefined;
  }
  if (service === undefined && method === undefined) return undefined;
  const part = (v: string | undefined) => (v === undefined ? ANY_SEGMENT : `(?:${v})`);
  return { type: 'RegularExpression', value: `/${part(service)}/${part(method)}` };
}

/** The header matches the spec says count: the first of each case-insensitively equal name. */
function firstOfEachName(headers: GrpcRouteMatchSpec['headers']): { h: GrpcRouteMatchSpec['headers'][number]; index: number }[] {
  const seen = new Set<string>();
  const out: { h: GrpcRouteMatchSpec['headers'][number]; index: number }[] = [];
  headers.forEach((h, index) => {
    const key = h.name.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ h, index });
  });
  return out;
}

function matchIR(m: GrpcRouteMatchSpec | undefined): { match: HttpMatchIR; rank: GrpcRank } {
  const headers = m ? firstOfEachName(m.headers).map(({ h }) => ({ type: h.type, name: h.name, value: h.value })) : [];
  const match: HttpMatchIR = { headers, queryParams: [] };
  const path = methodPath(m?.method);
  if (path !== undefined) match.path = path;
  const rank: GrpcRank = { service: given(m?.method?.service)?.length ?? 0, method: given(m?.method?.method)?.length ?? 0, headers: headers.length };
  return { match, rank };
}

function regexProblems(m: GrpcRouteMatchSpec, at: string): Problem[] {
  const out: Problem[] = [];
  const add = (path: string, pattern: string) => {
    const why = re2Problem(pattern);
    if (why !== undefined) out.push({ reason: 'UnsupportedValue', message: `invalid regular expression: ${why}`, path });
  };
  if (m.method?.type === 'RegularExpression') {
    const service = given(m.method.service);
    const method = given(m.method.method);
    if (service !== undefined) add(`${at}.method.service`, service);
    if (method !== undefined) add(`${at}.method.method`, method);
    // Each part alone may compile and still not inside the path regex (e.g. a flag group mid-pattern).
    const path = methodPath(m.method);
    if (out.length === 0 && path !== undefined) add(`${at}.method`, path.value);
  }
  for (const { h, index } of firstOfEachName(m.headers)) if (h.type === 'RegularExpression') add(`${at}.headers[${index}].value`, h.value);
  return out;
}

/** Does this port's own cluster speak HTTP/2 to its endpoints (xds/clusters.ts)? */
function speaksHttp2(port: ServicePort): boolean {
  return port.appProtocol === 'grpc' || port.appProtocol === 'http2';
}

/** `cluster` on failure: the reference resolved, but to a port gRPC cannot reach. */
type GrpcBackend = { ok: true; cluster: string; protocol?: 'http2' } | { ok: false; problem: Problem; cluster?: string };

/** resolveBackend, plus what gRPC needs of the port: a protocol HTTP/2 can run on, and whether its cluster speaks it. */
export function resolveGrpcBackend(ctx: Context, ref: BackendObjectRef, routeNamespace: string, path: string): GrpcBackend {
  const r = resolveBackend(ctx, ref, routeNamespace, path, GRPC_ROUTE);
  if (!r.ok) return r;
  const namespace = ref.namespace ?? routeNamespace;
  // Resolved, so the Service and its port exist.
  const port = ctx.services.get(`${namespace}/${ref.name}`)?.ports.find((p) => p.port === ref.port);
  if (port === undefined) return r;
  if (port.protocol !== 'TCP' || port.appProtocol === 'udp' || port.appProtocol === 'tls') {
    const proto = port.protocol !== 'TCP' ? port.protocol : `appProtocol ${port.appProtocol}`;
    const message = `Service ${namespace}/${ref.name} port ${port.port} is ${proto}; gRPC is sent as cleartext HTTP/2 (h2c) and nodemesh originates no TLS`;
    return { ok: false, cluster: r.cluster, problem: { reason: 'UnsupportedProtocol', message, path } };
  }
  return speaksHttp2(port) ? { ok: true, cluster: r.cluster } : { ok: true, cluster: r.cluster, protocol: 'http2' };
}

function compileRule(ctx: Context, route: GRPCRouteObject, rule: GrpcRouteRuleSpec, i: number, out: CompiledRoute): void {
  const ns = route.metadata.namespace;
  const at = `spec.rules[${i}]`;
  if (rule.sessionPersistence !== undefined) {
    out.unsupported.push({ reason: 'UnsupportedValue', message: 'sessionPersistence is not supported yet', path: `${at}.sessionPersistence` });
  }
  const filters = translateFilters(ctx, rule.filters, ns, `${at}.filters`, GRPC_ROUTE);
  out.refProblems.push(...filters.problems, ...filters.unresolvable);
  // Mirrored gRPC requests need HTTP/2 as much as the forwarded ones; a
  // mirror to a port gRPC cannot reach is dropped like an unresolved one.
  // (Unresolved ones translateFilters has already reported.)
  const unreachable = new Set<string>();
  const needsHttp2 = new Set<string>();
  rule.filters.forEach((f, k) => {
    if (f.type !== 'RequestMirror' || f.requestMirror === undefined) return;
    const r = resolveGrpcBackend(ctx, f.requestMirror.backendRef, ns, `${at}.filters[${k}].requestMirror.backendRef`);
    if (r.ok) {
      if (r.protocol) needsHttp2.add(r.cluster);
    } else if (r.cluster !== undefined) {
      out.refProblems.push({ ...r.problem, message: `${r.problem.message}; the mirror is dropped` });
      unreachable.add(r.cluster);
    }
  });
  const mirrors: HttpRouteIR['mirrors'] = filters.mirrors
    .filter((m) => !unreachable.has(m.cluster))
    .map((m) => (needsHttp2.has(m.cluster) ? { ...m, protocol: 'http2' as const } : { ...m }));

  let action: HttpRouteIR['action'];
  let invalidShare = 0;
  if (filters.unresolvable.length > 0) {
    action = { kind: 'direct', status: 500 };
  } else {
    const backends: BackendIR[] = [];
    let invalidWeight = 0;
    rule.backendRefs.forEach((b, j) => {
      const path = `${at}.backendRefs[${j}]`;
      if (b.filters.length > 0) {
        // Per-backend filters (implementation-specific for GRPCRoute) are not implemented; skipping them would change behaviour silently.
        out.unsupported.push({ reason: 'UnsupportedValue', message: 'backendRefs[].filters are not supported yet', path: `${path}.filters` });
        return;
      }
      const r = resolveGrpcBackend(ctx, b, ns, path);
      if (r.ok) backends.push(r.protocol ? { cluster: r.cluster, weight: b.weight, protocol: r.protocol } : { cluster: r.cluster, weight: b.weight });
      else {
        out.refProblems.push(r.problem);
        invalidWeight += b.weight;
      }
    });
    const validWeight = backends.reduce((s, b) => s + b.weight, 0);
    // No backends, all invalid, or all weight 0: UNAVAILABLE for every matching request.
    if (validWeight === 0) action = { kind: 'direct', status: GRPC_UNAVAILABLE_HTTP_STATUS };
    else {
      action = { kind: 'forward', backends };
      if (invalidWeight > 0) invalidShare = invalidWeight / (validWeight + invalidWeight);
    }
  }

  // "If no matches are specified, the implementation MUST match every gRPC request."
  const matches: (GrpcRouteMatchSpec | undefined)[] = rule.matches.length > 0 ? rule.matches : [undefined];
  matches.forEach((m, j) => {
    if (m !== undefined) out.unsupported.push(...regexProblems(m, `${at}.matches[${j}]`));
    const { match, rank } = matchIR(m);
    const ir: HttpRouteIR = {
      name: `${ns}/${route.metadata.name}/rule/${i}/match/${j}`,
      source: sourceRef(route),
      match,
      action,
      mirrors: action.kind === 'direct' ? [] : mirrors,
    };
    if (invalidShare > 0) ir.invalidBackendShare = invalidShare;
    if (invalidShare > 0) ir.invalidBackendStatus = GRPC_UNAVAILABLE_HTTP_STATUS;
    if (action.kind !== 'direct') {
      if (filters.requestHeaders) ir.requestHeaders = filters.requestHeaders;
      if (filters.responseHeaders) ir.responseHeaders = filters.responseHeaders;
    }
    // A copy per match: entries never share objects (as rules.ts).
    out.entries.push({ ruleIndex: i, matchIndex: j, ir: structuredClone(ir), grpc: rank });
  });
}

export function compileGrpcRoute(ctx: Context, route: GRPCRouteObject): CompiledRoute {
  const out: CompiledRoute = { route, entries: [], refProblems: [], unsupported: [] };
  route.spec.rules.forEach((rule, i) => compileRule(ctx, route, rule, i, out));
  return out;
}

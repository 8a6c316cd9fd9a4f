// GAMMA (Gateway API for Service Mesh, GEP-1294): HTTPRoutes whose parentRef
// is a core Service program the east-west traffic sent to that Service's
// "frontend" (its VIPs and hostname), through the node proxy's per-VIP
// listener and for proxyless gRPC `xds:///<svc>:<port>` clients alike — both
// read the service port's RouteConfiguration. The result is MeshRouteIR
// (model/mesh-routes.ts) plus each route's per-parent status.
//
// Rules of the GEP this follows (and why):
// - Route presence: attaching a route *replaces* the implicit "all traffic to
//   the Service" — it does not add to it. So the merged routes are all there
//   is: a request no rule matches gets 404 (Envoy's and the engine's answer
//   when no route matches), as Istio does. A user who wants a fallback writes
//   a rule without matches (PathPrefix "/", lowest precedence).
// - Producer routes (route in the Service's namespace) apply to every client.
//   Consumer routes (route in another namespace) apply only to clients in the
//   route's namespace; nodemesh's node proxy cannot tell a request's client
//   namespace yet (no workload identity until #6), so they are not applied
//   and say so (Accepted False, UnsupportedValue) rather than leak to every
//   client.
// - parentRef.port scopes the route to that port; without it, every port —
//   here every HTTP-speaking port (appProtocol http/http2/grpc), the only
//   ones an HTTPRoute can program; TCP ports keep plain forwarding.
//   parentRef.sectionName, which the GEP leaves undefined for Services, is
//   read as a port name (the natural "section" of a Service).
// - hostnames: "GAMMA implementations SHOULD NOT infer any functionality from
//   the hostnames field", so they are ignored: the parentRef already selects
//   the traffic.
// - backendRefs to other namespaces need no ReferenceGrant: mesh routes
//   augment Services clients can already reach, they expose nothing new.
// - Several routes on one Service port merge into one virtual host by the
//   HTTPRoute precedence rules (precedence.ts), exactly as on a Gateway
//   listener whose routes all serve '*'.
// - Headless Services have no frontend (no VIP), so they cannot be parents.
// - GRPCRoutes program Service ports exactly as HTTPRoutes (they compile to
//   the same IR, grpc-rules.ts), merged among themselves by GRPCRoute
//   precedence. GRPCRoutes and HTTPRoutes never merge (the GRPCRoute spec):
//   on a Service port with both, GEP-1294's route type order applies —
//   "only a single route type should be applied", GRPCRoute before HTTPRoute
//   — and each HTTPRoute parentRef selecting that port gets Accepted False,
//   reason Conflicted (the GEP's RouteReasonConflicted). Like a Gateway
//   parentRef in grpc-conflicts.ts, the parentRef is then not applied to any
//   of its ports, so its status never describes traffic it still programs.
import type { ConfigError } from '../../../../crds/src/errors.js';
import { GATEWAY_API_GROUP, GATEWAY_API_V1BETA1 } from '../../../../crds/src/gateway-api/common.js';
import type { GRPCRouteObject, HTTPRouteObject, ReferenceGrantObject } from '../../../../crds/src/resources.js';
import type { HttpRouteIR } from '../../model/gateway.js';
import type { MeshRouteIR } from '../../model/mesh-routes.js';
import type { Service, ServicePort } from '../../model/types.js';
import { isHttpPort } from '../../xds/listeners.js';
import { objectError } from '../kubernetes/source.js';
import type { Context } from './context.js';
import { ANY_HOST } from './hostnames.js';
import { compareEntries, type RankedEntry } from './precedence.js';
import { CONFLICTED } from './grpc-conflicts.js';
import { compileGrpcRoute } from './grpc-rules.js';
import { compileRoute, type CompiledRoute } from './rules.js';
import { condition, foldProblems, type RouteParentStatus } from './status.js';

export const CONSUMER_ROUTE_MESSAGE = 'consumer routes need client identity (#6)';

export interface MeshRoutesResult {
  /** Sorted by namespace, service, port. */
  meshRoutes: MeshRouteIR[];
  /** meshParentKey of each route with at least one Service parentRef → its status entries for those parents, in parentRef order. */
  parents: Map<string, RouteParentStatus[]>;
  errors: ConfigError[];
}

export type MeshRouteObject = HTTPRouteObject | GRPCRouteObject;

/** The key of MeshRoutesResult.parents: `Kind ns/name` (an HTTPRoute and a GRPCRoute may share a name). */
export function meshParentKey(route: MeshRouteObject): string {
  return `${route.kind} ${route.metadata.namespace}/${route.metadata.name}`;
}

/** A Service parentRef: group '' (core) and kind Service. */
export function isServiceParent(ref: { group: string; kind: string }): boolean {
  return ref.group === '' && ref.kind === 'Service';
}

/**
 * The context mesh routes resolve backendRefs in: the translator's, plus a
 * grant in every Service namespace for HTTPRoutes and GRPCRoutes of `routeNamespaces`
 * (GEP-1294: mesh routes need no ReferenceGrant). Expressed as grants so
 * backends.ts and filters.ts (mirrors) resolve exactly as for Gateways.
 */
function meshContext(ctx: Context, routeNamespaces: readonly string[]): Context {
  const serviceNamespaces = [...new Set([...ctx.services.values()].map((s) => s.namespace))].sort();
  const from = routeNamespaces.flatMap((namespace) => ['HTTPRoute', 'GRPCRoute'].map((kind) => ({ group: GATEWAY_API_GROUP, kind, namespace })));
  const grants: ReferenceGrantObject[] = serviceNamespaces.map((namespace) => ({
    apiVersion: GATEWAY_API_V1BETA1,
    kind: 'ReferenceGrant',
    metadata: { name: 'nodemesh-mesh-routes', namespace, labels: {}, annotations: {}, creationTimestamp: undefined },
    spec: { from, to: [{ group: '', kind: 'Service' }] },
    origin: {},
  }));
  return { ...ctx, grants };
}

interface MeshAttachment {
  svc: Service;
  port: ServicePort;
  compiled: CompiledRoute;
  /** The status entry of the parentRef that selected the port (Accepted True until a conflict says otherwise). */
  parent: RouteParentStatus;
}

/** `routes` of both kinds, each sorted by namespace/name (the caller's order is the output's tie-break order). */
export function translateMeshRoutes(ctx: Context, routes: readonly MeshRouteObject[]): MeshRoutesResult {
  const mine = routes.filter((r) => r.spec.parentRefs.some(isServiceParent));
  const mctx = meshContext(ctx, [...new Set(mine.map((r) => r.metadata.namespace))].sort());
  const out: MeshRoutesResult = { meshRoutes: [], parents: new Map(), errors: [] };
  const attachments: MeshAttachment[] = [];

  for (const route of mine) {
    const ns = route.metadata.namespace;
    const gen = route.metadata.generation;
    const compiled = route.kind === 'GRPCRoute' ? compileGrpcRoute(mctx, route) : compileRoute(mctx, route);
    // Mesh listeners carry no stateful_session filter yet: refusing beats a session silently not kept.
    if (route.kind === 'HTTPRoute') {
      route.spec.rules.forEach((r, i) => {
        if (r.sessionPersistence !== undefined) {
          compiled.unsupported.push({ reason: 'UnsupportedValue', message: 'session persistence is supported on Gateway parents only, not yet on mesh (Service) parents', path: `spec.rules[${i}].sessionPersistence` });
        }
      });
    }
    const resolvedRefs = foldProblems('ResolvedRefs', 'ResolvedRefs', 'All references are resolved', compiled.refProblems, gen);
    const parents: RouteParentStatus[] = [];

    route.spec.parentRefs.forEach((ref, i) => {
      if (!isServiceParent(ref)) return; // Gateway parents: attach.ts
      const at = `spec.parentRefs[${i}]`;
      const svcNamespace = ref.namespace ?? ns;
      const parentRef: RouteParentStatus['parentRef'] = { group: '', kind: 'Service', namespace: svcNamespace, name: ref.name };
      if (ref.sectionName !== undefined) parentRef.sectionName = ref.sectionName;
      if (ref.port !== undefined) parentRef.port = ref.port;
      const status = (ok: boolean, reason: string, message: string) => {
        const parent: RouteParentStatus = { parentRef, controllerName: ctx.controllerName, conditions: [condition('Accepted', ok, reason, message, gen), { ...resolvedRefs }] };
        parents.push(parent);
        return parent;
      };
      // false: reported elsewhere (an explicit undefined would take the default).
      const reject = (reason: string, message: string, severity: ConfigError['severity'] | false = 'error') => {
        if (severity) out.errors.push(objectError(route, at, message, severity));
        status(false, reason, message);
      };

      const svc = ctx.services.get(`${svcNamespace}/${ref.name}`);
      if (svc === undefined) return reject('NoMatchingParent', `Service ${svcNamespace}/${ref.name} not found; the route is not applied to it`, 'warning');
      if (svc.vips.length === 0) return reject('NoMatchingParent', `Service ${svcNamespace}/${ref.name} is headless: it has no frontend (VIP) for mesh routes to program`);
      const selected = svc.ports.filter(
        (p) => p.protocol === 'TCP' && (ref.port === undefined || p.port === ref.port) && (ref.sectionName === undefined || p.name === ref.sectionName),
      );
      const portText = `${ref.port !== undefined ? ` port ${ref.port}` : ''}${ref.sectionName !== undefined ? ` port named ${JSON.stringify(ref.sectionName)}` : ''}`;
      if (selected.length === 0) return reject('NoMatchingParent', `Service ${svcNamespace}/${ref.name} has no TCP${portText || ' port'}`);
      const http = selected.filter(isHttpPort);
      if (http.length === 0) {
        return reject('UnsupportedValue', `Service ${svcNamespace}/${ref.name}${portText} speaks no HTTP (appProtocol ${selected.map((p) => p.appProtocol).join(', ')}); ${route.kind}s program http, http2 and grpc ports`);
      }
      // Reported below (once per route at the offending fields), not once per parent.
      if (compiled.unsupported.length > 0) return reject('UnsupportedValue', compiled.unsupported.map((p) => `${p.path}: ${p.message}`).join('; '), false);
      if (svcNamespace !== ns) return reject('UnsupportedValue', CONSUMER_ROUTE_MESSAGE, 'warning');
      const parent = status(true, 'Accepted', 'Route is accepted');
      for (const port of http) attachments.push({ svc, port, compiled, parent });
    });

    out.parents.set(meshParentKey(route), parents);
    // Field-level problems, once per route; only routes some parent uses.
    if (parents.length > 0) for (const p of [...compiled.unsupported, ...compiled.refProblems]) out.errors.push(objectError(route, p.path, p.message, 'error'));
  }

  out.meshRoutes = mergeByPort(rejectOtherRouteTypes(attachments, out.errors));
  return out;
}

/** GEP-1294 "Route types": on a Service port with GRPCRoutes, HTTPRoutes are not applied (see the file comment). */
function rejectOtherRouteTypes(attachments: readonly MeshAttachment[], errors: ConfigError[]): MeshAttachment[] {
  const grpcByPort = new Map<string, MeshAttachment>();
  const portKey = (a: MeshAttachment) => `${a.svc.namespace}/${a.svc.name}:${a.port.port}`;
  for (const a of attachments) if (a.compiled.route.kind === 'GRPCRoute' && !grpcByPort.has(portKey(a))) grpcByPort.set(portKey(a), a);
  if (grpcByPort.size === 0) return [...attachments];
  const rejected = new Set<RouteParentStatus>();
  for (const a of attachments) {
    const winner = grpcByPort.get(portKey(a));
    if (a.compiled.route.kind === 'GRPCRoute' || winner === undefined || rejected.has(a.parent)) continue;
    rejected.add(a.parent);
    const route = a.compiled.route;
    const w = winner.compiled.route.metadata;
    const message = `port ${a.port.port} of Service ${a.svc.namespace}/${a.svc.name} has GRPCRoute ${w.namespace}/${w.name}; only one route type applies to a Service port, and GRPCRoute goes first (GEP-1294)`;
    a.parent.conditions = a.parent.conditions.map((c) => (c.type === 'Accepted' ? condition('Accepted', false, CONFLICTED, message, route.metadata.generation) : c));
    const ns = route.metadata.namespace;
    const i = route.spec.parentRefs.findIndex(
      (r) => isServiceParent(r) && r.name === a.parent.parentRef.name && (r.namespace ?? ns) === a.parent.parentRef.namespace && r.port === a.parent.parentRef.port && r.sectionName === a.parent.parentRef.sectionName,
    );
    errors.push(objectError(route, `spec.parentRefs[${i}]`, message, 'error'));
  }
  return attachments.filter((a) => !rejected.has(a.parent));
}

function created(route: MeshRouteObject): number {
  const t = route.metadata.creationTimestamp;
  return t === undefined ? Number.POSITIVE_INFINITY : Date.parse(t);
}

/** One MeshRouteIR per Service port, its routes' entries in precedence order. */
function mergeByPort(attachments: readonly MeshAttachment[]): MeshRouteIR[] {
  const byPort = new Map<string, { svc: Service; port: ServicePort; ranked: RankedEntry[]; seen: Set<string> }>();
  for (const a of attachments) {
    const key = `${a.svc.namespace}/${a.svc.name}:${a.port.port}`;
    let group = byPort.get(key);
    if (!group) byPort.set(key, (group = { svc: a.svc, port: a.port, ranked: [], seen: new Set() }));
    const { namespace, name } = a.compiled.route.metadata;
    const id = meshParentKey(a.compiled.route);
    if (group.seen.has(id)) continue; // two parentRefs selecting one port: serve the route once
    group.seen.add(id);
    // Hostnames are ignored in the mesh, so every route competes as '*'.
    for (const entry of a.compiled.entries) group.ranked.push({ entry, hostname: ANY_HOST, created: created(a.compiled.route), namespace, name });
  }
  const out: MeshRouteIR[] = [];
  for (const g of byPort.values()) {
    g.ranked.sort(compareEntries);
    const routes: HttpRouteIR[] = g.ranked.map((r) => structuredClone(r.entry.ir));
    out.push({ namespace: g.svc.namespace, service: g.svc.name, port: g.port.port, routes });
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.service, b.service) || a.port - b.port);
}

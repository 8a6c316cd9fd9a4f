// Route parentRefs → the listeners a route attaches to (with the hostnames
// it serves there) and its per-parent status, for every route kind
// (HTTPRoute, TLSRoute, TCPRoute, UDPRoute): a parentRef selects listeners
// by sectionName and port; allowedRoutes admits the route (namespace and
// kind); the hostname intersection decides where it is served (kinds
// without hostnames serve '*', whatever the listener's).
import type { ConfigError } from '../../../../crds/src/errors.js';
import type { KubeObject } from '../../../../crds/src/resources.js';
import { GATEWAY_API_GROUP } from '../../../../crds/src/gateway-api/common.js';
import { objectError } from '../kubernetes/source.js';
import { namespaceAllowed } from './allowed-routes.js';
import type { Context } from './context.js';
import type { GatewayState, ListenerState } from './gateways.js';
import { intersectHostnames } from './hostnames.js';
import type { CompiledRoute } from './rules.js';
import { condition, foldProblems, type Problem, type RouteParentStatus } from './status.js';

/** Every Gateway API route kind: the objects with parentRefs. */
export type RouteObject = Extract<KubeObject, { spec: { parentRefs: unknown } }>;

/** What attachment needs of a compiled route of any kind. */
export interface AttachableRoute {
  route: RouteObject;
  /** Unresolved references (ResolvedRefs False). */
  refProblems: readonly Problem[];
  /** Values nodemesh cannot serve (Accepted False UnsupportedValue): not attached at all. */
  unsupported: readonly Problem[];
}

export interface Attachment<R extends AttachableRoute = CompiledRoute> {
  gateway: GatewayState;
  listener: ListenerState;
  /** Hostnames the route serves on this listener ('*': any). */
  hostnames: string[];
  route: R;
  /** The route's status for the parentRef that attached it (Accepted True), so serving can refine its message. */
  parent: RouteParentStatus;
}

export interface AttachResult<R extends AttachableRoute = CompiledRoute> {
  parents: RouteParentStatus[];
  attachments: Attachment<R>[];
}

/** spec.hostnames of kinds that have them; none (so '*') for TCPRoute and UDPRoute. */
function routeHostnames(route: RouteObject): readonly string[] {
  return 'hostnames' in route.spec ? route.spec.hostnames : [];
}

/**
 * `gateways`: nodemesh's Gateways by `ns/name`; `allGateways`: every Gateway
 * key, so a reference to another controller's Gateway is silently not ours
 * while a reference to no Gateway at all is reported.
 */
export function attachRoute<R extends AttachableRoute>(
  ctx: Context,
  compiled: R,
  gateways: ReadonlyMap<string, GatewayState>,
  allGateways: ReadonlySet<string>,
  errors: ConfigError[],
): AttachResult<R> {
  const route = compiled.route;
  const kind = route.kind;
  const ns = route.metadata.namespace;
  const gen = route.metadata.generation;
  const routeKey = `${ns}/${route.metadata.name}`;
  const resolvedRefs = foldProblems('ResolvedRefs', 'ResolvedRefs', 'All references are resolved', compiled.refProblems, gen);
  const out: AttachResult<R> = { parents: [], attachments: [] };

  route.spec.parentRefs.forEach((ref, i) => {
    const at = `spec.parentRefs[${i}]`;
    if (ref.group !== GATEWAY_API_GROUP || ref.kind !== 'Gateway') return; // e.g. GAMMA Service parents: not this translator's
    const gwNamespace = ref.namespace ?? ns;
    const state = gateways.get(`${gwNamespace}/${ref.name}`);
    if (state === undefined) {
      if (!allGateways.has(`${gwNamespace}/${ref.name}`)) errors.push(objectError(route, at, `Gateway ${gwNamespace}/${ref.name} not found; the route is not attached to it`, 'warning'));
      return;
    }
    const parentRef: RouteParentStatus['parentRef'] = { group: ref.group, kind: ref.kind, namespace: gwNamespace, name: ref.name };
    if (ref.sectionName !== undefined) parentRef.sectionName = ref.sectionName;
    if (ref.port !== undefined) parentRef.port = ref.port;
    const reject = (reason: string, message: string, report = true) => {
      if (report) errors.push(objectError(route, at, message, 'error'));
      out.parents.push({ parentRef, controllerName: ctx.controllerName, conditions: [condition('Accepted', false, reason, message, gen), resolvedRefs] });
    };

    const selected = state.listeners.filter((l) => (ref.sectionName === undefined || l.spec.name === ref.sectionName) && (ref.port === undefined || l.spec.port === ref.port));
    if (selected.length === 0) return reject('NoMatchingParent', `Gateway ${gwNamespace}/${ref.name} has no listener${ref.sectionName ? ` named ${JSON.stringify(ref.sectionName)}` : ''}${ref.port ? ` on port ${ref.port}` : ''}`);
    const admitted = selected.filter((l) => namespaceAllowed(l.spec, state.gateway.metadata.namespace, ns, ctx.namespaceLabels) && l.supportedKinds.some((k) => k.group === GATEWAY_API_GROUP && k.kind === kind));
    // attachedRoutes counts admitted routes whatever their own or the listener's health (spec).
    for (const l of admitted) l.attached.add(routeKey);
    if (admitted.length === 0) return reject('NotAllowedByListeners', `no listener of Gateway ${gwNamespace}/${ref.name} selected by this parentRef admits ${kind}s from namespace ${JSON.stringify(ns)}`);
    // Reported once per route at the offending fields (translate.ts), not once per parent.
    if (compiled.unsupported.length > 0) return reject('UnsupportedValue', compiled.unsupported.map((p) => `${p.path}: ${p.message}`).join('; '), false);
    const usable = admitted.filter((l) => l.usable);
    if (usable.length === 0) return reject('NotAllowedByListeners', `no listener of Gateway ${gwNamespace}/${ref.name} selected by this parentRef is programmed`);
    const matched = usable.map((l) => ({ l, hostnames: intersectHostnames(l.spec.hostname, routeHostnames(route)) })).filter((m) => m.hostnames.length > 0);
    if (matched.length === 0) return reject('NoMatchingListenerHostname', `no hostname of the route matches a listener hostname of Gateway ${gwNamespace}/${ref.name}`);
    const parent: RouteParentStatus = { parentRef, controllerName: ctx.controllerName, conditions: [condition('Accepted', true, 'Accepted', 'Route is accepted', gen), resolvedRefs] };
    for (const m of matched) out.attachments.push({ gateway: state, listener: m.l, hostnames: m.hostnames, route: compiled, parent });
    out.parents.push(parent);
  });
  return out;
}

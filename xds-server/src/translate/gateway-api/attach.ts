// HTTPRoute parentRefs → the listeners a route attaches to (with the
// hostnames it serves there) and its per-parent status. A parentRef selects
// listeners by sectionName and port; allowedRoutes admits the route; the
// hostname intersection decides where it is served.
import type { ConfigError } from '../../../../crds/src/errors.js';
import { GATEWAY_API_GROUP } from '../../../../crds/src/gateway-api/common.js';
import { objectError } from '../kubernetes/source.js';
import { namespaceAllowed } from './allowed-routes.js';
import type { Context } from './context.js';
import type { GatewayState, ListenerState } from './gateways.js';
import { intersectHostnames } from './hostnames.js';
import type { CompiledRoute } from './rules.js';
import { condition, foldProblems, type RouteParentStatus } from './status.js';

export interface Attachment {
  gateway: GatewayState;
  listener: ListenerState;
  /** Hostnames the route serves on this listener ('*': any). */
  hostnames: string[];
  route: CompiledRoute;
}

export interface AttachResult {
  parents: RouteParentStatus[];
  attachments: Attachment[];
}

/**
 * `gateways`: nodemesh's Gateways by `ns/name`; `allGateways`: every Gateway
 * key, so a reference to another controller's Gateway is silently not ours
 * while a reference to no Gateway at all is reported.
 */
export function attachRoute(ctx: Context, compiled: CompiledRoute, gateways: ReadonlyMap<string, GatewayState>, allGateways: ReadonlySet<string>, errors: ConfigError[]): AttachResult {
  const route = compiled.route;
  const ns = route.metadata.namespace;
  const gen = route.metadata.generation;
  const routeKey = `${ns}/${route.metadata.name}`;
  const resolvedRefs = foldProblems('ResolvedRefs', 'ResolvedRefs', 'All references are resolved', compiled.refProblems, gen);
  const out: AttachResult = { parents: [], attachments: [] };

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
    const admitted = selected.filter((l) => namespaceAllowed(l.spec, state.gateway.metadata.namespace, ns) && l.supportedKinds.some((k) => k.group === GATEWAY_API_GROUP && k.kind === 'HTTPRoute'));
    // attachedRoutes counts admitted routes whatever their own or the listener's health (spec).
    for (const l of admitted) l.attached.add(routeKey);
    if (admitted.length === 0) return reject('NotAllowedByListeners', `no listener of Gateway ${gwNamespace}/${ref.name} selected by this parentRef admits HTTPRoutes from namespace ${JSON.stringify(ns)}`);
    // Reported once per route at the offending fields (translate.ts), not once per parent.
    if (compiled.unsupported.length > 0) return reject('UnsupportedValue', compiled.unsupported.map((p) => `${p.path}: ${p.message}`).join('; '), false);
    const usable = admitted.filter((l) => l.usable);
    if (usable.length === 0) return reject('NotAllowedByListeners', `no listener of Gateway ${gwNamespace}/${ref.name} selected by this parentRef is programmed`);
    const matched = usable.map((l) => ({ l, hostnames: intersectHostnames(l.spec.hostname, route.spec.hostnames) })).filter((m) => m.hostnames.length > 0);
    if (matched.length === 0) return reject('NoMatchingListenerHostname', `no hostname of the route matches a listener hostname of Gateway ${gwNamespace}/${ref.name}`);
    for (const m of matched) out.attachments.push({ gateway: state, listener: m.l, hostnames: m.hostnames, route: compiled });
    out.parents.push({ parentRef, controllerName: ctx.controllerName, conditions: [condition('Accepted', true, 'Accepted', 'Route is accepted', gen), resolvedRefs] });
  });
  return out;
}

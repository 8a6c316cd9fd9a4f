// Gateway API (GatewayClass, Gateway, HTTPRoute, ReferenceGrant, TLS Secrets)
// → GatewayIR for the mesh model, plus the status every object would get and
// the ConfigErrors `nodemesh validate` prints. Pure and deterministic: one
// invalid listener or route gets its conditions and never blocks the others.
import type { ConfigError } from '../../../../crds/src/errors.js';
import type { GatewayObject, HTTPRouteObject, Resources } from '../../../../crds/src/resources.js';
import type { GatewayIR } from '../../model/gateway.js';
import type { MeshRouteIR } from '../../model/mesh-routes.js';
import type { MeshModel } from '../../model/types.js';
import { objectError, sourceRef } from '../kubernetes/source.js';
import { attachRoute, type Attachment } from './attach.js';
import { buildContext, DEFAULT_CONTROLLER_NAME } from './context.js';
import { evaluateGateway, listenerStatuses, type GatewayState } from './gateways.js';
import { translateMeshRoutes } from './mesh.js';
import { buildPorts } from './ports.js';
import { compileRoute } from './rules.js';
import { condition, type ObjectStatus } from './status.js';

export interface GatewayApiOptions {
  /** GatewayClasses with this spec.controllerName are nodemesh's; default nodemesh.io/gateway-controller. */
  controllerName?: string;
}

export interface GatewayApiResult {
  /** Sorted by namespace, then name; only accepted Gateways with at least one served port. */
  gateways: GatewayIR[];
  /** GAMMA: routes of HTTPRoutes whose parentRef is a Service (mesh.ts). */
  meshRoutes: MeshRouteIR[];
  /** GatewayClasses, then Gateways, then HTTPRoutes, each sorted by namespace/name. */
  statuses: ObjectStatus[];
  errors: ConfigError[];
}

function byKey<T extends { metadata: { namespace: string; name: string } }>(objects: readonly T[]): T[] {
  const key = (o: T) => `${o.metadata.namespace}/${o.metadata.name}`;
  return [...objects].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export function translateGatewayApi(resources: Resources, model: MeshModel, opts: GatewayApiOptions = {}): GatewayApiResult {
  const ctx = buildContext(resources, model, opts.controllerName ?? DEFAULT_CONTROLLER_NAME);
  const errors: ConfigError[] = [];
  const statuses: ObjectStatus[] = [];

  const classes = new Map(resources.gatewayClasses.map((c) => [c.metadata.name, c]));
  const ourClasses = new Set<string>();
  for (const c of byKey(resources.gatewayClasses)) {
    if (c.spec.controllerName !== ctx.controllerName) continue; // another implementation's class: not ours to report
    ourClasses.add(c.metadata.name);
    const gen = c.metadata.generation;
    statuses.push({ kind: 'GatewayClass', namespace: '', name: c.metadata.name, conditions: [condition('Accepted', true, 'Accepted', 'GatewayClass is accepted', gen)] });
  }

  const gateways = new Map<string, GatewayState>();
  const allGateways = new Set<string>();
  const gatewayObjects: GatewayObject[] = byKey(resources.gateways);
  for (const gw of gatewayObjects) {
    allGateways.add(`${gw.metadata.namespace}/${gw.metadata.name}`);
    const className = gw.spec.gatewayClassName;
    if (!ourClasses.has(className)) {
      if (!classes.has(className)) errors.push(objectError(gw, 'spec.gatewayClassName', `GatewayClass ${JSON.stringify(className)} not found; the Gateway is ignored`, 'warning'));
      continue;
    }
    gateways.set(`${gw.metadata.namespace}/${gw.metadata.name}`, evaluateGateway(ctx, gw, errors));
  }

  const attachments: Attachment[] = [];
  const routeStatuses: ObjectStatus[] = [];
  const httpRoutes = byKey<HTTPRouteObject>(resources.httpRoutes);
  const mesh = translateMeshRoutes(ctx, httpRoutes);
  for (const route of httpRoutes) {
    const compiled = compileRoute(ctx, route);
    const { parents, attachments: mine } = attachRoute(ctx, compiled, gateways, allGateways, errors);
    const meshParents = mesh.parents.get(`${route.metadata.namespace}/${route.metadata.name}`) ?? [];
    if (parents.length === 0 && meshParents.length === 0) continue; // no parent of ours
    if (parents.length > 0) for (const p of [...compiled.unsupported, ...compiled.refProblems]) errors.push(objectError(route, p.path, p.message, 'error'));
    attachments.push(...mine);
    routeStatuses.push({ kind: 'HTTPRoute', namespace: route.metadata.namespace, name: route.metadata.name, conditions: [], parents: [...parents, ...meshParents] });
  }
  // A route with Gateway and Service parents is compiled for both; its field problems are reported once.
  const reported = new Set(errors.map((e) => JSON.stringify(e)));
  for (const e of mesh.errors) if (!reported.has(JSON.stringify(e))) errors.push(e);

  const out: GatewayIR[] = [];
  for (const state of gateways.values()) {
    const gw = state.gateway;
    statuses.push({ kind: 'Gateway', namespace: gw.metadata.namespace, name: gw.metadata.name, conditions: state.conditions, listeners: listenerStatuses(state) });
    if (!state.accepted) continue;
    const ports = buildPorts(state, attachments);
    if (ports.length === 0) continue;
    out.push({ namespace: gw.metadata.namespace, name: gw.metadata.name, source: sourceRef(gw), addresses: state.addresses, ports });
  }
  statuses.push(...routeStatuses);
  return { gateways: out, meshRoutes: mesh.meshRoutes, statuses, errors };
}

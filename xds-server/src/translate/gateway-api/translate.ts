// Gateway API (GatewayClass, Gateway, HTTPRoute, ReferenceGrant, TLS Secrets)
// → GatewayIR for the mesh model, plus the status every object would get and
// the ConfigErrors `nodemesh validate` prints. Pure and deterministic: one
// invalid listener or route gets its conditions and never blocks the others.
import type { ConfigError } from '../../../../crds/src/errors.js';
import type { GatewayObject, GRPCRouteObject, HTTPRouteObject, Resources } from '../../../../crds/src/resources.js';
import type { GatewayIR } from '../../model/gateway.js';
import type { MeshRouteIR } from '../../model/mesh-routes.js';
import type { MeshModel } from '../../model/types.js';
import { objectError, sourceRef } from '../kubernetes/source.js';
import { attachRoute, type Attachment } from './attach.js';
import { buildContext, DEFAULT_CONTROLLER_NAME } from './context.js';
import { evaluateGateway, listenerStatuses, type GatewayState } from './gateways.js';
import { resolveCrossServing } from './grpc-conflicts.js';
import { compileGrpcRoute } from './grpc-rules.js';
import { meshParentKey, translateMeshRoutes } from './mesh.js';
import { buildPorts } from './ports.js';
import { compileStreamRoute, type CompiledStreamRoute, type Superseded } from './streams.js';
import { compileRoute } from './rules.js';
import { condition, type ObjectStatus } from './status.js';

export interface GatewayApiOptions {
  /** GatewayClasses with this spec.controllerName are nodemesh's; default nodemesh.io/gateway-controller. */
  controllerName?: string;
}

export interface GatewayApiResult {
  /** Sorted by namespace, then name; only accepted Gateways with at least one served port. */
  gateways: GatewayIR[];
  /** GAMMA: routes of HTTPRoutes and GRPCRoutes whose parentRef is a Service (mesh.ts). */
  meshRoutes: MeshRouteIR[];
  /** GatewayClasses, then Gateways, then routes (HTTPRoutes, then GRPCRoutes, …), each sorted by namespace/name. */
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
  const grpcRoutes = byKey<GRPCRouteObject>(resources.grpcRoutes);
  const mesh = translateMeshRoutes(ctx, [...httpRoutes, ...grpcRoutes]);
  for (const route of [...httpRoutes, ...grpcRoutes]) {
    const compiled = route.kind === 'GRPCRoute' ? compileGrpcRoute(ctx, route) : compileRoute(ctx, route);
    const { parents, attachments: mine } = attachRoute(ctx, compiled, gateways, allGateways, errors);
    const meshParents = mesh.parents.get(meshParentKey(route)) ?? [];
    if (parents.length === 0 && meshParents.length === 0) continue; // no parent of ours
    if (parents.length > 0) for (const p of [...compiled.unsupported, ...compiled.refProblems]) errors.push(objectError(route, p.path, p.message, 'error'));
    attachments.push(...mine);
    routeStatuses.push({ kind: route.kind, namespace: route.metadata.namespace, name: route.metadata.name, conditions: [], parents: [...parents, ...meshParents] });
  }
  // HTTPRoutes and GRPCRoutes on one listener must not share hostnames (grpc-conflicts.ts).
  const served = resolveCrossServing(attachments, errors);
  // A route with Gateway and Service parents is compiled for both; its field problems are reported once.
  const reported = new Set(errors.map((e) => JSON.stringify(e)));
  for (const e of mesh.errors) if (!reported.has(JSON.stringify(e))) errors.push(e);

  // TLSRoute, TCPRoute, UDPRoute (streams.ts): Gateway parents only (GAMMA has none of them).
  const streamAttachments: Attachment<CompiledStreamRoute>[] = [];
  const superseded: Superseded[] = [];
  for (const route of [...byKey(resources.tlsRoutes), ...byKey(resources.tcpRoutes), ...byKey(resources.udpRoutes)]) {
    const compiled = compileStreamRoute(ctx, route);
    const { parents, attachments: mine } = attachRoute(ctx, compiled, gateways, allGateways, errors);
    if (parents.length === 0) continue; // no parent of ours
    for (const p of [...compiled.unsupported, ...compiled.refProblems]) errors.push(objectError(route, p.path, p.message, 'error'));
    streamAttachments.push(...mine);
    routeStatuses.push({ kind: route.kind, namespace: route.metadata.namespace, name: route.metadata.name, conditions: [], parents });
  }

  const out: GatewayIR[] = [];
  for (const state of gateways.values()) {
    const gw = state.gateway;
    statuses.push({ kind: 'Gateway', namespace: gw.metadata.namespace, name: gw.metadata.name, conditions: state.conditions, listeners: listenerStatuses(state) });
    if (!state.accepted) continue;
    const ports = buildPorts(state, served, streamAttachments, superseded);
    if (ports.length === 0) continue;
    out.push({ namespace: gw.metadata.namespace, name: gw.metadata.name, source: sourceRef(gw), addresses: state.addresses, ports });
  }
  reportSuperseded(superseded, errors);
  statuses.push(...routeStatuses);
  return { gateways: out, meshRoutes: mesh.meshRoutes, statuses, errors };
}

/**
 * Stream routes an older route keeps from (part of) a listener stay Accepted
 * (GEP-2644: the spec has no reason for them yet); the Accepted message and
 * a warning say which route serves that traffic instead.
 */
function reportSuperseded(superseded: readonly Superseded[], errors: ConfigError[]): void {
  for (const { attachment: a, hostnames, winner } of superseded) {
    const what = hostnames.length ? `SNI ${hostnames.join(', ')} on listener ${a.listener.spec.name}` : `listener ${a.listener.spec.name}`;
    const gw = a.gateway.gateway.metadata;
    const message = `receives no traffic for ${what} of Gateway ${gw.namespace}/${gw.name}: the older ${winner.kind} ${winner.metadata.namespace}/${winner.metadata.name} serves it`;
    const accepted = a.parent.conditions.find((c) => c.type === 'Accepted');
    if (accepted) accepted.message += `; ${message}`;
    errors.push(objectError(a.route.route, 'spec.parentRefs', message, 'warning'));
  }
}

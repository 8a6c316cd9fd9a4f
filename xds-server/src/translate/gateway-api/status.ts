// Gateway API status, as the translator reports it: the shapes of
// GatewayClass/Gateway/HTTPRoute `.status` (conditions, per-listener and
// per-parentRef status) so a future Kubernetes provider can write them back
// unchanged, and `nodemesh validate` can print them.

export interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  observedGeneration?: number;
}

export interface RouteGroupKind {
  group: string;
  kind: string;
}

/** Gateway `.status.listeners[]`. */
export interface ListenerStatus {
  name: string;
  supportedKinds: RouteGroupKind[];
  /** Routes whose parentRef selects this listener and that allowedRoutes admits (the spec's definition: route and listener health do not matter). */
  attachedRoutes: number;
  conditions: Condition[];
}

/** HTTPRoute `.status.parents[]`: one per parentRef this controller owns. */
export interface RouteParentStatus {
  parentRef: { group: string; kind: string; namespace: string; name: string; sectionName?: string; port?: number };
  controllerName: string;
  conditions: Condition[];
}

export interface ObjectStatus {
  kind: 'GatewayClass' | 'Gateway' | 'HTTPRoute' | 'GRPCRoute' | 'TLSRoute' | 'TCPRoute' | 'UDPRoute';
  /** '' for GatewayClass (cluster-scoped). */
  namespace: string;
  name: string;
  /** Object-level conditions (GatewayClass, Gateway); empty for routes, whose conditions are per parent. */
  conditions: Condition[];
  parents?: RouteParentStatus[];
  listeners?: ListenerStatus[];
}

export function condition(type: string, ok: boolean, reason: string, message: string, generation?: number): Condition {
  const c: Condition = { type, status: ok ? 'True' : 'False', reason, message };
  if (generation !== undefined) c.observedGeneration = generation;
  return c;
}

/**
 * A reason a reference or value could not be used, with where it is. Several
 * problems fold into one condition: the first one's reason (in spec order)
 * and every message.
 */
export interface Problem {
  reason: string;
  message: string;
  /** Field path inside the object, for the ConfigError. */
  path: string;
}

export function foldProblems(type: string, okReason: string, okMessage: string, problems: readonly Problem[], generation?: number): Condition {
  const first = problems[0];
  if (first === undefined) return condition(type, true, okReason, okMessage, generation);
  return condition(type, false, first.reason, problems.map((p) => `${p.path}: ${p.message}`).join('; '), generation);
}

// What every part of the Gateway API translation looks things up in: the
// mesh model's Services, Secrets and ReferenceGrants, indexed once.
import type { ReferenceGrantObject, Resources, SecretObject } from '../../../../crds/src/resources.js';
import type { MeshModel, Service } from '../../model/types.js';
import { NAMESPACE_NAME_LABEL } from '../../../../crds/src/namespace.js';
import type { NamespaceLabels } from './allowed-routes.js';

export const DEFAULT_CONTROLLER_NAME = 'nodemesh.io/gateway-controller';

export interface Context {
  controllerName: string;
  /** `ns/name` → Service of the mesh model (so only Services the model serves are backends). */
  services: ReadonlyMap<string, Service>;
  secrets: ReadonlyMap<string, SecretObject>;
  grants: readonly ReferenceGrantObject[];
  /** Whether the inputs declare Namespace objects (then their labels are known). */
  namespacesKnown: boolean;
  namespaceLabels: NamespaceLabels;
}

export function buildContext(resources: Resources, model: MeshModel, controllerName: string): Context {
  const namespaces = new Map(resources.namespaces.map((n) => [n.metadata.name, n.metadata.labels]));
  return {
    controllerName,
    services: new Map(model.services.map((s) => [`${s.namespace}/${s.name}`, s])),
    secrets: new Map(resources.secrets.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s])),
    grants: resources.referenceGrants,
    namespacesKnown: resources.namespaces.length > 0,
    namespaceLabels: (ns) => namespaces.get(ns) ?? { [NAMESPACE_NAME_LABEL]: ns },
  };
}

export interface GroupKind {
  group: string;
  kind: string;
}

/**
 * ReferenceGrant semantics: a reference from `from` (kind in namespace) to
 * `to` (kind/name in another namespace) is allowed when a grant in the
 * target namespace lists both. Same-namespace references need no grant.
 */
export function referenceAllowed(ctx: Context, from: GroupKind & { namespace: string }, to: GroupKind & { namespace: string; name: string }): boolean {
  if (from.namespace === to.namespace) return true;
  return ctx.grants.some(
    (g) =>
      g.metadata.namespace === to.namespace &&
      g.spec.from.some((f) => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace) &&
      g.spec.to.some((t) => t.group === to.group && t.kind === to.kind && (t.name === undefined || t.name === to.name)),
  );
}

// backendRefs (and RequestMirror's backendRef) → mesh clusters. Only core
// Services are backends; a reference to another namespace needs a
// ReferenceGrant there. Failures carry the spec's ResolvedRefs reasons.
import { GATEWAY_API_GROUP } from '../../../../crds/src/gateway-api/common.js';
import type { BackendObjectRef } from '../../../../crds/src/gateway-api/common.js';
import { clusterName } from '../../xds/names.js';
import { referenceAllowed, type Context } from './context.js';
import type { Problem } from './status.js';

export type BackendResolution = { ok: true; cluster: string } | { ok: false; problem: Problem };

export function resolveBackend(ctx: Context, ref: BackendObjectRef, routeNamespace: string, path: string): BackendResolution {
  const fail = (reason: string, message: string): BackendResolution => ({ ok: false, problem: { reason, message, path } });
  if (ref.group !== '' || ref.kind !== 'Service') {
    return fail('InvalidKind', `backend kind ${ref.group === '' ? '' : `${ref.group}/`}${ref.kind} is not supported; only core Services are`);
  }
  const namespace = ref.namespace ?? routeNamespace;
  const allowed = referenceAllowed(
    ctx,
    { group: GATEWAY_API_GROUP, kind: 'HTTPRoute', namespace: routeNamespace },
    { group: '', kind: 'Service', namespace, name: ref.name },
  );
  if (!allowed) {
    return fail('RefNotPermitted', `Service ${namespace}/${ref.name} is in another namespace and no ReferenceGrant in ${JSON.stringify(namespace)} allows HTTPRoutes from ${JSON.stringify(routeNamespace)}`);
  }
  const svc = ctx.services.get(`${namespace}/${ref.name}`);
  if (svc === undefined) return fail('BackendNotFound', `Service ${namespace}/${ref.name} not found`);
  // The schema's CEL rule guarantees a port on Service references.
  const port = svc.ports.find((p) => p.port === ref.port);
  if (port === undefined) {
    return fail('BackendNotFound', `Service ${namespace}/${ref.name} has no port ${String(ref.port)} (ports: ${svc.ports.map((p) => p.port).join(', ') || 'none'})`);
  }
  return { ok: true, cluster: clusterName(svc, port) };
}

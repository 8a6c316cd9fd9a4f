// backendRefs (and RequestMirror's backendRef) → mesh clusters. Only core
// Services are backends; a reference to another namespace needs a
// ReferenceGrant there. Failures carry the spec's ResolvedRefs reasons.
import { GATEWAY_API_GROUP } from '../../../../crds/src/gateway-api/common.js';
import type { BackendObjectRef } from '../../../../crds/src/gateway-api/common.js';
import { clusterName } from '../../xds/names.js';
import { udpClusterName } from '../../xds/udp-clusters.js';
import { referenceAllowed, type Context } from './context.js';
import type { Problem } from './status.js';

export type BackendResolution = { ok: true; cluster: string } | { ok: false; problem: Problem };

/**
 * `routeKind`: the referring route's kind, which a ReferenceGrant's `from`
 * must name. `protocol`: the transport a stream route carries (a Service port
 * is its number and protocol: DNS has a TCP and a UDP 53); absent: the first
 * port of that number, as for HTTP routes.
 */
export function resolveBackend(ctx: Context, ref: BackendObjectRef, routeNamespace: string, path: string, routeKind = 'HTTPRoute', protocol?: 'TCP' | 'UDP'): BackendResolution {
  const fail = (reason: string, message: string): BackendResolution => ({ ok: false, problem: { reason, message, path } });
  if (ref.group !== '' || ref.kind !== 'Service') {
    return fail('InvalidKind', `backend kind ${ref.group === '' ? '' : `${ref.group}/`}${ref.kind} is not supported; only core Services are`);
  }
  const namespace = ref.namespace ?? routeNamespace;
  const allowed = referenceAllowed(
    ctx,
    { group: GATEWAY_API_GROUP, kind: routeKind, namespace: routeNamespace },
    { group: '', kind: 'Service', namespace, name: ref.name },
  );
  if (!allowed) {
    return fail('RefNotPermitted', `Service ${namespace}/${ref.name} is in another namespace and no ReferenceGrant in ${JSON.stringify(namespace)} allows ${routeKind}s from ${JSON.stringify(routeNamespace)}`);
  }
  const svc = ctx.services.get(`${namespace}/${ref.name}`);
  if (svc === undefined) return fail('BackendNotFound', `Service ${namespace}/${ref.name} not found`);
  // The schema's CEL rule guarantees a port on Service references.
  const port = svc.ports.find((p) => p.port === ref.port && (protocol === undefined || p.protocol === protocol));
  if (port === undefined) {
    const ports = svc.ports.map((p) => (protocol === undefined ? `${p.port}` : `${p.port}/${p.protocol}`)).join(', ') || 'none';
    return fail('BackendNotFound', `Service ${namespace}/${ref.name} has no ${protocol === undefined ? '' : `${protocol} `}port ${String(ref.port)} (ports: ${ports})`);
  }
  return { ok: true, cluster: protocol === 'UDP' ? udpClusterName(svc, port) : clusterName(svc, port) };
}

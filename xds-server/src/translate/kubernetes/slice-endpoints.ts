// Endpoints of a Service from its EndpointSlices (what the Kubernetes
// EndpointSlice controller, or a user, published for it).
import type { ConfigError } from '../../../../crds/src/errors.js';
import { dns1123SubdomainErrors } from '../../../../crds/src/names.js';
import type { EndpointSliceObject, ServiceObject } from '../../../../crds/src/resources.js';
import type { EndpointHealth } from '../../model/types.js';
import type { EndpointSet } from './endpoint-set.js';
import { objectError, sourceRef } from './source.js';
import { spiffeId } from './spiffe.js';

/** Set on a slice when its Pods run as a known service account (file mode has no Pods to ask). */
export const SERVICE_ACCOUNT_ANNOTATION = 'nodemesh.io/service-account';

type Conditions = EndpointSliceObject['endpoints'][number]['conditions'];

/**
 * Kubernetes semantics: a nil `ready` means ready. A not-ready endpoint that
 * is still serving while terminating is draining: it finishes its existing
 * connections but gets no new ones.
 */
export function sliceEndpointHealth(c: Conditions): EndpointHealth {
  if (c.ready !== false) return 'healthy';
  if (c.serving === true && c.terminating === true) return 'draining';
  return 'unhealthy';
}

export function addSliceEndpoints(
  service: ServiceObject,
  slice: EndpointSliceObject,
  set: EndpointSet,
  trustDomain: string,
  errors: ConfigError[],
): void {
  if (slice.addressType === 'FQDN') {
    errors.push(objectError(slice, 'addressType', 'FQDN EndpointSlices are not supported; the slice is ignored', 'warning'));
    return;
  }
  // Service port name → this slice's port number for it. Slice ports without a number mean "all ports" and cannot be mapped.
  const ports: Record<string, number> = {};
  for (const sp of service.spec.ports) {
    const match = slice.ports.find((p) => (p.name ?? '') === sp.name);
    if (match?.port !== undefined) ports[sp.name] = match.port;
  }

  const sa = slice.metadata.annotations[SERVICE_ACCOUNT_ANNOTATION];
  let serviceAccount: string | undefined;
  if (sa !== undefined) {
    const problems = dns1123SubdomainErrors(sa);
    if (problems.length === 0) serviceAccount = sa;
    else errors.push(objectError(slice, `metadata.annotations[${JSON.stringify(SERVICE_ACCOUNT_ANNOTATION)}]`, `${problems.join('; ')}; endpoints get no identity`, 'warning'));
  }

  slice.endpoints.forEach((ep, i) => {
    const identity = serviceAccount !== undefined && ep.targetRef?.kind === 'Pod' ? spiffeId(trustDomain, slice.metadata.namespace, serviceAccount) : undefined;
    ep.addresses.forEach((address, j) => {
      set.add(
        {
          address,
          ports: { ...ports },
          node: ep.nodeName ?? '',
          locality: { region: '', zone: ep.zone ?? '', subzone: '' },
          ...(identity !== undefined ? { identity } : {}),
          health: sliceEndpointHealth(ep.conditions),
          weight: 1,
          // One object per endpoint: model elements never share mutable parts.
          source: sourceRef(slice),
        },
        slice,
        `endpoints[${i}].addresses[${j}]`,
      );
    });
  });
}

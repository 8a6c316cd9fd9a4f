// Kubernetes-style resources (Services, EndpointSlices, Workloads) → MeshModel.
// Pure and deterministic: the same Resources always give the same model and
// errors, whatever order the objects arrived in.
import type { ConfigError } from '../../../../crds/src/errors.js';
import { SERVICE_NAME_LABEL } from '../../../../crds/src/endpointslice.js';
import type { EndpointSliceObject, KubeObject, Resources, ServiceObject, WorkloadObject } from '../../../../crds/src/resources.js';
import type { MeshModel, Service, ServicePort } from '../../model/types.js';
import { resolveAppProtocol } from './app-protocol.js';
import { EndpointSet } from './endpoint-set.js';
import { LB_POLICY_ANNOTATION, resolveLbPolicy } from './lb-policy.js';
import { addSliceEndpoints } from './slice-endpoints.js';
import { objectError, sourceRef } from './source.js';
import { addWorkloadEndpoint, WorkloadIndex } from './workload-endpoints.js';

export interface TranslateOptions {
  /** SPIFFE trust domain of workload identities, e.g. cluster.local. */
  trustDomain: string;
  /** DNS suffix of service hostnames, e.g. cluster.local. */
  clusterDomain: string;
}

export interface TranslateResult {
  model: MeshModel;
  errors: ConfigError[];
}

function byNamespaceName<T extends KubeObject>(objects: readonly T[]): T[] {
  const key = (o: T) => `${o.metadata.namespace}/${o.metadata.name}`;
  return [...objects].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

export function translateResources(resources: Resources, opts: TranslateOptions): TranslateResult {
  const errors: ConfigError[] = [];
  const slices = byNamespaceName(resources.endpointSlices);
  const slicesByService = groupBy(slices, (s) => `${s.metadata.namespace}/${s.metadata.labels[SERVICE_NAME_LABEL] ?? ''}`);
  const workloadsByNamespace = new Map([...groupBy(byNamespaceName(resources.workloads), (w) => w.metadata.namespace)].map(([ns, ws]) => [ns, new WorkloadIndex(ws)]));

  // Every Service seen, including skipped ones, so their slices are not reported as orphans.
  const seen = new Set<string>();
  const services: Service[] = [];
  for (const svc of byNamespaceName(resources.services)) {
    const id = `${svc.metadata.namespace}/${svc.metadata.name}`;
    if (seen.has(id)) {
      // The file provider already rejects duplicates; other callers might not.
      errors.push(objectError(svc, '', 'duplicate Service; only the first one is used', 'error'));
      continue;
    }
    seen.add(id);
    if (svc.spec.type === 'ExternalName') {
      errors.push(objectError(svc, 'spec.type', 'ExternalName services are not supported yet; the service is ignored', 'warning'));
      continue;
    }
    services.push(translateService(svc, slicesByService.get(id) ?? [], workloadsByNamespace.get(svc.metadata.namespace), opts, errors));
  }

  for (const slice of slices) {
    const serviceName = slice.metadata.labels[SERVICE_NAME_LABEL] ?? '';
    if (!seen.has(`${slice.metadata.namespace}/${serviceName}`)) {
      errors.push(
        objectError(
          slice,
          `metadata.labels[${JSON.stringify(SERVICE_NAME_LABEL)}]`,
          `there is no Service ${JSON.stringify(serviceName)} in namespace ${JSON.stringify(slice.metadata.namespace)}; the slice is ignored`,
          'warning',
        ),
      );
    }
  }

  return { model: { trustDomain: opts.trustDomain, clusterDomain: opts.clusterDomain, services }, errors };
}

function translateService(
  svc: ServiceObject,
  slices: readonly EndpointSliceObject[],
  workloads: WorkloadIndex | undefined,
  opts: TranslateOptions,
  errors: ConfigError[],
): Service {
  const ports: ServicePort[] = svc.spec.ports.map((p, i) => {
    const { appProtocol, warning } = resolveAppProtocol(p);
    if (warning) errors.push(objectError(svc, `spec.ports[${i}].${warning.field}`, warning.message, 'warning'));
    return { name: p.name, port: p.port, protocol: p.protocol, appProtocol };
  });

  const lb = resolveLbPolicy(svc.metadata.annotations);
  if (lb.error !== undefined) errors.push(objectError(svc, `metadata.annotations[${JSON.stringify(LB_POLICY_ANNOTATION)}]`, lb.error, 'error'));

  const endpoints = new EndpointSet(svc, errors);
  for (const slice of slices) addSliceEndpoints(svc, slice, endpoints, opts.trustDomain, errors);
  for (const w of workloads?.selectedBy(svc) ?? []) addWorkloadEndpoint(svc, w, endpoints, opts.trustDomain, errors);

  const { namespace, name } = svc.metadata;
  return {
    namespace,
    name,
    hostname: `${name}.${namespace}.svc.${opts.clusterDomain}`,
    // Headless ("None") and not-yet-allocated ("") services have no VIP.
    vips: svc.spec.clusterIPs.filter((ip) => ip !== 'None' && ip !== ''),
    ports,
    endpoints: endpoints.sorted(),
    lbPolicy: lb.policy,
    source: sourceRef(svc),
  };
}

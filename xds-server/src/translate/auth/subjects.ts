// The workload endpoints policies select: every endpoint of the model (which
// carries address, node and SPIFFE identity), plus Workloads no Service
// selects (they still have an identity and may still receive connections).
//
// The model's endpoints carry no labels, and file mode has no Pods, so the
// labels come from the objects behind them:
// - a Workload endpoint: the Workload's spec.labels (and its named ports);
// - an EndpointSlice endpoint: its Service's selector. The Pods behind it
//   carry at least those labels, and nodemesh cannot know any others, so a
//   policy selecting on other Pod labels does not match them (and says so:
//   the "selects no workload" warning).
import { NAMESPACE_NAME_LABEL } from '../../../../crds/src/namespace.js';
import type { Resources, WorkloadObject } from '../../../../crds/src/resources.js';
import type { MeshModel, SourceRef } from '../../model/types.js';
import { spiffeId } from '../kubernetes/spiffe.js';
import { sourceRef } from '../kubernetes/source.js';

export interface Subject {
  namespace: string;
  address: string;
  node: string;
  /** Absent: an EndpointSlice endpoint without the nodemesh.io/service-account annotation. */
  identity?: string;
  labels: Record<string, string>;
  /** Port name → number, for named ports in policies. */
  namedPorts: Record<string, number>;
  source: SourceRef;
}

export interface Subjects {
  /** Sorted by address (input order does not matter). */
  all: Subject[];
  namespaceLabels(namespace: string): Record<string, string>;
}

export function collectSubjects(resources: Resources, model: MeshModel): Subjects {
  const byAddress = new Map<string, Subject>();
  const workloads = new Map<string, WorkloadObject>(resources.workloads.map((w) => [`${w.metadata.namespace}/${w.metadata.name}`, w]));
  const selectors = new Map(resources.services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s.spec.selector ?? {}]));
  const add = (s: Subject) => {
    const cur = byAddress.get(s.address);
    if (!cur) return void byAddress.set(s.address, s);
    // One Pod behind two Services: it carries both selectors' labels.
    Object.assign(cur.labels, s.labels);
    Object.assign(cur.namedPorts, s.namedPorts);
    cur.identity ??= s.identity;
  };
  for (const svc of model.services) {
    for (const ep of svc.endpoints) {
      const w = ep.source.kind === 'Workload' ? workloads.get(`${ep.source.namespace}/${ep.source.name}`) : undefined;
      add({
        namespace: svc.namespace,
        address: ep.address,
        node: ep.node,
        ...(ep.identity !== undefined ? { identity: ep.identity } : {}),
        labels: { ...(w ? w.spec.labels : (selectors.get(`${svc.namespace}/${svc.name}`) ?? {})) },
        namedPorts: { ...(w?.spec.ports ?? ep.ports) },
        source: { ...ep.source },
      });
    }
  }
  for (const w of resources.workloads) {
    if (byAddress.has(w.spec.address)) continue;
    add({
      namespace: w.metadata.namespace,
      address: w.spec.address,
      node: w.spec.node ?? '',
      identity: spiffeId(model.trustDomain, w.metadata.namespace, w.spec.serviceAccount),
      labels: { ...w.spec.labels },
      namedPorts: { ...(w.spec.ports ?? {}) },
      source: sourceRef(w),
    });
  }
  const nsLabels = new Map(resources.namespaces.map((n) => [n.metadata.name, n.metadata.labels]));
  const all = [...byAddress.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return { all, namespaceLabels: (ns) => nsLabels.get(ns) ?? { [NAMESPACE_NAME_LABEL]: ns } };
}

export function describeSubject(s: Subject): string {
  return `${s.address} (${s.source.kind} ${s.source.namespace}/${s.source.name})`;
}

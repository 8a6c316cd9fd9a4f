// Authentication policies → MeshModel.authPolicies. Pure and deterministic.
//
// Inputs: NetworkPolicies carrying the `nodemesh.io/mtls` annotation, and
// MeshPolicy rules with `authentication`. nodemesh does not enforce the
// allow/deny part of either (that is the CNI's job): it reads them only for
// which ingress must be mutually authenticated. A NetworkPolicy without the
// annotation, or a MeshPolicy rule without `authentication`, yields nothing.
//
// Selectors resolve against the workload endpoints of the model (subjects.ts),
// named ports against each destination. When several policies cover the same
// destination, ports and sources, required wins: the disabled entry is dropped
// (or narrowed to the sources no required entry covers) with a warning on the
// disabled policy. Likewise per-connection wins over per-pair: a required
// pair entry loses the sources a per-connection entry for the same
// destination and ports covers (`nodemesh.io/mtls: required-per-connection`,
// MeshPolicy `authentication.scope: connection`). Entries whose port sets
// merely overlap are all kept; `authModeFor` and `authScopeFor`
// (model/auth-policies.ts) apply the same rules per flow.
import type { ConfigError } from '../../../../crds/src/errors.js';
import { CILIUM_NAMESPACE_LABEL, stripLabelSource, type EndpointSelector } from '../../../../crds/src/meshpolicy.js';
import { labelSelectorMatches, MTLS_ANNOTATION, MTLS_ANNOTATION_VALUES, type LabelSelector } from '../../../../crds/src/networkpolicy.js';
import type { MeshPolicyObject, NetworkPolicyObject, Resources } from '../../../../crds/src/resources.js';
import type { AuthMode, AuthPortIR, AuthProtocol, AuthRequirementIR, AuthScope, AuthSourcesIR } from '../../model/auth-policies.js';
import type { MeshModel, SourceRef } from '../../model/types.js';
import { compareAddresses } from '../kubernetes/address.js';
import { objectError, sourceRef } from '../kubernetes/source.js';
import { collectSubjects, describeSubject, type Subject, type Subjects } from './subjects.js';

export interface AuthTranslateResult {
  authPolicies: AuthRequirementIR[];
  errors: ConfigError[];
}

type PolicyObject = NetworkPolicyObject | MeshPolicyObject;

interface PortSpec {
  protocol: AuthProtocol;
  /** Number (0: all), name, or absent (all ports of the protocol). */
  port?: number | string;
  endPort?: number;
}

/** One policy rule with its selectors resolved; ports still per destination. */
interface Rule {
  policy: PolicyObject;
  /** Field path of what decides the mode (for the "required wins" warning). */
  modePath: string;
  rulePath: string;
  mode: AuthMode;
  /** 'pair' on disabled rules (no meaning there). */
  scope: AuthScope;
  destinations: Subject[];
  /** Undefined: every port. */
  ports: PortSpec[] | undefined;
  sources: AuthSourcesIR;
}

const ANNOTATION_PATH = `metadata.annotations[${JSON.stringify(MTLS_ANNOTATION)}]`;
/** Cilium's labels for the labels of an endpoint's namespace. */
const CILIUM_NAMESPACE_LABELS_PREFIX = 'io.cilium.k8s.namespace.labels.';

export function translateAuthPolicies(resources: Resources, model: MeshModel): AuthTranslateResult {
  const errors: ConfigError[] = [];
  const subjects = collectSubjects(resources, model);
  const rules: Rule[] = [];
  for (const np of sortPolicies(resources.networkPolicies)) rules.push(...networkPolicyRules(np, subjects, errors));
  for (const mp of sortPolicies(resources.meshPolicies)) rules.push(...meshPolicyRules(mp, subjects, errors));
  return { authPolicies: merge(rules, errors), errors };
}

function sortPolicies<T extends PolicyObject>(list: readonly T[]): T[] {
  const key = (o: T) => `${o.metadata.namespace}/${o.metadata.name}`;
  return [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function noSources(): AuthSourcesIR {
  return { any: false, identities: [], ipBlocks: [] };
}

function destinationsOf(policy: PolicyObject, path: string, matched: Subject[], errors: ConfigError[]): Subject[] {
  if (matched.length === 0) {
    errors.push(objectError(policy, path, `selects no workload endpoint in namespace ${JSON.stringify(policy.metadata.namespace)}; the policy has no effect until one exists`, 'warning'));
    return [];
  }
  const anonymous = matched.filter((s) => s.identity === undefined);
  if (anonymous.length > 0) {
    errors.push(
      objectError(
        policy,
        path,
        `${anonymous.map(describeSubject).join(', ')} ${anonymous.length === 1 ? 'has' : 'have'} no SPIFFE identity (an EndpointSlice needs the nodemesh.io/service-account annotation), so mTLS cannot be required for ${anonymous.length === 1 ? 'it' : 'them'}; left out`,
        'warning',
      ),
    );
  }
  return matched.filter((s) => s.identity !== undefined);
}

/** Adds the identities of `matched` to `sources`, warning about a peer that selects nothing or has no identity. */
function addSourceIdentities(policy: PolicyObject, path: string, matched: Subject[], sources: AuthSourcesIR, errors: ConfigError[]): void {
  if (matched.length === 0) {
    errors.push(objectError(policy, path, 'selects no workload endpoint; no source is allowed through this peer yet', 'warning'));
    return;
  }
  const anonymous = matched.filter((s) => s.identity === undefined);
  if (anonymous.length > 0) {
    errors.push(objectError(policy, path, `${anonymous.map(describeSubject).join(', ')}: no SPIFFE identity, so ${anonymous.length === 1 ? 'it' : 'they'} cannot authenticate`, 'warning'));
  }
  for (const s of matched) if (s.identity !== undefined && !sources.identities.includes(s.identity)) sources.identities.push(s.identity);
}

function networkPolicyRules(np: NetworkPolicyObject, subjects: Subjects, errors: ConfigError[]): Rule[] {
  const value = np.metadata.annotations[MTLS_ANNOTATION];
  if (value === undefined) return [];
  if (!(MTLS_ANNOTATION_VALUES as readonly string[]).includes(value)) {
    // Not guessed either way: the error says so, and the policy is left to the CNI as if it had no annotation.
    errors.push(
      objectError(
        np,
        ANNOTATION_PATH,
        `Unsupported value: ${JSON.stringify(value)}: supported values: ${MTLS_ANNOTATION_VALUES.map((v) => JSON.stringify(v)).join(', ')}; this policy requires no mTLS until the value is fixed`,
        'error',
      ),
    );
    return [];
  }
  const mode: AuthMode = value === 'disabled' ? 'disabled' : 'required';
  const scope: AuthScope = value === 'required-per-connection' ? 'connection' : 'pair';
  const ns = np.metadata.namespace;
  if ((np.spec.egress ?? []).length > 0) errors.push(objectError(np, 'spec.egress', 'egress rules are not read by nodemesh (mTLS is required by the receiving side); ignored', 'warning'));
  if (!np.spec.policyTypes.includes('Ingress')) {
    errors.push(objectError(np, 'spec.policyTypes', `has no Ingress: the ${MTLS_ANNOTATION} annotation applies to ingress only and has nothing to apply to`, 'warning'));
    return [];
  }
  const ingress = np.spec.ingress ?? [];
  if (ingress.length === 0) {
    errors.push(objectError(np, 'spec.ingress', 'no ingress rule: the policy allows no ingress, so there is nothing to authenticate', 'warning'));
    return [];
  }
  const destinations = destinationsOf(
    np,
    'spec.podSelector',
    subjects.all.filter((s) => s.namespace === ns && labelSelectorMatches(np.spec.podSelector, s.labels)),
    errors,
  );
  const rules: Rule[] = [];
  ingress.forEach((rule, i) => {
    const rulePath = `spec.ingress[${i}]`;
    const sources = noSources();
    const from = rule.from ?? [];
    if (from.length === 0) sources.any = true;
    from.forEach((peer, j) => {
      const path = `${rulePath}.from[${j}]`;
      if (peer.ipBlock) {
        sources.ipBlocks.push({ cidr: peer.ipBlock.cidr, except: [...(peer.ipBlock.except ?? [])].sort() });
        if (mode === 'required') errors.push(objectError(np, `${path}.ipBlock`, 'ipBlock peers have no SPIFFE identity and can never authenticate: with mTLS required, their connections are refused', 'warning'));
        return;
      }
      const nsSel = peer.namespaceSelector;
      const inNamespace = (s: Subject) => (nsSel ? labelSelectorMatches(nsSel, subjects.namespaceLabels(s.namespace)) : s.namespace === ns);
      const podSel: LabelSelector = peer.podSelector ?? {};
      addSourceIdentities(np, path, subjects.all.filter((s) => inNamespace(s) && labelSelectorMatches(podSel, s.labels)), sources, errors);
    });
    const ports = (rule.ports ?? []).length === 0 ? undefined : rule.ports!.map((p): PortSpec => ({ protocol: p.protocol, ...(p.port !== undefined ? { port: p.port } : {}), ...(p.endPort !== undefined ? { endPort: p.endPort } : {}) }));
    rules.push({ policy: np, modePath: ANNOTATION_PATH, rulePath, mode, scope, destinations, ports, sources });
  });
  return rules;
}

/** A Cilium selector as a plain label selector over Cilium-style labels (source prefixes dropped). */
function toLabelSelector(sel: EndpointSelector): { selector: LabelSelector; namesNamespace: boolean } {
  const matchLabels = Object.fromEntries(Object.entries(sel.matchLabels ?? {}).map(([k, v]) => [stripLabelSource(k), v]));
  const matchExpressions = (sel.matchExpressions ?? []).map((e) => ({ ...e, key: stripLabelSource(e.key) }));
  const keys = [...Object.keys(matchLabels), ...matchExpressions.map((e) => e.key)];
  return { selector: { matchLabels, matchExpressions }, namesNamespace: keys.includes(CILIUM_NAMESPACE_LABEL) };
}

/** The labels Cilium gives an endpoint: its own, its namespace, and its namespace's labels. */
function ciliumLabels(s: Subject, subjects: Subjects): Record<string, string> {
  const out: Record<string, string> = { ...s.labels, [CILIUM_NAMESPACE_LABEL]: s.namespace };
  for (const [k, v] of Object.entries(subjects.namespaceLabels(s.namespace))) out[`${CILIUM_NAMESPACE_LABELS_PREFIX}${k}`] = v;
  return out;
}

function meshPolicyRules(mp: MeshPolicyObject, subjects: Subjects, errors: ConfigError[]): Rule[] {
  const ns = mp.metadata.namespace;
  const select = (sel: EndpointSelector, anyNamespace: boolean) => {
    const { selector, namesNamespace } = toLabelSelector(sel);
    return subjects.all.filter((s) => (anyNamespace && namesNamespace ? true : s.namespace === ns) && labelSelectorMatches(selector, ciliumLabels(s, subjects)));
  };
  const withAuth = (mp.spec.ingress ?? []).map((r, i) => ({ r, i })).filter(({ r }) => r.authentication !== undefined);
  if (withAuth.length === 0) return [];
  // The endpointSelector of a namespaced policy never leaves its namespace (as CiliumNetworkPolicy).
  const destinations = destinationsOf(mp, 'spec.endpointSelector', select(mp.spec.endpointSelector, false), errors);
  return withAuth.map(({ r, i }): Rule => {
    const rulePath = `spec.ingress[${i}]`;
    const sources = noSources();
    const from = r.fromEndpoints ?? [];
    if (from.length === 0) sources.any = true;
    from.forEach((sel, j) => addSourceIdentities(mp, `${rulePath}.fromEndpoints[${j}]`, select(sel, true), sources, errors));
    const portList = (r.toPorts ?? []).map((tp) => tp.ports ?? []);
    // `toPorts: [{}]` (a port rule without ports) covers every port, as in Cilium.
    const ports =
      portList.length === 0 || portList.some((p) => p.length === 0)
        ? undefined
        : portList.flat().map((p): PortSpec => ({ protocol: p.protocol, port: /^[0-9]+$/.test(p.port) ? Number(p.port) : p.port, ...(p.endPort !== undefined ? { endPort: p.endPort } : {}) }));
    const { mode, scope = 'pair' } = r.authentication!;
    return { policy: mp, modePath: `${rulePath}.authentication.mode`, rulePath, mode, scope: mode === 'required' ? scope : 'pair', destinations, ports, sources };
  });
}

/** The rule's ports at one destination; undefined when it names ports and none exists there. */
function resolvePorts(rule: Rule, dest: Subject, errors: ConfigError[]): AuthPortIR[] | undefined {
  if (rule.ports === undefined) return [];
  const out: AuthPortIR[] = [];
  for (const p of rule.ports) {
    if (typeof p.port === 'string') {
      const n = dest.namedPorts[p.port];
      if (n === undefined) {
        errors.push(objectError(rule.policy, `${rule.rulePath}.${rule.policy.kind === 'NetworkPolicy' ? 'ports' : 'toPorts'}`, `${describeSubject(dest)} has no port named ${JSON.stringify(p.port)}; that port is left out there`, 'warning'));
        continue;
      }
      out.push({ protocol: p.protocol, port: n });
    } else {
      const port = p.port ?? 0;
      out.push({ protocol: p.protocol, port, ...(p.endPort !== undefined && p.endPort !== port && port !== 0 ? { endPort: p.endPort } : {}) });
    }
  }
  if (out.length === 0) return undefined;
  const seen = new Map(out.map((p) => [portKey(p), p]));
  return [...seen.keys()].sort(comparePortKeys).map((k) => seen.get(k)!);
}

function portKey(p: AuthPortIR): string {
  return `${p.protocol}/${p.port}${p.endPort !== undefined ? `-${p.endPort}` : ''}`;
}

function comparePortKeys(a: string, b: string): number {
  const [pa = '', na = ''] = a.split('/');
  const [pb = '', nb = ''] = b.split('/');
  return pa !== pb ? (pa < pb ? -1 : 1) : parseInt(na, 10) - parseInt(nb, 10) || (na < nb ? -1 : na > nb ? 1 : 0);
}

function describePorts(ports: readonly AuthPortIR[]): string {
  return ports.length === 0 ? 'every port' : `port${ports.length === 1 ? '' : 's'} ${ports.map(portKey).join(', ')}`;
}

function describePolicy(r: SourceRef): string {
  return `${r.kind} ${r.namespace}/${r.name}`;
}

interface Group {
  entry: AuthRequirementIR;
  origins: { policy: PolicyObject; modePath: string }[];
}

function merge(rules: Rule[], errors: ConfigError[]): AuthRequirementIR[] {
  const groups = new Map<string, Group>();
  for (const rule of rules) {
    if (!rule.sources.any && rule.sources.identities.length === 0 && rule.sources.ipBlocks.length === 0) continue;
    for (const dest of rule.destinations) {
      const ports = resolvePorts(rule, dest, errors);
      if (ports === undefined) continue;
      const perConnection = rule.mode === 'required' && rule.scope === 'connection';
      const key = `${dest.address} ${dest.identity} ${ports.map(portKey).join(',')} ${rule.mode}${perConnection ? ' connection' : ''}`;
      let g = groups.get(key);
      if (!g) {
        g = {
          entry: {
            destination: { namespace: dest.namespace, identity: dest.identity!, address: dest.address, node: dest.node },
            ports,
            sources: noSources(),
            mode: rule.mode,
            ...(perConnection ? { scope: 'connection' as const } : {}),
            policies: [],
          },
          origins: [],
        };
        groups.set(key, g);
      }
      const s = g.entry.sources;
      s.any ||= rule.sources.any;
      for (const id of rule.sources.identities) if (!s.identities.includes(id)) s.identities.push(id);
      for (const b of rule.sources.ipBlocks) if (!s.ipBlocks.some((x) => x.cidr === b.cidr && x.except.join() === b.except.join())) s.ipBlocks.push({ cidr: b.cidr, except: [...b.except] });
      const ref = sourceRef(rule.policy);
      if (!g.entry.policies.some((p) => p.kind === ref.kind && p.namespace === ref.namespace && p.name === ref.name)) g.entry.policies.push(ref);
      if (!g.origins.some((o) => o.policy === rule.policy && o.modePath === rule.modePath)) g.origins.push({ policy: rule.policy, modePath: rule.modePath });
    }
  }

  // Required wins over disabled, then per-connection over per-pair: an entry
  // loses the sources a stronger entry for the same destination and ports covers.
  const out: AuthRequirementIR[] = [];
  const warned = new Set<string>();
  for (const [key, g] of groups) {
    const e = g.entry;
    const base = key.replace(/ (disabled|required|required connection)$/, '');
    const stronger = e.mode === 'disabled' ? [' required', ' required connection'] : e.scope === 'connection' ? [] : [' required connection'];
    let dropped = false;
    for (const suffix of stronger) {
      const req = groups.get(base + suffix)?.entry;
      if (!req) continue;
      const rs = req.sources;
      const before = JSON.stringify(e.sources);
      if (rs.any) e.sources = noSources();
      else {
        e.sources.identities = e.sources.identities.filter((id) => !rs.identities.includes(id));
        e.sources.ipBlocks = e.sources.ipBlocks.filter((b) => !rs.ipBlocks.some((x) => x.cidr === b.cidr && x.except.join() === b.except.join()));
      }
      dropped = !e.sources.any && e.sources.identities.length === 0 && e.sources.ipBlocks.length === 0;
      if (JSON.stringify(e.sources) !== before) {
        const by = `${req.policies.map(describePolicy).join(', ')} require${req.policies.length === 1 ? 's' : ''} it`;
        const where = `for ${e.destination.identity} at ${e.destination.address}, ${describePorts(e.ports)}`;
        const rest = dropped ? '' : ' for the sources it names';
        const message =
          e.mode === 'disabled'
            ? `authentication is disabled here ${where}, but ${by}${req.scope === 'connection' ? ' per connection' : ''}: required wins${rest}`
            : `authentication is required per identity pair here ${where}, but ${by} per connection: per connection wins${rest}`;
        for (const o of g.origins) {
          const k = `${describePolicy(sourceRef(o.policy))} ${o.modePath} ${message}`;
          if (!warned.has(k)) errors.push(objectError(o.policy, o.modePath, message, 'warning'));
          warned.add(k);
        }
      }
      if (dropped) break;
    }
    if (dropped) continue;
    e.sources.identities.sort();
    e.sources.ipBlocks.sort((a, b) => (a.cidr < b.cidr ? -1 : a.cidr > b.cidr ? 1 : 0));
    e.policies.sort((a, b) => describePolicy(a).localeCompare(describePolicy(b)));
    out.push(e);
  }
  const sortKey = (e: AuthRequirementIR) => `${e.destination.identity} ${e.ports.map(portKey).join(',')} ${e.mode === 'disabled' ? 2 : e.scope === 'connection' ? 0 : 1}`;
  return out.sort((a, b) => compareAddresses(a.destination.address, b.destination.address) || (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
}

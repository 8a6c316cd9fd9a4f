// Gateways of different user APIs (Gateway API Gateways, the Ingress gateway)
// cannot see each other while they are translated, so two of them may claim
// one address:port of the node proxy. This stage, run once both are
// translated, ranks them — Gateways by age (the spec's conflict rule), then
// the Ingress gateway — keeps each port for the first claimant and reports
// the others in their status, so a port is never bound twice.
import type { ConfigError } from '../../../crds/src/errors.js';
import type { Resources } from '../../../crds/src/resources.js';
import { resolveBindConflicts, type BindConflict } from '../model/gateway-binds.js';
import type { GatewayIR } from '../model/gateway.js';
import { condition, type ObjectStatus } from './gateway-api/status.js';
import type { IngressStatus } from './ingress/index.js';

export interface BindResult {
  gateways: GatewayIR[];
  gatewayStatuses: ObjectStatus[];
  ingressStatuses: IngressStatus[];
  errors: ConfigError[];
}

function describeGateway(gw: GatewayIR): string {
  return gw.namespace ? `Gateway ${gw.namespace}/${gw.name}` : `the ${gw.name.replace('/', ' class ')} gateway`;
}

function message(c: BindConflict): string {
  return `${c.transport} port ${c.port} on ${c.address} is already bound by ${describeGateway(c.owner)}; this port is not served`;
}

export function assignGatewayBinds(resources: Resources, gatewayApi: readonly GatewayIR[], ingress: readonly GatewayIR[], gatewayStatuses: readonly ObjectStatus[], ingressStatuses: readonly IngressStatus[]): BindResult {
  const objects = new Map(resources.gateways.map((g) => [`${g.metadata.namespace}/${g.metadata.name}`, g]));
  const created = (gw: GatewayIR) => {
    const t = objects.get(`${gw.namespace}/${gw.name}`)?.metadata.creationTimestamp;
    return t === undefined ? Number.POSITIVE_INFINITY : Date.parse(t);
  };
  // Sort is stable: equal ages keep the translator's namespace/name order.
  const ranked = [...gatewayApi].sort((a, b) => created(a) - created(b));
  const { gateways, conflicts } = resolveBindConflicts([...ranked, ...ingress]);
  if (conflicts.length === 0) return { gateways, gatewayStatuses: [...gatewayStatuses], ingressStatuses: [...ingressStatuses], errors: [] };

  const errors: ConfigError[] = [];
  const statuses = gatewayStatuses.map((s) => structuredClone(s));
  const ingresses = ingressStatuses.map((s) => structuredClone(s));
  for (const c of conflicts) {
    const text = message(c);
    const gw = c.gateway;
    const obj = objects.get(`${gw.namespace}/${gw.name}`);
    if (ingress.includes(gw) || obj === undefined) {
      errors.push({ ...(gw.source.file !== undefined && { file: gw.source.file }), ...(gw.source.index !== undefined && { index: gw.source.index }), kind: gw.source.kind, namespace: gw.source.namespace, name: gw.source.name, path: '', message: text, severity: 'error' });
      for (const s of ingresses) s.errors.push(`error: ${text}`);
      continue;
    }
    const status = statuses.find((s) => s.kind === 'Gateway' && s.namespace === gw.namespace && s.name === gw.name);
    obj.spec.listeners.forEach((l, i) => {
      if (l.port !== c.port || (l.protocol === 'UDP') !== (c.transport === 'UDP')) return;
      errors.push({ ...obj.origin, apiVersion: obj.apiVersion, kind: obj.kind, namespace: gw.namespace, name: gw.name, path: `spec.listeners[${i}].port`, message: text, severity: 'error' });
      const ls = status?.listeners?.find((x) => x.name === l.name);
      if (ls) ls.conditions = ls.conditions.map((k) => (k.type === 'Programmed' ? condition('Programmed', false, 'Invalid', `Listener is not programmed: ${text}`, k.observedGeneration) : k));
    });
  }
  // An Ingress gateway that lost every port is not served anywhere.
  if (ingress.length > 0 && !ingress.some((g) => gateways.includes(g) || gateways.some((k) => k.namespace === g.namespace && k.name === g.name))) {
    for (const s of ingresses) s.loadBalancer.ingress = [];
  }
  return { gateways, gatewayStatuses: statuses, ingressStatuses: ingresses, errors };
}

// Gateways of nodemesh's GatewayClasses → per-listener state: which listeners
// can be served (and so routes may attach to), their certificates, and the
// conditions the spec defines. Routes are attached later (attach.ts); the
// listener conditions are final once attachedRoutes is counted.
import type { ConfigError } from '../../../../crds/src/errors.js';
import type { ListenerSpec } from '../../../../crds/src/gateway-api/gateway.js';
import type { GatewayObject } from '../../../../crds/src/resources.js';
import type { TlsCertIR } from '../../model/gateway.js';
import { objectError } from '../kubernetes/source.js';
import { NAMESPACE_NAME_LABEL, ROUTE_KINDS_BY_PROTOCOL, routeKinds, unknowableSelectorKeys } from './allowed-routes.js';
import { resolveCertificates } from './certificates.js';
import type { Context } from './context.js';
import { condition, foldProblems, type Condition, type ListenerStatus, type Problem, type RouteGroupKind } from './status.js';

export interface ListenerState {
  index: number;
  spec: ListenerSpec;
  supportedKinds: RouteGroupKind[];
  /** Served, so routes may attach to it. */
  usable: boolean;
  certs: TlsCertIR[];
  /** Keys of routes attached per the spec's attachedRoutes definition. */
  attached: Set<string>;
  conditions: Condition[];
}

export interface GatewayState {
  gateway: GatewayObject;
  accepted: boolean;
  addresses: string[];
  listeners: ListenerState[];
  conditions: Condition[];
}

// Listener state while its conditions are being worked out.
type Evaluated = ListenerState & { rejected?: Problem; refProblems: Problem[] };

function notAccepted(l: ListenerSpec): Problem | undefined {
  if (ROUTE_KINDS_BY_PROTOCOL[l.protocol] === undefined) {
    return { reason: 'UnsupportedProtocol', message: `protocol ${l.protocol} is not supported yet (nodemesh serves HTTP and HTTPS listeners)`, path: 'protocol' };
  }
  if (l.protocol === 'HTTPS' && l.tls?.mode === 'Passthrough') {
    return { reason: 'UnsupportedProtocol', message: 'HTTPS listeners terminate TLS; use protocol TLS for tls.mode Passthrough', path: 'tls.mode' };
  }
  return undefined;
}

export function evaluateGateway(ctx: Context, gw: GatewayObject, errors: ConfigError[]): GatewayState {
  const gen = gw.metadata.generation;
  const err = (path: string, message: string, severity: ConfigError['severity'] = 'error') => errors.push(objectError(gw, path, message, severity));

  const unsupportedAddresses = gw.spec.addresses.map((a, i) => ({ a, i })).filter(({ a }) => a.type !== 'IPAddress');
  for (const { a, i } of unsupportedAddresses) err(`spec.addresses[${i}].type`, `address type ${a.type} is not supported; use IPAddress`);
  const addressOk = unsupportedAddresses.length === 0;
  const addresses = [...new Set(gw.spec.addresses.map((a) => a.value))];

  const listeners = gw.spec.listeners.map((spec, index) => {
    const at = `spec.listeners[${index}]`;
    const rejected = notAccepted(spec);
    const kinds = routeKinds(spec);
    const refProblems: Problem[] = kinds.invalid.map((k) => ({ reason: 'InvalidRouteKinds', message: `route kind ${k.group}/${k.kind} is not supported on ${spec.protocol} listeners`, path: `${at}.allowedRoutes.kinds` }));
    let certs: TlsCertIR[] = [];
    if (rejected === undefined && spec.protocol === 'HTTPS') {
      const r = resolveCertificates(ctx, spec.tls?.certificateRefs ?? [], gw.metadata.namespace, `${at}.tls.certificateRefs`);
      certs = r.certs;
      refProblems.push(...r.problems);
      if (r.certs.length === 0 && r.problems.length === 0) refProblems.push({ reason: 'InvalidCertificateRef', message: 'no certificateRefs; HTTPS listeners need a certificate', path: `${at}.tls` });
    }
    const selector = spec.allowedRoutes.namespaces.selector;
    if (spec.allowedRoutes.namespaces.from === 'Selector') {
      if (selector === undefined) err(`${at}.allowedRoutes.namespaces.selector`, 'Required value when from is Selector; the listener admits no routes');
      else {
        const keys = unknowableSelectorKeys(selector);
        if (keys.length > 0) err(`${at}.allowedRoutes.namespaces.selector`, `nodemesh knows only the ${NAMESPACE_NAME_LABEL} label of namespaces; terms on ${keys.join(', ')} match no namespace`, 'warning');
      }
    }
    if (rejected) err(`${at}.${rejected.path}`, rejected.message);
    for (const p of refProblems) err(p.path, p.message);
    const state: Evaluated = { index, spec, supportedKinds: kinds.supported, usable: false, certs, attached: new Set<string>(), conditions: [], refProblems };
    if (rejected !== undefined) state.rejected = rejected;
    return state;
  });

  // Listeners sharing a port must speak one protocol (HTTP and HTTPS cannot share a socket).
  const protocolsByPort = new Map<number, Set<string>>();
  for (const l of listeners) if (l.rejected === undefined) protocolsByPort.set(l.spec.port, (protocolsByPort.get(l.spec.port) ?? new Set()).add(l.spec.protocol));

  for (const l of listeners) {
    const protocols = protocolsByPort.get(l.spec.port);
    const conflicted = l.rejected === undefined && protocols !== undefined && protocols.size > 1;
    if (conflicted) err(`spec.listeners[${l.index}].protocol`, `port ${l.spec.port} is shared by listeners with protocols ${[...protocols].sort().join(', ')}; none of them is served`);
    const hasCerts = l.spec.protocol !== 'HTTPS' || l.certs.length > 0;
    l.usable = addressOk && l.rejected === undefined && !conflicted && hasCerts;
    const why = !addressOk ? 'the Gateway is not accepted' : l.rejected ? 'the listener is not accepted' : conflicted ? 'the listener conflicts with another one' : !hasCerts ? 'no valid certificate' : '';
    l.conditions = [
      l.rejected ? condition('Accepted', false, l.rejected.reason, l.rejected.message, gen) : condition('Accepted', true, 'Accepted', 'Listener is accepted', gen),
      l.usable ? condition('Programmed', true, 'Programmed', 'Listener is programmed', gen) : condition('Programmed', false, 'Invalid', `Listener is not programmed: ${why}`, gen),
      foldProblems('ResolvedRefs', 'ResolvedRefs', 'All references are resolved', l.refProblems, gen),
      conflicted
        ? condition('Conflicted', true, 'ProtocolConflict', `port ${l.spec.port} is shared by listeners with different protocols`, gen)
        : condition('Conflicted', false, 'NoConflicts', 'No conflicts', gen),
    ];
  }

  const usable = listeners.filter((l) => l.usable).length;
  const invalid = listeners.length - usable;
  const accepted = addressOk && usable > 0;
  const conditions = [
    !addressOk
      ? condition('Accepted', false, 'UnsupportedAddress', 'only IPAddress addresses are supported', gen)
      : invalid === 0
        ? condition('Accepted', true, 'Accepted', 'Gateway is accepted', gen)
        : condition('Accepted', usable > 0, 'ListenersNotValid', `${invalid} of ${listeners.length} listeners are not valid`, gen),
    accepted
      ? condition('Programmed', true, 'Programmed', 'Gateway is programmed', gen)
      : condition('Programmed', false, 'Invalid', addressOk ? 'Gateway has no programmed listeners' : 'Gateway is not accepted', gen),
  ];
  return { gateway: gw, accepted, addresses: addresses.length > 0 ? addresses : ['0.0.0.0'], listeners, conditions };
}

export function listenerStatuses(state: GatewayState): ListenerStatus[] {
  return state.listeners.map((l) => ({ name: l.spec.name, supportedKinds: l.supportedKinds, attachedRoutes: l.attached.size, conditions: l.conditions }));
}

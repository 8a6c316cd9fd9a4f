// Gateways of nodemesh's GatewayClasses → per-listener state: which listeners
// can be served (and so routes may attach to), their certificates, and the
// conditions the spec defines. Routes are attached later (attach.ts); the
// listener conditions are final once attachedRoutes is counted.
//
// Listeners on one port must be distinct and compatible (apis/v1
// gateway_types.go, GatewaySpec.Listeners): HTTP, HTTPS and TLS listeners are
// told apart by hostname, TCP and UDP ones by port; "all the Listeners that
// share a port with the TCP Listener are not distinct and so MUST NOT be
// accepted". Compatibility of distinct combinations is the implementation's
// choice ("an implementation that ... cannot mix HTTPS and generic TLS
// listens on the same port would not consider those cases compatible"):
// nodemesh serves HTTPS and TLS (Passthrough and Terminate alike) on one port
// when their hostnames differ, since every one of them is a filter chain
// chosen by SNI; HTTP shares a port with neither (plaintext and TLS are one
// socket). UDP is another transport: a UDP listener may share its port number
// with any TCP-based one (GEP-2644, "TCP and UDP listeners on the same port").
import type { ConfigError } from '../../../../crds/src/errors.js';
import type { ListenerSpec } from '../../../../crds/src/gateway-api/gateway.js';
import type { GatewayObject } from '../../../../crds/src/resources.js';
import type { TlsCertIR } from '../../model/gateway.js';
import { objectError } from '../kubernetes/source.js';
import { NAMESPACE_NAME_LABEL, ROUTE_KINDS_BY_PROTOCOL, routeKinds, selectorLabelKeys } from './allowed-routes.js';
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
    return { reason: 'UnsupportedProtocol', message: `protocol ${l.protocol} is not supported (nodemesh serves HTTP, HTTPS, TLS, TCP and UDP listeners)`, path: 'protocol' };
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
    if (rejected === undefined && terminates(spec)) {
      const r = resolveCertificates(ctx, spec.tls?.certificateRefs ?? [], gw.metadata.namespace, `${at}.tls.certificateRefs`);
      certs = r.certs;
      refProblems.push(...r.problems);
      if (r.certs.length === 0 && r.problems.length === 0) refProblems.push({ reason: 'InvalidCertificateRef', message: `no certificateRefs; ${spec.protocol} listeners that terminate TLS need a certificate`, path: `${at}.tls` });
    }
    // The spec: "The certificateRefs field is ignored in this mode."
    if (rejected === undefined && spec.protocol === 'TLS' && spec.tls?.mode === 'Passthrough' && (spec.tls.certificateRefs.length ?? 0) > 0) {
      err(`${at}.tls.certificateRefs`, 'ignored: tls.mode Passthrough does not terminate TLS, so the listener uses no certificate', 'warning');
    }
    const selector = spec.allowedRoutes.namespaces.selector;
    if (spec.allowedRoutes.namespaces.from === 'Selector') {
      if (selector === undefined) err(`${at}.allowedRoutes.namespaces.selector`, 'Required value when from is Selector; the listener admits no routes');
      else {
        const keys = ctx.namespacesKnown ? [] : selectorLabelKeys(selector);
        if (keys.length > 0) {
          err(`${at}.allowedRoutes.namespaces.selector`, `no Namespace objects are given, so only the ${NAMESPACE_NAME_LABEL} label of namespaces is known; terms on ${keys.join(', ')} match no namespace (add v1 Namespace objects with their labels)`, 'warning');
        }
      }
    }
    if (rejected) err(`${at}.${rejected.path}`, rejected.message);
    for (const p of refProblems) err(p.path, p.message);
    const state: Evaluated = { index, spec, supportedKinds: kinds.supported, usable: false, certs, attached: new Set<string>(), conditions: [], refProblems };
    if (rejected !== undefined) state.rejected = rejected;
    return state;
  });

  const conflicts = findConflicts(listeners.filter((l) => l.rejected === undefined));

  for (const l of listeners) {
    const conflict = conflicts.get(l);
    if (conflict) err(`spec.listeners[${l.index}].${conflict.path}`, `${conflict.message}; none of them is served`);
    const hasCerts = !terminates(l.spec) || l.certs.length > 0;
    l.usable = addressOk && l.rejected === undefined && conflict === undefined && hasCerts;
    const why = !addressOk ? 'the Gateway is not accepted' : l.rejected ? 'the listener is not accepted' : conflict ? 'the listener conflicts with another one' : !hasCerts ? 'no valid certificate' : '';
    l.conditions = [
      l.rejected ? condition('Accepted', false, l.rejected.reason, l.rejected.message, gen) : condition('Accepted', true, 'Accepted', 'Listener is accepted', gen),
      l.usable ? condition('Programmed', true, 'Programmed', 'Listener is programmed', gen) : condition('Programmed', false, 'Invalid', `Listener is not programmed: ${why}`, gen),
      foldProblems('ResolvedRefs', 'ResolvedRefs', 'All references are resolved', l.refProblems, gen),
      conflict ? condition('Conflicted', true, conflict.reason, conflict.message, gen) : condition('Conflicted', false, 'NoConflicts', 'No conflicts', gen),
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

/** Does the listener terminate TLS (HTTPS, or TLS with tls.mode Terminate)? */
export function terminates(l: ListenerSpec): boolean {
  return l.protocol === 'HTTPS' || (l.protocol === 'TLS' && l.tls?.mode !== 'Passthrough');
}

/** UDP listeners have sockets of their own; every other protocol runs over TCP. */
export function isUdp(l: ListenerSpec): boolean {
  return l.protocol === 'UDP';
}

/**
 * The spec's distinct-and-compatible rules (see the top of this file) over
 * the accepted listeners: the conflicted ones with their reason. Listeners on
 * one TCP port: with a TCP listener, all of them conflict (ProtocolConflict);
 * HTTP beside HTTPS or TLS, all of them conflict (ProtocolConflict); HTTPS
 * and TLS listeners conflict when they serve the same hostname (none counts
 * as one hostname: any) (HostnameConflict). The schema's CEL rule already
 * rejects equal port, protocol and hostname, so only different protocols
 * can meet here.
 */
function findConflicts<L extends ListenerState>(listeners: readonly L[]): Map<L, Problem> {
  const out = new Map<L, Problem>();
  const byPort = new Map<string, L[]>();
  for (const l of listeners) {
    const key = `${isUdp(l.spec) ? 'udp' : 'tcp'}/${l.spec.port}`;
    byPort.set(key, [...(byPort.get(key) ?? []), l]);
  }
  for (const group of byPort.values()) {
    if (group.length < 2) continue;
    const protocols = [...new Set(group.map((l) => l.spec.protocol))].sort();
    if (protocols.length > 1 && (protocols.includes('TCP') || protocols.includes('HTTP'))) {
      const message = `port ${group[0]!.spec.port} is shared by listeners with protocols ${protocols.join(', ')}`;
      for (const l of group) out.set(l, { reason: 'ProtocolConflict', message, path: 'protocol' });
      continue;
    }
    const byHost = new Map<string, L[]>();
    for (const l of group) byHost.set(l.spec.hostname ?? '', [...(byHost.get(l.spec.hostname ?? '') ?? []), l]);
    for (const [host, same] of byHost) {
      if (same.length < 2) continue;
      const names = same.map((l) => `${l.spec.name} (${l.spec.protocol})`).join(', ');
      const message = `listeners ${names} on port ${same[0]!.spec.port} serve the same hostname ${host === '' ? '(any)' : host}`;
      for (const l of same) out.set(l, { reason: 'HostnameConflict', message, path: 'hostname' });
    }
  }
  return out;
}

export function listenerStatuses(state: GatewayState): ListenerStatus[] {
  return state.listeners.map((l) => ({ name: l.spec.name, supportedKinds: l.supportedKinds, attachedRoutes: l.attached.size, conditions: l.conditions }));
}

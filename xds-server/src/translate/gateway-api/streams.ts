// TLSRoute, TCPRoute and UDPRoute: compiling a route's backendRefs (once,
// whatever its parents), and the streams a port serves from the routes
// attached to its listeners.
//
// What the spec says, and where it leaves a choice:
// - Invalid backendRefs (BackendNotFound, RefNotPermitted, InvalidKind):
//   "the underlying implementation MUST actively reject connection attempts
//   to this backend. Connection rejections must respect weight" (TCPRouteRule
//   / TLSRouteRule BackendRefs; UDPRoute: "packet drops must respect weight").
//   The invalid share goes to a cluster that never exists, which closes the
//   connection (xds/gateway-streams.ts).
// - Several TCPRoutes or UDPRoutes on one listener (GEP-2644, conformance
//   TCPRouteMultipleRoutesAttachment / UDPRouteMultipleRoutesAttachment):
//   all are Accepted and counted in attachedRoutes; only the oldest
//   (creationTimestamp, then namespace/name) receives traffic. The spec has no
//   condition reason for the others yet; nodemesh says so in the Accepted
//   message and in a warning.
// - Several TLSRoutes claiming one SNI name on a listener: the same
//   precedence, per name. An SNI name belongs to the most specific listener
//   of the port whose hostname covers it (listener isolation), so a route
//   never takes another listener's traffic.
// - Several rules (v1alpha2 allows 16; v1 exactly one): rules have no
//   matches, so each applies to every connection; nodemesh merges their
//   backendRefs into one weighted set.
// - UDPRoute: Envoy's udp_proxy routes a session to one cluster and has no
//   weighted clusters, so a UDPRoute with more than one backendRef of
//   non-zero weight is not accepted (UnsupportedValue) rather than served
//   with different weights.
import type { StreamBackendRefSpec } from '../../../../crds/src/gateway-api/stream-routes.js';
import type { GatewayObject, TCPRouteObject, TLSRouteObject, UDPRouteObject } from '../../../../crds/src/resources.js';
import type { BackendIR, StreamRouteIR } from '../../model/gateway.js';
import { sourceRef } from '../kubernetes/source.js';
import type { Attachment } from './attach.js';
import { resolveBackend } from './backends.js';
import type { Context } from './context.js';
import { terminates, type ListenerState } from './gateways.js';
import { ANY_HOST, compareHostSpecificity, covers } from './hostnames.js';
import type { Problem } from './status.js';

export type StreamRouteObject = TLSRouteObject | TCPRouteObject | UDPRouteObject;

export interface CompiledStreamRoute {
  route: StreamRouteObject;
  /** The resolved backendRefs of every rule, weight 0 included. */
  backends: BackendIR[];
  /** Share (0..1) of the total weight that belongs to unresolvable backendRefs. */
  invalidShare: number;
  refProblems: Problem[];
  unsupported: Problem[];
}

export function compileStreamRoute(ctx: Context, route: StreamRouteObject): CompiledStreamRoute {
  const out: CompiledStreamRoute = { route, backends: [], invalidShare: 0, refProblems: [], unsupported: [] };
  const ns = route.metadata.namespace;
  let invalidWeight = 0;
  const weighted: string[] = [];
  route.spec.rules.forEach((rule, i) =>
    rule.backendRefs.forEach((b: StreamBackendRefSpec, j) => {
      const path = `spec.rules[${i}].backendRefs[${j}]`;
      if (b.weight > 0) weighted.push(path);
      const r = resolveBackend(ctx, b, ns, path, route.kind, route.kind === 'UDPRoute' ? 'UDP' : 'TCP');
      if (r.ok) out.backends.push({ cluster: r.cluster, weight: b.weight });
      else {
        out.refProblems.push(r.problem);
        invalidWeight += b.weight;
      }
    }),
  );
  const total = invalidWeight + out.backends.reduce((s, b) => s + b.weight, 0);
  if (invalidWeight > 0) out.invalidShare = invalidWeight / total;
  if (route.kind === 'UDPRoute' && weighted.length > 1) {
    out.unsupported.push({
      reason: 'UnsupportedValue',
      message: `${weighted.length} backendRefs (${weighted.join(', ')}) have a weight above 0; nodemesh's UDP proxy (Envoy udp_proxy) sends each session to one backend, so a UDPRoute may give weight to one backendRef only`,
      path: 'spec.rules',
    });
  }
  return out;
}

/** A stream route that lost (part of) a listener to an older one: it is served less than attached. */
export interface Superseded {
  attachment: Attachment<CompiledStreamRoute>;
  /** SNI names lost (TLS), or [] for the whole TCP/UDP listener. */
  hostnames: string[];
  winner: StreamRouteObject;
}

function created(route: StreamRouteObject): number {
  const t = route.metadata.creationTimestamp;
  return t === undefined ? Number.POSITIVE_INFINITY : Date.parse(t);
}

/** The spec's route precedence: oldest first, then namespace/name. */
function compareAge(a: Attachment<CompiledStreamRoute>, b: Attachment<CompiledStreamRoute>): number {
  const ka = `${a.route.route.metadata.namespace}/${a.route.route.metadata.name}`;
  const kb = `${b.route.route.metadata.namespace}/${b.route.route.metadata.name}`;
  return created(a.route.route) - created(b.route.route) || (ka < kb ? -1 : ka > kb ? 1 : 0);
}

function routeKey(route: StreamRouteObject): string {
  return `${route.metadata.namespace}/${route.metadata.name}`;
}

function streamIR(a: Attachment<CompiledStreamRoute>, name: string, hostnames: string[]): StreamRouteIR {
  const ir: StreamRouteIR = { name, source: sourceRef(a.route.route), hostnames, backends: a.route.backends.map((b) => ({ ...b })) };
  if (a.listener.spec.protocol === 'TLS' && terminates(a.listener.spec)) ir.terminate = a.listener.certs.map((c) => ({ ...c }));
  if (a.route.invalidShare > 0) ir.invalidBackendShare = a.route.invalidShare;
  return ir;
}

function listenerHost(l: ListenerState): string {
  return l.spec.hostname ?? ANY_HOST;
}

/**
 * TCP or UDP listener (one per port and transport): the oldest attached
 * route, or nothing when no route attached.
 */
export function l4Streams(listener: ListenerState, attachments: readonly Attachment<CompiledStreamRoute>[], superseded: Superseded[]): StreamRouteIR[] {
  const mine = attachments.filter((a) => a.listener === listener).sort(compareAge);
  const winner = mine[0];
  if (winner === undefined) return [];
  const seen = new Set([routeKey(winner.route.route)]);
  for (const a of mine.slice(1)) {
    if (seen.has(routeKey(a.route.route))) continue; // two parentRefs of one route to one listener: served once
    seen.add(routeKey(a.route.route));
    superseded.push({ attachment: a, hostnames: [], winner: winner.route.route });
  }
  return [streamIR(winner, routeKey(winner.route.route), [])];
}

/**
 * The TLS listeners of one port (beside any HTTPS ones: `sniListeners` are
 * all the listeners whose chains are chosen by SNI there) → one stream per
 * (route, listener) with the SNI names it wins, most specific first; plus a
 * rejecting stream for a listener hostname no route claims that another
 * chain would otherwise take (listener isolation).
 */
export function tlsStreams(
  gateway: GatewayObject,
  sniListeners: readonly ListenerState[],
  attachments: readonly Attachment<CompiledStreamRoute>[],
  httpsHostnames: readonly string[],
  superseded: Superseded[],
): StreamRouteIR[] {
  const owner = (host: string) => sniListeners.filter((l) => covers(listenerHost(l), host)).sort((a, b) => compareHostSpecificity(listenerHost(a), listenerHost(b)))[0];
  const tls = new Set(sniListeners.filter((l) => l.spec.protocol === 'TLS'));
  const mine = attachments.filter((a) => tls.has(a.listener)).sort(compareAge);
  // Each SNI name to the oldest route claiming it on the listener that owns the name.
  const winners = new Map<string, Attachment<CompiledStreamRoute>>();
  const lost = new Map<Attachment<CompiledStreamRoute>, { hostnames: string[]; winner: StreamRouteObject }>();
  for (const a of mine) {
    for (const host of a.hostnames) {
      if (owner(host) !== a.listener) continue;
      const w = winners.get(host);
      if (w === undefined) winners.set(host, a);
      else if (routeKey(w.route.route) !== routeKey(a.route.route)) {
        const l = lost.get(a) ?? { hostnames: [], winner: w.route.route };
        l.hostnames.push(host);
        lost.set(a, l);
      }
    }
  }
  for (const [attachment, l] of lost) superseded.push({ attachment, hostnames: l.hostnames, winner: l.winner });

  const grouped = new Map<string, { a: Attachment<CompiledStreamRoute>; hosts: string[] }>();
  for (const [host, a] of winners) {
    const name = `${routeKey(a.route.route)}/listener/${a.listener.spec.name}`;
    const g = grouped.get(name) ?? { a, hosts: [] };
    g.hosts.push(host);
    grouped.set(name, g);
  }
  const out: StreamRouteIR[] = [];
  for (const [name, g] of grouped) {
    const hosts = [...new Set(g.hosts)].sort(compareHostSpecificity);
    out.push(streamIR(g.a, name, hosts.includes(ANY_HOST) ? [] : hosts));
  }
  // A TLS listener's hostname that no route claims must not fall through to
  // a wider chain (another listener's): a stream without backends refuses it.
  const claimed = [...winners.keys(), ...httpsHostnames];
  for (const l of tls) {
    const own = listenerHost(l);
    if (own === ANY_HOST || claimed.includes(own)) continue;
    if (!claimed.some((h) => covers(h, own))) continue;
    const ir: StreamRouteIR = { name: `listener/${l.spec.name}`, source: sourceRef(gateway), hostnames: [own], backends: [] };
    out.push(ir);
  }
  const first = (s: StreamRouteIR) => s.hostnames[0] ?? ANY_HOST;
  return out.sort((a, b) => compareHostSpecificity(first(a), first(b)) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

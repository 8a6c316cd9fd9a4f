// HTTPRoute and GRPCRoute on one Gateway listener (grpcroute_types.go,
// GRPCRouteSpec.hostnames): "If a Route (A) of type HTTPRoute or GRPCRoute
// is attached to a Listener and that listener already has another Route (B)
// of the other type attached and the intersection of the hostnames of A and
// B is non-empty, then the implementation MUST accept exactly one of these
// two routes": the oldest (creationTimestamp), then the first by
// "{namespace}/{name}". The rejected one gets Accepted False.
//
// How nodemesh reads it:
// - Routes are decided oldest first; a route is rejected on a parentRef when
//   one of the listeners it attaches to there already serves a route of the
//   other kind accepted before it on an intersecting hostname. A rejected
//   route then blocks nothing.
// - The unit is the parentRef (its RouteParentStatus): a route conflicting on
//   one listener a parentRef selects is not served through that parentRef at
//   all, so Accepted False never describes a route that still serves traffic
//   there.
// - The reason is `Conflicted`: the spec names none for this case, and
//   GEP-1294 gives that one to the same rule between route types on a mesh
//   Service port (mesh.ts).
// - Hostnames are those the route serves on the listener (after the
//   listener intersection); '*' (no hostnames) intersects every hostname.
// - Objects without a creationTimestamp (files) count as newest; equal
//   namespace/name of the two kinds: GRPCRoute first (GEP-1294's order).
import type { ConfigError } from '../../../../crds/src/errors.js';
import { objectError } from '../kubernetes/source.js';
import type { Attachment } from './attach.js';
import type { ListenerState } from './gateways.js';
import { covers } from './hostnames.js';
import type { CompiledRoute } from './rules.js';
import { condition, type RouteParentStatus } from './status.js';

export const CONFLICTED = 'Conflicted';

const HTTP_KINDS = new Set(['HTTPRoute', 'GRPCRoute']);

function hostnamesIntersect(a: readonly string[], b: readonly string[]): string | undefined {
  for (const x of a) for (const y of b) if (covers(x, y) || covers(y, x)) return covers(x, y) ? y : x;
  return undefined;
}

function created(c: CompiledRoute): number {
  const t = c.route.metadata.creationTimestamp;
  return t === undefined ? Number.POSITIVE_INFINITY : Date.parse(t);
}

function routeKey(c: CompiledRoute): string {
  return `${c.route.metadata.namespace}/${c.route.metadata.name}`;
}

/** Oldest first, then "{namespace}/{name}", then GRPCRoute before HTTPRoute. */
function compareRoutes(a: CompiledRoute, b: CompiledRoute): number {
  const ta = created(a);
  const tb = created(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = routeKey(a);
  const kb = routeKey(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.route.kind === b.route.kind ? 0 : a.route.kind === 'GRPCRoute' ? -1 : 1;
}

function parentIndex(c: CompiledRoute, p: RouteParentStatus): number {
  const ns = c.route.metadata.namespace;
  return c.route.spec.parentRefs.findIndex(
    (r) =>
      r.group === p.parentRef.group &&
      r.kind === p.parentRef.kind &&
      r.name === p.parentRef.name &&
      (r.namespace ?? ns) === p.parentRef.namespace &&
      r.sectionName === p.parentRef.sectionName &&
      r.port === p.parentRef.port,
  );
}

/**
 * The attachments that are served: those of every other kind unchanged, and
 * of HTTPRoutes and GRPCRoutes those the rule above accepts. Rejected
 * parentRefs get Accepted False (their status objects are updated in place,
 * as attach.ts handed them out) and an error.
 */
/**
 * Accepted attachments of one route kind on one listener, indexed by the
 * hostnames they serve: a route is checked against the other kind's index,
 * not against every accepted route (5,000 HTTPRoutes on one listener made the
 * linear scan quadratic: 3 s per translation).
 */
class HostIndex {
  private readonly exact = new Map<string, Attachment>();
  private readonly wildcards: { host: string; a: Attachment }[] = [];
  private readonly all: { host: string; a: Attachment }[] = [];

  add(a: Attachment): void {
    for (const host of a.hostnames) {
      this.all.push({ host, a });
      if (host.startsWith('*')) this.wildcards.push({ host, a });
      else if (!this.exact.has(host)) this.exact.set(host, a);
    }
  }

  /** An accepted attachment whose hostnames intersect `hosts`, and the hostname they share. */
  conflict(hosts: readonly string[]): { other: Attachment; host: string } | undefined {
    for (const h of hosts) {
      if (!h.startsWith('*')) {
        const other = this.exact.get(h);
        if (other) return { other, host: h };
        // Only wildcards ('*' included) of the other side can cover an exact name.
        for (const w of this.wildcards) if (covers(w.host, h)) return { other: w.a, host: h };
        continue;
      }
      // A wildcard (rare): compare with every accepted hostname.
      for (const o of this.all) {
        const host = hostnamesIntersect([h], [o.host]);
        if (host !== undefined) return { other: o.a, host };
      }
    }
    return undefined;
  }
}

export function resolveCrossServing(attachments: readonly Attachment[], errors: ConfigError[]): Attachment[] {
  const claims = new Map<RouteParentStatus, Attachment[]>();
  for (const a of attachments) {
    if (!HTTP_KINDS.has(a.route.route.kind)) continue;
    const list = claims.get(a.parent);
    if (list) list.push(a);
    else claims.set(a.parent, [a]);
  }
  const ordered = [...claims.entries()].sort(([, a], [, b]) => compareRoutes(a[0]!.route, b[0]!.route));
  // Per listener, per route kind.
  const accepted = new Map<ListenerState, Map<string, HostIndex>>();
  const indexOf = (l: ListenerState, kind: string) => {
    let byKind = accepted.get(l);
    if (!byKind) accepted.set(l, (byKind = new Map()));
    let idx = byKind.get(kind);
    if (!idx) byKind.set(kind, (idx = new HostIndex()));
    return idx;
  };
  const rejected = new Set<RouteParentStatus>();
  for (const [parent, mine] of ordered) {
    const route = mine[0]!.route;
    const otherKind = route.route.kind === 'HTTPRoute' ? 'GRPCRoute' : 'HTTPRoute';
    let conflict: { other: Attachment; host: string } | undefined;
    for (const a of mine) {
      conflict = accepted.get(a.listener)?.get(otherKind)?.conflict(a.hostnames);
      if (conflict) break;
    }
    if (conflict === undefined) {
      for (const a of mine) indexOf(a.listener, route.route.kind).add(a);
      continue;
    }
    rejected.add(parent);
    const o = conflict.other;
    const gw = o.gateway.gateway.metadata;
    const message =
      `${o.route.route.kind} ${routeKey(o.route)} already serves hostname ${JSON.stringify(conflict.host)} on listener ${JSON.stringify(o.listener.spec.name)} of Gateway ${gw.namespace}/${gw.name}; ` +
      'a listener serves HTTPRoutes and GRPCRoutes only on distinct hostnames, and the older route is accepted';
    parent.conditions = parent.conditions.map((c) => (c.type === 'Accepted' ? condition('Accepted', false, CONFLICTED, message, route.route.metadata.generation) : c));
    const i = parentIndex(route, parent);
    errors.push(objectError(route.route, i >= 0 ? `spec.parentRefs[${i}]` : 'spec.parentRefs', message, 'error'));
  }
  return attachments.filter((a) => !rejected.has(a.parent));
}

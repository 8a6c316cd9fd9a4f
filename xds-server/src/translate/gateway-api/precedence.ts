// HTTPRoute match precedence across every route of a virtual host (HTTPRouteRule
// docs): the more specific hostname's routes first, then Exact path > longest
// PathPrefix > method > most headers > most query params, then the oldest
// route, then namespace/name alphabetically, then rule and match order.
// RegularExpression paths have no place in the spec's list; they go after
// Exact and before PathPrefix (a prefix "/" would otherwise shadow them),
// longer patterns first.
//
// GRPCRoute entries rank by their own list (GRPCRouteRule.matches docs):
// characters of the matching service, then of the method, then header
// matches — then the same route and rule tie-breakers. Whatever the match
// types: a RegularExpression counts its pattern's characters. The spec forbids
// merging GRPCRoutes with HTTPRoutes; the translator keeps them apart (one
// kind per listener hostname, one per GAMMA Service port), and should both
// ever meet, GRPCRoute entries go first, GEP-1294's route type order.
import type { HttpMatchIR } from '../../model/gateway.js';
import { hostnameRank } from './hostnames.js';
import type { GrpcRank, RouteEntry } from './rules.js';

export interface RankedEntry {
  entry: RouteEntry;
  /** The route hostname that made this route part of the virtual host. */
  hostname: string;
  /** metadata.creationTimestamp in ms; Infinity when unknown (file-provided objects), so known ones count as older. */
  created: number;
  namespace: string;
  name: string;
}

const PATH_RANK = { Exact: 0, RegularExpression: 1, PathPrefix: 2 } as const;

export function compareMatches(a: HttpMatchIR, b: HttpMatchIR): number {
  const ap = a.path ?? { type: 'PathPrefix' as const, value: '/' };
  const bp = b.path ?? { type: 'PathPrefix' as const, value: '/' };
  return (
    PATH_RANK[ap.type] - PATH_RANK[bp.type] ||
    bp.value.length - ap.value.length ||
    Number(b.method !== undefined) - Number(a.method !== undefined) ||
    b.headers.length - a.headers.length ||
    b.queryParams.length - a.queryParams.length
  );
}

export function compareGrpcRanks(a: GrpcRank, b: GrpcRank): number {
  return b.service - a.service || b.method - a.method || b.headers - a.headers;
}

function compareKinds(a: RouteEntry, b: RouteEntry): number {
  if (a.grpc && b.grpc) return compareGrpcRanks(a.grpc, b.grpc);
  if (a.grpc || b.grpc) return a.grpc ? -1 : 1;
  return compareMatches(a.ir.match, b.ir.match);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareEntries(a: RankedEntry, b: RankedEntry): number {
  const [an, al] = hostnameRank(a.hostname);
  const [bn, bl] = hostnameRank(b.hostname);
  return (
    bn - an ||
    bl - al ||
    compareKinds(a.entry, b.entry) ||
    (a.created === b.created ? 0 : a.created < b.created ? -1 : 1) ||
    cmp(a.namespace, b.namespace) ||
    cmp(a.name, b.name) ||
    a.entry.ruleIndex - b.entry.ruleIndex ||
    a.entry.matchIndex - b.entry.matchIndex
  );
}

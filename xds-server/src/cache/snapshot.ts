// An immutable, versioned set of resources for one group of nodes, and the
// consistency check that gates publishing it (as go-control-plane's
// Snapshot.Consistent): a proxy must never be told about a cluster whose
// endpoints, or a listener whose routes, the same snapshot does not carry.
import { ALL_TYPE_URLS, TypeUrl, type ResourceTypeUrl } from '../../../api/src/type-urls.js';
import type { EncodedResource, ResourceMap } from './resource.js';

const EMPTY: ResourceMap = new Map();

export class Snapshot {
  private readonly byType: ReadonlyMap<ResourceTypeUrl, ResourceMap>;

  /**
   * `previous`: when a type's resources are unchanged from it, its map object is
   * reused, so streams can tell "nothing changed" by identity without a diff.
   */
  constructor(
    readonly version: string,
    resources: Partial<Record<ResourceTypeUrl, Iterable<EncodedResource>>>,
    previous?: Snapshot,
  ) {
    const byType = new Map<ResourceTypeUrl, ResourceMap>();
    for (const typeUrl of ALL_TYPE_URLS) {
      const next = new Map<string, EncodedResource>();
      for (const r of resources[typeUrl] ?? []) {
        if (r.typeUrl !== typeUrl) throw new Error(`resource ${r.name} has type ${r.typeUrl}, listed under ${typeUrl}`);
        if (next.has(r.name)) throw new Error(`duplicate ${typeUrl} resource ${r.name}`);
        next.set(r.name, r);
      }
      const old = previous?.resources(typeUrl);
      byType.set(typeUrl, old && sameResources(old, next) ? old : next.size ? next : EMPTY);
    }
    this.byType = byType;
  }

  resources(typeUrl: ResourceTypeUrl): ResourceMap {
    return this.byType.get(typeUrl) ?? EMPTY;
  }

  /**
   * Every endpoint, route and secret reference resolves, and every EDS and RDS
   * resource is referenced. Returns one message per problem; empty means consistent.
   */
  consistent(): string[] {
    const problems: string[] = [];
    const check = (from: ResourceTypeUrl, key: 'endpoints' | 'routes' | 'secrets', to: ResourceTypeUrl, strictUnused: boolean) => {
      const target = this.resources(to);
      const referenced = new Set<string>();
      for (const r of this.resources(from).values()) {
        for (const name of r.refs[key] ?? []) {
          referenced.add(name);
          if (!target.has(name)) problems.push(`${shortType(from)} ${r.name} references missing ${shortType(to)} ${name}`);
        }
      }
      if (strictUnused)
        for (const name of target.keys())
          if (!referenced.has(name)) problems.push(`${shortType(to)} ${name} is not referenced by any ${shortType(from)}`);
    };
    check(TypeUrl.Cluster, 'endpoints', TypeUrl.ClusterLoadAssignment, true);
    check(TypeUrl.Listener, 'routes', TypeUrl.RouteConfiguration, true);
    // Secrets can be referenced from listeners and clusters alike.
    check(TypeUrl.Listener, 'secrets', TypeUrl.Secret, false);
    check(TypeUrl.Cluster, 'secrets', TypeUrl.Secret, false);
    return problems;
  }

  /** Resource counts per type, for status and metrics. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of ALL_TYPE_URLS) out[shortType(t)] = this.resources(t).size;
    return out;
  }
}

function sameResources(a: ResourceMap, b: ResourceMap): boolean {
  if (a.size !== b.size) return false;
  for (const [name, r] of b) if (a.get(name)?.version !== r.version) return false;
  return true;
}

function shortType(t: ResourceTypeUrl): string {
  return t.slice(t.lastIndexOf('.') + 1);
}

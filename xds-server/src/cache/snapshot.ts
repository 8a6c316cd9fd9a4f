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
    resources: Partial<Record<ResourceTypeUrl, readonly EncodedResource[]>>,
    previous?: Snapshot,
  ) {
    const byType = new Map<ResourceTypeUrl, ResourceMap>();
    for (const typeUrl of ALL_TYPE_URLS) {
      const list = resources[typeUrl] ?? [];
      const old = previous?.resources(typeUrl);
      byType.set(typeUrl, (old && patched(old, list)) ?? build(typeUrl, list, old));
    }
    this.byType = byType;
    // Checked now, not lazily: keeping `previous` for later would chain every
    // snapshot ever published in memory.
    this.checked = this.incrementallyConsistent(previous) ?? this.checkAll();
  }

  private readonly checked: string[];

  resources(typeUrl: ResourceTypeUrl): ResourceMap {
    return this.byType.get(typeUrl) ?? EMPTY;
  }

  /**
   * Every endpoint, route and secret reference resolves, and every EDS and RDS
   * resource is referenced. Returns one message per problem; empty means consistent.
   */
  consistent(): string[] {
    return this.checked;
  }

  /**
   * When the previous snapshot was consistent and no type gained or lost a
   * name, only the references of changed resources need checking — the common
   * case of an endpoint or route edit in a large mesh.
   */
  private incrementallyConsistent(prev: Snapshot | undefined): string[] | undefined {
    if (!prev || prev.checked.length) return undefined;
    const changed: EncodedResource[] = [];
    for (const t of ALL_TYPE_URLS) {
      const before = prev.resources(t);
      const after = this.resources(t);
      if (before === after) continue;
      if (before.size !== after.size) return undefined;
      for (const [name, r] of after) {
        const old = before.get(name);
        if (!old) return undefined;
        if (old !== r) changed.push(r);
      }
    }
    const problems: string[] = [];
    for (const r of changed) {
      const refs: [readonly string[] | undefined, ResourceTypeUrl][] = [
        [r.refs.endpoints, TypeUrl.ClusterLoadAssignment],
        [r.refs.routes, TypeUrl.RouteConfiguration],
        [r.refs.secrets, TypeUrl.Secret],
      ];
      for (const [names, to] of refs)
        for (const n of names ?? []) if (!this.resources(to).has(n)) problems.push(`${shortType(r.typeUrl)} ${r.name} references missing ${shortType(to)} ${n}`);
    }
    // A changed resource may have stopped naming something: fall back to a full check.
    if (changed.some((r) => r.typeUrl === TypeUrl.Cluster || r.typeUrl === TypeUrl.Listener)) return this.checkAll();
    return problems;
  }

  private checkAll(): string[] {
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

/**
 * `old` itself when `list` holds the same resources in the same order (by
 * identity or version), or a copy of `old` with the few replaced entries set;
 * undefined when names differ. Copying a native Map is much cheaper than
 * rebuilding one entry by entry.
 */
function patched(old: ResourceMap, list: readonly EncodedResource[]): ResourceMap | undefined {
  if (old.size !== list.length) return undefined;
  let replaced: EncodedResource[] | undefined;
  let i = 0;
  for (const [name, r] of old) {
    const n = list[i++]!;
    if (n === r) continue;
    if (n.name !== name) return undefined;
    if (n.version !== r.version) (replaced ??= []).push(n);
  }
  if (!replaced) return old;
  const m = new Map(old);
  for (const r of replaced) m.set(r.name, r);
  return m;
}

function build(typeUrl: ResourceTypeUrl, list: readonly EncodedResource[], old: ResourceMap | undefined): ResourceMap {
  const next = new Map<string, EncodedResource>();
  for (const r of list) {
    if (r.typeUrl !== typeUrl) throw new Error(`resource ${r.name} has type ${r.typeUrl}, listed under ${typeUrl}`);
    if (next.has(r.name)) throw new Error(`duplicate ${typeUrl} resource ${r.name}`);
    next.set(r.name, r);
  }
  if (old && old.size === next.size && [...next].every(([n, r]) => old.get(n)?.version === r.version)) return old;
  return next.size ? next : EMPTY;
}

function shortType(t: ResourceTypeUrl): string {
  return t.slice(t.lastIndexOf('.') + 1);
}

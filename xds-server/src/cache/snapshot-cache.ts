// Snapshots per group of nodes (go-control-plane's SnapshotCache): a node hash
// maps each connecting node to a group key, every node of a group is served the
// same immutable Snapshot, and streams watch their group for new versions.
// Sharing one snapshot (and one computed diff between two snapshots) across all
// streams of a group is what keeps fan-out to thousands of proxies cheap.
import type { EncodedResource, ResourceMap } from './resource.js';
import type { Snapshot } from './snapshot.js';

/** What the server knows of a connected node, from its first request. */
export interface NodeInfo {
  id: string;
  cluster: string;
  userAgentName: string;
  /** node.metadata as plain JSON. */
  metadata: Record<string, unknown>;
}

/** Maps a node to the key of the snapshot it is served. */
export type NodeHash = (node: NodeInfo) => string;

export type SnapshotListener = (snapshot: Snapshot) => void;

export class SnapshotCache {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly listeners = new Map<string, Set<SnapshotListener>>();

  constructor(readonly nodeHash: NodeHash) {}

  /**
   * Publishes `snapshot` to every stream of `group`. Callers must have checked
   * `snapshot.consistent()`: the cache serves whatever it is given.
   */
  setSnapshot(group: string, snapshot: Snapshot): void {
    this.snapshots.set(group, snapshot);
    for (const l of this.listeners.get(group) ?? []) l(snapshot);
  }

  getSnapshot(group: string): Snapshot | undefined {
    return this.snapshots.get(group);
  }

  groups(): string[] {
    return [...this.snapshots.keys()].sort();
  }

  /** Calls `listener` on every new snapshot of `group`; returns the unsubscribe function. */
  watch(group: string, listener: SnapshotListener): () => void {
    let set = this.listeners.get(group);
    if (!set) this.listeners.set(group, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }
}

export interface ResourceDiff {
  /** Resources that are new or whose version changed. */
  changed: EncodedResource[];
  /** Names present before and absent now. */
  removed: string[];
}

const diffs = new WeakMap<ResourceMap, WeakMap<ResourceMap, ResourceDiff>>();

/**
 * The difference between two resource maps, memoized by identity: when a
 * thousand streams move from the same old snapshot to the same new one, it is
 * computed once.
 */
export function diffResources(before: ResourceMap, after: ResourceMap): ResourceDiff {
  let byAfter = diffs.get(before);
  const hit = byAfter?.get(after);
  if (hit) return hit;
  const changed: EncodedResource[] = [];
  const removed: string[] = [];
  if (before !== after) {
    for (const [name, r] of after) if (before.get(name)?.version !== r.version) changed.push(r);
    for (const name of before.keys()) if (!after.has(name)) removed.push(name);
  }
  const diff = { changed, removed };
  if (!byAfter) diffs.set(before, (byAfter = new WeakMap()));
  byAfter.set(after, diff);
  return diff;
}

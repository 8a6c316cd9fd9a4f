// One Delta (incremental) ADS stream. The server sends only resources whose
// version the client does not have, and removals. What a client has is kept
// as (base, overlay, fresh): `base` is the snapshot's resource map as of the
// last push — shared by every stream of the group —, `overlay` holds the
// versions a client announced on reconnect, and `fresh` (a bitset) the names
// subscribed since the last push. So a thousand streams cost a thousand small
// overlays, not a thousand copies of the resource set, and the diff between
// two snapshots is computed once for all of them.
import { TypeUrl, type ResourceTypeUrl } from '../../../api/src/type-urls.js';
import type { EncodedResource, ResourceMap } from '../cache/resource.js';
import { diffResources } from '../cache/snapshot-cache.js';
import type { DeltaRequest, DeltaResponse } from './messages.js';
import { NameSet } from './name-set.js';
import { PUSH_ORDER } from './order.js';
import { AdsStream, type Outbox, type StreamDeps } from './stream.js';

const EMPTY: ResourceMap = new Map();
const MAX_RESPONSE_BYTES = 1 << 20;

interface TypeState {
  wildcard: boolean;
  names: NameSet;
  base: ResourceMap;
  /** name → version the client announced on reconnect, overriding `base`. */
  overlay: Map<string, string>;
  /** Names subscribed since the last push that the client must be sent even if unchanged. */
  fresh: NameSet;
  /** Nonces sent and not yet answered → the version each carried. */
  outstanding: Map<string, string>;
  /** Removals held back until the adds and updates of all types are out. */
  deferredRemovals: string[];
}

/** Types whose removals wait for the others: routes must stop naming a cluster before it goes. */
const REMOVE_LAST: ReadonlySet<ResourceTypeUrl> = new Set([TypeUrl.Cluster, TypeUrl.Listener]);

export class DeltaStream extends AdsStream<DeltaResponse> {
  private readonly types = new Map<ResourceTypeUrl, TypeState>();

  constructor(deps: StreamDeps, out: Outbox<DeltaResponse>) {
    super(deps, out, 'delta');
  }

  request(req: DeltaRequest): void {
    const typeUrl = this.begin(req);
    if (!typeUrl) return;
    let st = this.types.get(typeUrl);
    const first = !st;
    if (!st) {
      st = {
        wildcard: false,
        names: new NameSet(),
        base: EMPTY,
        overlay: new Map(),
        fresh: new NameSet(),
        outstanding: new Map(),
        deferredRemovals: [],
      };
      // On reconnect the client says what it already has; only differences are sent.
      for (const [name, version] of Object.entries(req.initial_resource_versions)) st.overlay.set(name, version);
      this.types.set(typeUrl, st);
    }

    // In Delta, ACK/NACK and subscription changes are independent: a request
    // with an old nonce is not an ACK of the latest response, but its
    // subscription changes still apply.
    const answered = req.response_nonce ? st.outstanding.get(req.response_nonce) : undefined;
    if (answered !== undefined) {
      // Responses are answered in order; older unanswered nonces will not be.
      for (const n of st.outstanding.keys()) {
        st.outstanding.delete(n);
        if (n === req.response_nonce) break;
      }
      this.answered(typeUrl, answered, req.response_nonce, req.error_detail);
    }

    const subscribe = req.resource_names_subscribe;
    if (first && subscribe.length === 0) st.wildcard = true;
    for (const name of subscribe) {
      if (name === '*') {
        st.wildcard = true;
        continue;
      }
      st.names.add(name);
      // An explicit (re)subscription is answered even if the client seems to
      // have the resource, unless it announced that very version on reconnect.
      if (!(first && st.overlay.has(name))) {
        st.overlay.delete(name);
        st.fresh.add(name);
      }
    }
    for (const name of req.resource_names_unsubscribe) {
      if (name === '*') {
        st.wildcard = false;
        continue;
      }
      st.names.delete(name);
      st.overlay.delete(name);
      st.fresh.delete(name);
    }
    this.flush();
  }

  protected flush(): void {
    const snap = this.snapshot;
    if (!snap) return;
    for (const typeUrl of PUSH_ORDER) {
      const st = this.types.get(typeUrl);
      if (!st || !this.out.ready()) continue;
      const diff = this.pending(st, snap.resources(typeUrl));
      if (!diff) continue;
      let removed = diff.removed;
      if (REMOVE_LAST.has(typeUrl) && removed.length > 0) {
        st.deferredRemovals.push(...removed);
        removed = [];
      }
      if (diff.changed.length || removed.length) this.send(typeUrl, st, snap.version, diff.changed, removed);
    }
    for (const typeUrl of PUSH_ORDER) {
      const st = this.types.get(typeUrl);
      if (!st || st.deferredRemovals.length === 0 || !this.out.ready()) continue;
      const removed = st.deferredRemovals;
      st.deferredRemovals = [];
      this.send(typeUrl, st, snap.version, [], removed);
    }
  }

  /**
   * Sends in chunks of at most MAX_RESPONSE_BYTES: Delta allows several
   * responses per type, and clients such as gRPC refuse messages over 4 MiB by
   * default, which a full initial push of a large mesh would exceed.
   */
  private send(typeUrl: ResourceTypeUrl, st: TypeState, version: string, resources: EncodedResource[], removed: string[]): void {
    let start = 0;
    do {
      let end = start;
      let bytes = 0;
      while (end < resources.length && (end === start || bytes + resources[end]!.body.length <= MAX_RESPONSE_BYTES)) {
        bytes += resources[end]!.body.length;
        end++;
      }
      const last = end >= resources.length;
      const nonce = String(++this.nonce);
      st.outstanding.set(nonce, version);
      const res: DeltaResponse = {
        system_version_info: version,
        type_url: typeUrl,
        nonce,
        resources: resources.slice(start, end),
        removed_resources: last ? removed : [],
      };
      this.deps.registry.sent(this.status, typeUrl, version, nonce, end - start, bytes);
      this.out.send(res);
      start = end;
    } while (start < resources.length);
  }

  /** Resources the client lacks and names it must drop; afterwards the client is in sync with `current`. */
  private pending(st: TypeState, current: ResourceMap): { changed: EncodedResource[]; removed: string[] } | undefined {
    if (st.base === current && st.overlay.size === 0 && st.fresh.size === 0) return undefined;
    const subscribed = (name: string) => st.wildcard || st.names.has(name);
    const changed = new Map<string, EncodedResource>();
    const removed = new Set<string>();
    if (st.base !== current) {
      const d = diffResources(st.base, current);
      for (const r of d.changed) if (subscribed(r.name) && !st.overlay.has(r.name)) changed.set(r.name, r);
      for (const name of d.removed) if (subscribed(name) && !st.overlay.has(name) && !st.fresh.has(name)) removed.add(name);
    }
    for (const [name, has] of st.overlay) {
      const r = current.get(name);
      if (r && r.version !== has && subscribed(name)) changed.set(name, r);
      else if (!r) removed.add(name);
    }
    // A newly subscribed name that does not exist is answered in
    // removed_resources: that is how Delta tells a client "no such resource"
    // instead of leaving it to wait out its initial fetch timeout.
    for (const name of st.fresh) {
      const r = current.get(name);
      if (r) changed.set(name, r);
      else removed.add(name);
    }
    st.fresh.clear();
    st.base = current;
    st.overlay.clear();
    return { changed: [...changed.values()], removed: [...removed] };
  }
}

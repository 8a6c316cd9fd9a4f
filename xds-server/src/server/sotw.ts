// One State-of-the-World ADS stream: subscriptions, nonces, ACK/NACK, and
// pushing new snapshot versions. Transport-free (an Outbox receives the
// responses), so protocol tests drive it with a fake stream.
import { type ResourceTypeUrl } from '../../../api/src/type-urls.js';
import type { EncodedResource, ResourceMap } from '../cache/resource.js';
import { diffResources } from '../cache/snapshot-cache.js';
import type { SotwRequest, SotwResponse } from './messages.js';
import { NameSet } from './name-set.js';
import { isFullStateType, PUSH_ORDER } from './order.js';
import { AdsStream, type Outbox, type StreamDeps } from './stream.js';

interface TypeState {
  wildcard: boolean;
  names: NameSet;
  /** Names subscribed since the last response: they must be sent even if unchanged. */
  added: NameSet;
  /** The resource map of the last response, or undefined before the first. */
  sent?: ResourceMap;
  nonce?: string;
  version?: string;
}

export class SotwStream extends AdsStream<SotwResponse> {
  private readonly types = new Map<ResourceTypeUrl, TypeState>();

  constructor(deps: StreamDeps, out: Outbox<SotwResponse>) {
    super(deps, out, 'sotw');
  }

  /** Handles one request; throws an Error with a message for the client on protocol violations. */
  request(req: SotwRequest): void {
    const typeUrl = this.begin(req);
    if (!typeUrl) return;
    let st = this.types.get(typeUrl);
    const first = !st;
    st ??= { wildcard: false, names: new NameSet(), added: new NameSet() };
    this.types.set(typeUrl, st);

    if (req.response_nonce) {
      // A request answering an older response is stale: a newer response is on
      // its way and this one's ACK/NACK and subscription are superseded.
      if (req.response_nonce !== st.nonce) return;
      // A NACK carries the last accepted version; the rejected one is ours.
      this.answered(typeUrl, req.error_detail ? (st.version ?? '') : req.version_info, req.response_nonce, req.error_detail);
    }

    const names = req.resource_names;
    const explicitWildcard = names.includes('*');
    // Legacy wildcard: an empty first request subscribes to everything, and
    // stays so while later requests keep the list empty.
    st.wildcard = explicitWildcard || (names.length === 0 && (first || st.wildcard));
    // Envoy repeats the whole list in every request; most of the time it is
    // the same list, and rebuilding the set for each ACK would be wasted work.
    const unchanged = names.length === st.names.size && names.every((n) => st.names.has(n));
    if (!unchanged) {
      const next = new NameSet();
      for (const n of names) if (n !== '*' && next.add(n) && !st.names.has(n)) st.added.add(n);
      st.names = next;
    }
    this.flush();
  }

  protected flush(): void {
    const snap = this.snapshot;
    if (!snap) return;
    for (const typeUrl of PUSH_ORDER) {
      if (!this.out.ready()) return;
      const st = this.types.get(typeUrl);
      if (!st) continue;
      const resources = this.pending(typeUrl, st, snap.resources(typeUrl));
      if (!resources) continue;
      const nonce = String(++this.nonce);
      st.nonce = nonce;
      st.version = snap.version;
      const res: SotwResponse = { version_info: snap.version, type_url: typeUrl, nonce, resources };
      this.deps.registry.sent(this.status, typeUrl, snap.version, nonce, resources.length, byteLength(resources));
      this.out.send(res);
    }
  }

  /** What to send for a type now, or undefined when the client is up to date. */
  private pending(typeUrl: ResourceTypeUrl, st: TypeState, current: ResourceMap): EncodedResource[] | undefined {
    const firstResponse = st.sent === undefined;
    if (!firstResponse && st.sent === current && st.added.size === 0) return undefined;
    const subscribed = (name: string) => st.wildcard || st.names.has(name);
    let out: EncodedResource[];
    if (isFullStateType(typeUrl) || firstResponse) {
      out = st.wildcard ? [...current.values()] : [...st.names].flatMap((n) => current.get(n) ?? []);
    } else {
      // RDS/EDS: absence does not mean deletion, so only changed or newly
      // subscribed resources need to be sent.
      const picked = new Map<string, EncodedResource>();
      for (const r of diffResources(st.sent!, current).changed) if (subscribed(r.name)) picked.set(r.name, r);
      for (const n of st.added) {
        const r = current.get(n);
        if (r) picked.set(n, r);
      }
      out = [...picked.values()];
    }
    st.sent = current;
    st.added.clear();
    // Full-state types are always sent, even empty: that is how their deletion is told.
    if (out.length === 0 && !isFullStateType(typeUrl)) return undefined;
    return out;
  }
}

function byteLength(resources: readonly EncodedResource[]): number {
  let n = 0;
  for (const r of resources) n += r.body.length;
  return n;
}


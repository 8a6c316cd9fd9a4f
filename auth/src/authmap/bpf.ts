// The BPF-backed AuthMap: entries live in the pinned nm_auth map that the
// datapath's receive-side program (bpf/sockmap/src/auth_ingress.bpf.c) reads.
// Same semantics as InMemoryAuthMap; set() resolves after the map update
// syscall returned, when the entry is visible to every reader, kernel
// programs included — the ordering the handshake responder relies on.
//
// SPIFFE IDs and node names become the pinned ids of nm_identities/nm_nodes
// (bpf/sockmap/src/auth-map.ts). Expiry is stored twice: as CLOCK_BOOTTIME ns
// for the programs (converted once, at write time) and as the wall-clock
// expiresAt for this side, so get()/gc() answer exactly as the in-memory map
// given the same `now`. Serials, role and authenticatedAt are in the value
// too: list() is complete from the pin alone, after an agent restart.
// Per-connection entries go to nm_auth_conn (LRU, keyed by the 4-tuple as
// the receiver sees it); the program binds each to its connection's first
// SYN, so rewriting an entry for a tuple starts it unbound again (a new
// connection on a reused tuple), except for a renewal of the same
// identities' entry (the connection is still open), which keeps the binding.
import { AuthDatapath, bootTimeNs, ensureAuthMaps } from '../../../bpf/sockmap/src/auth-map.js';
import { AUTH_TYPE_SPIFFE_MTLS, type AuthConnInfo, type AuthKeyIds, type ConnTuple } from '../../../bpf/sockmap/src/auth-structs.js';
import type { AuthConnectionEntry, AuthEntry, AuthKey, AuthMap, AuthType, ConnectionTuple } from './types.js';

const AUTH_TYPES: Record<AuthType, number> = { 'spiffe-mtls': AUTH_TYPE_SPIFFE_MTLS };
const authTypeName = (n: number): AuthType | undefined => (Object.keys(AUTH_TYPES) as AuthType[]).find((k) => AUTH_TYPES[k] === n);

export interface BpfAuthMapOptions {
  datapath: AuthDatapath;
  /** Wall clock, ms (conversion to boot time at write). */
  wallNow?: () => number;
  bootNowNs?: () => bigint;
}

export class BpfAuthMap implements AuthMap {
  readonly #dp: AuthDatapath;
  readonly #wallNow: () => number;
  readonly #bootNowNs: () => bigint;

  constructor(o: BpfAuthMapOptions) {
    this.#dp = o.datapath;
    this.#wallNow = o.wallNow ?? Date.now;
    this.#bootNowNs = o.bootNowNs ?? bootTimeNs;
  }

  /** Opens (creating them when missing) the auth maps pinned under `pinRoot`. */
  static open(pinRoot: string, objectsDir?: string): BpfAuthMap {
    ensureAuthMaps(pinRoot, objectsDir);
    return new BpfAuthMap({ datapath: AuthDatapath.open(pinRoot) });
  }

  get datapath(): AuthDatapath {
    return this.#dp;
  }

  /** The numeric key; undefined when a name has no id yet (then no entry can exist) and `allocate` is false. */
  keyIds(key: AuthKey, allocate: boolean): AuthKeyIds | undefined {
    const localId = this.#dp.identities.id(key.localIdentity, allocate);
    const remoteId = this.#dp.identities.id(key.remoteIdentity, allocate);
    const remoteNode = this.#dp.nodes.id(key.remoteNode, allocate);
    if (localId === undefined || remoteId === undefined || remoteNode === undefined) return undefined;
    return { localId, remoteId, remoteNode, authType: AUTH_TYPES[key.authType] };
  }

  /** CLOCK_BOOTTIME ns at which an entry expiring at `expiresAt` (wall ms) expires. */
  bootExpiry(expiresAt: number): bigint {
    const left = BigInt(Math.round((expiresAt - this.#wallNow()) * 1e6));
    const at = this.#bootNowNs() + left;
    return at > 0n ? at : 0n;
  }

  async get(key: AuthKey, now: number): Promise<AuthEntry | undefined> {
    const ids = this.keyIds(key, false);
    const info = ids && this.#dp.getAuth(ids);
    if (!info || info.expiresMs <= now) return undefined;
    return { ...key, expiresAt: info.expiresMs, authenticatedAt: info.authenticatedMs, role: info.role, localSerial: info.localSerial, remoteSerial: info.remoteSerial };
  }

  async set(e: AuthEntry): Promise<void> {
    const ids = this.keyIds(e, true)!;
    this.#dp.setAuth(ids, {
      expiresBootNs: this.bootExpiry(e.expiresAt),
      expiresMs: e.expiresAt,
      authenticatedMs: e.authenticatedAt,
      role: e.role,
      localSerial: e.localSerial,
      remoteSerial: e.remoteSerial,
    });
  }

  async delete(key: AuthKey): Promise<boolean> {
    const ids = this.keyIds(key, false);
    return ids ? this.#dp.deleteAuth(ids) : false;
  }

  async deleteWhere(pred: (e: AuthEntry) => boolean): Promise<number> {
    let n = 0;
    for (const { ids, entry } of this.#entries()) if (pred(entry) && this.#dp.deleteAuth(ids)) n++;
    return n;
  }

  async list(): Promise<AuthEntry[]> {
    return this.#entries().map((x) => x.entry);
  }

  async gc(now: number): Promise<number> {
    let n = 0;
    for (const { tuple, info } of this.#dp.listConn()) if (info.expiresMs <= now && this.#dp.deleteConn(tuple)) n++;
    return n + (await this.deleteWhere((e) => e.expiresAt <= now));
  }

  async setConnection(e: AuthConnectionEntry): Promise<void> {
    const ids = this.keyIds(e, true)!;
    const cur = e.renewal ? this.#dp.getConn(connKey(e.tuple)) : undefined;
    const same = cur && cur.localId === ids.localId && cur.remoteId === ids.remoteId && cur.remoteNode === ids.remoteNode && cur.authType === ids.authType;
    this.#dp.setConn(connKey(e.tuple), {
      expiresBootNs: this.bootExpiry(e.expiresAt),
      boundSyn: same ? cur.boundSyn : 0n,
      localId: ids.localId,
      remoteId: ids.remoteId,
      remoteNode: ids.remoteNode,
      authType: ids.authType,
      expiresMs: e.expiresAt,
      authenticatedMs: e.authenticatedAt,
    });
  }

  async getConnection(tuple: ConnectionTuple, now: number): Promise<AuthConnectionEntry | undefined> {
    const info = this.#dp.getConn(connKey(tuple));
    if (!info || info.expiresMs <= now) return undefined;
    return this.#connEntry(connKey(tuple), info);
  }

  async deleteConnection(tuple: ConnectionTuple): Promise<boolean> {
    return this.#dp.deleteConn(connKey(tuple));
  }

  async listConnections(): Promise<AuthConnectionEntry[]> {
    return this.#dp.listConn().flatMap(({ tuple, info }) => {
      const e = this.#connEntry(tuple, info);
      return e ? [e] : [];
    });
  }

  #connEntry(t: ConnTuple, info: AuthConnInfo): AuthConnectionEntry | undefined {
    const localIdentity = this.#dp.spiffeId(info.localId);
    const remoteIdentity = this.#dp.spiffeId(info.remoteId);
    const remoteNode = this.#dp.nodeName(info.remoteNode);
    const authType = authTypeName(info.authType);
    if (!localIdentity || !remoteIdentity || !remoteNode || !authType) return undefined;
    return {
      localIdentity, remoteIdentity, remoteNode, authType,
      tuple: { sourceAddress: t.saddr, sourcePort: t.sport, destinationAddress: t.daddr, destinationPort: t.dport },
      expiresAt: info.expiresMs, authenticatedAt: info.authenticatedMs,
    };
  }

  /** Entries whose ids all have names (an entry written with ids this pin root never allocated is not this map's). */
  #entries(): { ids: AuthKeyIds; entry: AuthEntry }[] {
    return this.#dp.listAuth().flatMap(({ key: ids, info }) => {
      const localIdentity = this.#dp.spiffeId(ids.localId);
      const remoteIdentity = this.#dp.spiffeId(ids.remoteId);
      const remoteNode = this.#dp.nodeName(ids.remoteNode);
      const authType = authTypeName(ids.authType);
      if (!localIdentity || !remoteIdentity || !remoteNode || !authType) return [];
      const entry: AuthEntry = {
        localIdentity, remoteIdentity, remoteNode, authType,
        expiresAt: info.expiresMs, authenticatedAt: info.authenticatedMs, role: info.role,
        localSerial: info.localSerial, remoteSerial: info.remoteSerial,
      };
      return [{ ids, entry }];
    });
  }
}

const connKey = (t: ConnectionTuple): ConnTuple => ({ saddr: t.sourceAddress, daddr: t.destinationAddress, sport: t.sourcePort, dport: t.destinationPort });

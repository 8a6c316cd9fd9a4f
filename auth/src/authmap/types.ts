// The auth map: which identity pairs are authenticated with which node, until
// when. The datapath consults it on every auth-required flow; the auth
// manager and the handshake server write it.
//
// Key shape follows Cilium's struct auth_key {local, remote, remote node,
// auth type}. Here identities are SPIFFE IDs and nodes are names; the BPF
// implementation (with the datapath, see ../datapath.ts) maps them to the
// numeric IDs the kernel map is keyed by.
//
// Per-connection entries (the per-connection mode): one per authenticated
// TCP connection, keyed by its 4-tuple as the receiver sees it, so no other
// connection can use it. The responder writes them (setConnection) before it
// answers ok; no initiator-side cache exists for them. The methods are
// optional so that wrappers written before the mode existed still type-check;
// a map without them cannot answer per-connection requests (the responder
// refuses with auth_map_error).
//
// Contract: methods may be asynchronous (a BPF map may be written through a
// helper). set() resolves only once the entry is visible to readers — the
// handshake responder relies on that to write before it confirms.

export type AuthType = 'spiffe-mtls';

export interface AuthKey {
  localIdentity: string;
  remoteIdentity: string;
  /** Node of the remote identity. */
  remoteNode: string;
  authType: AuthType;
}

export interface AuthEntry extends AuthKey {
  /** ms since epoch: the earliest certificate expiry of both chains. */
  expiresAt: number;
  /** ms since epoch, for status and flow logs. */
  authenticatedAt: number;
  /** Which side of the handshake this node was. */
  role: 'initiator' | 'responder';
  /** Leaf serials of the two SVIDs, for flow logs. */
  localSerial: string;
  remoteSerial: string;
}

/** A TCP connection: the initiating workload's address and port, the receiving workload's. */
export interface ConnectionTuple {
  sourceAddress: string;
  sourcePort: number;
  destinationAddress: string;
  destinationPort: number;
}

export interface AuthConnectionEntry extends AuthKey {
  tuple: ConnectionTuple;
  /** ms since epoch: the earliest certificate expiry of both chains. */
  expiresAt: number;
  authenticatedAt: number;
  /** Re-authentication of an open connection: keep the entry's binding to that connection (BPF: its SYN). */
  renewal?: boolean;
}

export interface AuthMap {
  /** The entry if present and not expired at `now`. */
  get(key: AuthKey, now: number): Promise<AuthEntry | undefined>;
  set(entry: AuthEntry): Promise<void>;
  delete(key: AuthKey): Promise<boolean>;
  /** Removes every entry `pred` accepts; returns how many. */
  deleteWhere(pred: (e: AuthEntry) => boolean): Promise<number>;
  /** All entries, expired ones included until gc. */
  list(): Promise<AuthEntry[]>;
  /** Removes entries expired at `now` (per-connection ones included); returns how many. */
  gc(now: number): Promise<number>;
  /** Records the entry of one connection; resolves once it is visible, as set(). */
  setConnection?(entry: AuthConnectionEntry): Promise<void>;
  /** The connection's entry if present and not expired at `now`. */
  getConnection?(tuple: ConnectionTuple, now: number): Promise<AuthConnectionEntry | undefined>;
  deleteConnection?(tuple: ConnectionTuple): Promise<boolean>;
  /** All per-connection entries, expired ones included until gc. */
  listConnections?(): Promise<AuthConnectionEntry[]>;
}

export function connectionTupleString(t: ConnectionTuple): string {
  return `${t.sourceAddress}:${t.sourcePort}>${t.destinationAddress}:${t.destinationPort}`;
}

export function authKeyString(k: AuthKey): string {
  return `${k.authType}|${k.localIdentity}|${k.remoteIdentity}|${k.remoteNode}`;
}

// The auth map: which identity pairs are authenticated with which node, until
// when. The datapath consults it on every auth-required flow; the auth
// manager and the handshake server write it.
//
// Key shape follows Cilium's struct auth_key {local, remote, remote node,
// auth type}. Here identities are SPIFFE IDs and nodes are names; the BPF
// implementation (with the datapath, see ../datapath.ts) maps them to the
// numeric IDs the kernel map is keyed by.
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

export interface AuthMap {
  /** The entry if present and not expired at `now`. */
  get(key: AuthKey, now: number): Promise<AuthEntry | undefined>;
  set(entry: AuthEntry): Promise<void>;
  delete(key: AuthKey): Promise<boolean>;
  /** Removes every entry `pred` accepts; returns how many. */
  deleteWhere(pred: (e: AuthEntry) => boolean): Promise<number>;
  /** All entries, expired ones included until gc. */
  list(): Promise<AuthEntry[]>;
  /** Removes entries expired at `now`; returns how many. */
  gc(now: number): Promise<number>;
}

export function authKeyString(k: AuthKey): string {
  return `${k.authType}|${k.localIdentity}|${k.remoteIdentity}|${k.remoteNode}`;
}

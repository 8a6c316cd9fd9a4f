// The contract between this user-space half and the BPF datapath half of
// issue #6, which builds on bpf/sockmap (#5). Built: the pinned maps (nm_auth,
// nm_ip_identity, the identity and node tables, nm_auth_required), the
// BpfAuthMap (authmap/bpf.ts) and step 3's receive-side check
// (bpf/sockmap/src/auth_ingress.bpf.c). Not built yet: step 1's connect-side
// lookup and step 2's gate, so today a first connection waits for a SYN
// retransmit after the handshake instead of being held.
//
// Flow of an auth-required connection (initiating node):
//   1. cgroup/connect4 (bpf/sockmap) sees a mesh workload connect to a peer
//      whose policy entry says "auth required". It looks up nm_auth with
//      {local id, remote id (from nm_ip_identity), remote node, auth type}.
//      Hit and unexpired: the normal path. Miss: it cannot wait, so it steers
//      the connection to the node's auth gate (like the proxy redirect, with
//      the original destination kept under the socket cookie) and emits an
//      AuthRequest on the nm_auth_requests ring buffer.
//   2. The gate (AuthGate) holds the accepted connection — no byte is
//      forwarded — and calls AuthManager.authenticate(flow). Allowed: it
//      connects to the original destination and splices; later connections
//      hit the map in step 1. Refused: it resets the connection (RST) and the
//      flow log says why. The first connection pays the handshake, never a
//      SYN retransmit (Cilium's drop-and-retransmit).
//   3. Receiving node: a cgroup_skb/ingress program on the receiving
//      workload's cgroup checks nm_auth for {local = receiver, remote =
//      sender, sender's node}. The responder wrote that entry before it sent
//      "ok" (handshake/protocol.ts), so a miss here always means "not
//      authenticated": drop.
//
// Rotation, removal and expiry need nothing from the datapath: the manager
// rewrites or deletes entries; expired entries fail the lookup by time.
import type { AuthKey, AuthMap } from './authmap/types.js';
import type { AuthDecision, FlowKey } from './manager.js';

/**
 * BPF layout of the auth map, mirrored in bpf/sockmap/include/auth_map.h and
 * checked by the layout test of that folder (as Cilium's alignchecker):
 *
 *   struct nm_auth_key  { __u32 local_id; __u32 remote_id; __u16 remote_node; __u8 auth_type; __u8 pad; }  // 12 bytes
 *   struct nm_auth_info { __u64 expires_boot_ns; ... }  // CLOCK_BOOTTIME first; the rest (wall-clock
 *                        expiry, serials, role) lets list() be rebuilt from the pin: see auth_map.h
 *   nm_auth: BPF_MAP_TYPE_HASH, pinned by name
 *
 * Expiry is stored in CLOCK_BOOTTIME nanoseconds (bpf_ktime_get_boot_ns(),
 * which keeps counting across suspend and is not moved by wall-clock
 * changes); the writer converts AuthEntry.expiresAt (wall clock, ms) once at
 * write time. local_id/remote_id are IdentityIndex numbers, never 0; node 0 is
 * the local node.
 */
export const NM_AUTH_KEY_SIZE = 12;
export const NM_AUTH_TYPE_SPIFFE_MTLS = 1;

/** SPIFFE IDs and node names ↔ the small integers BPF maps are keyed by. Stable for an ID's lifetime on the node. */
export interface IdentityIndex {
  identityId(spiffeId: string): number;
  spiffeId(identityId: number): string | undefined;
  nodeId(node: string): number;
  nodeName(nodeId: number): string | undefined;
}

/** An AuthRequest read from the nm_auth_requests ring buffer, already mapped back to names. */
export interface AuthRequest extends FlowKey {
  /** Which hook asked: the initiating connect, or a receive-side miss (for status only; the receiver never initiates for it). */
  origin: 'connect' | 'ingress';
}

/** The ring buffer reader. The manager dedups, so a burst of identical requests is fine. */
export interface AuthRequestSource {
  subscribe(handler: (r: AuthRequest) => void): () => void;
  close(): Promise<void>;
}

/** The auth gate on a node: holds steered connections until a decision. */
export interface AuthGate {
  /**
   * Holds `connection` (whose original destination the gate knows) until
   * `decide()` resolves; forwards it when allowed, resets it when refused.
   * Never forwards a byte before an allowed decision.
   */
  hold(flow: FlowKey, decide: (flow: FlowKey) => Promise<AuthDecision>): Promise<void>;
}

/** The BPF-backed AuthMap (with the datapath): the same interface the in-memory map implements. */
export type BpfAuthMapFactory = (o: { pinRoot: string; index: IdentityIndex }) => AuthMap;

/** What a datapath lookup does with a key, for documentation and the future layout test. */
export type DatapathLookup = (key: AuthKey, nowBootNs: bigint) => 'pass' | 'steer-to-gate' | 'drop';

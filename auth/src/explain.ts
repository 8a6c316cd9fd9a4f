// `nodemesh auth explain`: "was this flow authenticated, by whom, when?",
// answered from a node's pinned maps — what the kernel itself will decide,
// not what user space remembers. Connections that go straight (the pair has
// an entry) never pass through user space, so no per-connection log line
// exists for them; the entry that let them through is their record: who
// authenticated (this node as initiator or responder), when, with which
// certificates, until when. Held connections also get a flow log line from
// the gate (gate.ts).
//
// Per-connection ports: each live connection's entry (nm_auth_conn) is
// listed with its 4-tuple. A flow between two nodes with the tunnel check on
// (nm_auth_tunnel) is delivered only out of the tunnel interface.
//
// The decision mirrors include/auth_connect_decision.h (initiating side) and
// auth_ingress.bpf.c (receiving side); auth/src/explain.test.ts checks it
// against the same maps the programs read.
import type { AuthDatapath } from '../../bpf/sockmap/src/auth-map.js';
import { AUTH_TYPE_SPIFFE_MTLS, type AuthInfo } from '../../bpf/sockmap/src/auth-structs.js';

export interface Endpoint {
  address: string;
  identity?: string;
  node?: string;
}

export interface FlowExplanation {
  from: Endpoint;
  to: Endpoint & { port: number };
  /** The destination (identity, port) requires authentication (nm_auth_required: the port, or every port). */
  required: boolean;
  /** How: once per identity pair, or once per connection (its own entry, bound to its 4-tuple). */
  scope?: 'pair' | 'connection';
  /** Per-connection scope: this node's live connection entries for the pair, by 4-tuple (receiver's view). */
  connectionEntries?: { tuple: string; authenticatedAt: string; expiresAt: string; valid: boolean; bound: boolean }[];
  /** This node's entry for the pair, seen from the source's side (the initiator's entry). */
  initiatorEntry?: EntryView;
  /** This node's entry for the pair, seen from the destination's side (the receiver's entry). */
  receiverEntry?: EntryView;
  /** What nm_auth_connect4 does with a new connection, on the source's node. */
  connect: 'not-required' | 'straight' | 'held-by-gate' | 'refused-no-gate';
  /** What nm_auth_ingress does with its packets, on the destination's node. */
  receive: 'not-required' | 'delivered' | 'dropped-unknown-source' | 'dropped-no-tunnel' | 'dropped-no-entry' | 'dropped-expired' | 'per-connection';
  /** An auth-required flow between two nodes with the tunnel check on: the only interface its packets are delivered from (0: none at the moment). */
  tunnelIfindex?: number;
}

export interface EntryView {
  role: AuthInfo['role'];
  authenticatedAt: string;
  expiresAt: string;
  valid: boolean;
  localSerial: string;
  remoteSerial: string;
}

export function explainFlow(dp: AuthDatapath, fromAddress: string, to: { address: string; port: number }, now: { bootNs: bigint; ms: number }): FlowExplanation {
  const ips = new Map(dp.ipIdentities().map((e) => [e.address, e.identity]));
  const describe = (address: string): Endpoint => {
    const i = ips.get(address);
    if (!i) return { address };
    const identity = dp.spiffeId(i.identityId);
    const node = dp.nodeName(i.nodeId);
    return { address, ...(identity ? { identity } : {}), ...(node ? { node } : {}) };
  };
  const src = ips.get(fromAddress);
  const dst = ips.get(to.address);
  const dstIdentity = dst && dp.spiffeId(dst.identityId);
  const mode = dstIdentity ? dp.portMode(dstIdentity, to.port) : undefined;
  const required = mode !== undefined;
  const scope = mode === 'per-connection' ? ('connection' as const) : mode === 'required' ? ('pair' as const) : undefined;
  const view = (info: AuthInfo | undefined): EntryView | undefined =>
    info && {
      role: info.role,
      authenticatedAt: new Date(info.authenticatedMs).toISOString(),
      expiresAt: new Date(info.expiresMs).toISOString(),
      valid: info.expiresBootNs > now.bootNs,
      localSerial: info.localSerial,
      remoteSerial: info.remoteSerial,
    };
  const initiatorEntry = src && dst ? view(dp.getAuth({ localId: src.identityId, remoteId: dst.identityId, remoteNode: dst.nodeId, authType: AUTH_TYPE_SPIFFE_MTLS })) : undefined;
  const receiverEntry = src && dst ? view(dp.getAuth({ localId: dst.identityId, remoteId: src.identityId, remoteNode: src.nodeId, authType: AUTH_TYPE_SPIFFE_MTLS })) : undefined;

  const connectionEntries =
    scope === 'connection' && src && dst
      ? dp
          .listConn()
          .filter((c) => c.tuple.saddr === fromAddress && c.tuple.daddr === to.address && c.tuple.dport === to.port && c.info.localId === dst.identityId && c.info.remoteId === src.identityId)
          .map((c) => ({
            tuple: `${c.tuple.saddr}:${c.tuple.sport} → ${c.tuple.daddr}:${c.tuple.dport}`,
            authenticatedAt: new Date(c.info.authenticatedMs).toISOString(),
            expiresAt: new Date(c.info.expiresMs).toISOString(),
            valid: c.info.expiresBootNs > now.bootNs,
            bound: c.info.boundSyn !== 0n,
          }))
      : undefined;

  let connect: FlowExplanation['connect'] = 'not-required';
  // A per-connection port never takes the pair fast path, whatever nm_auth holds.
  if (required) connect = scope === 'pair' && initiatorEntry?.valid ? 'straight' : dp.gate().port ? 'held-by-gate' : 'refused-no-gate';
  // As nm_auth_ingress: the tunnel is checked after the source's identity, before any entry.
  const tunnel = dp.tunnel();
  const tunnelIfindex = required && src && dst && src.nodeId !== dst.nodeId && tunnel.required ? tunnel.ifindex : undefined;
  let receive: FlowExplanation['receive'] = 'not-required';
  if (required && !src) receive = 'dropped-unknown-source';
  else if (tunnelIfindex === 0) receive = 'dropped-no-tunnel';
  else if (scope === 'connection') receive = 'per-connection';
  else if (required) receive = !receiverEntry ? 'dropped-no-entry' : receiverEntry.valid ? 'delivered' : 'dropped-expired';
  return {
    from: describe(fromAddress),
    to: { ...describe(to.address), port: to.port },
    required,
    ...(scope ? { scope } : {}),
    ...(initiatorEntry ? { initiatorEntry } : {}),
    ...(receiverEntry ? { receiverEntry } : {}),
    ...(connectionEntries ? { connectionEntries } : {}),
    connect,
    receive,
    ...(tunnelIfindex !== undefined ? { tunnelIfindex } : {}),
  };
}

const CONNECT_TEXT: Record<FlowExplanation['connect'], string> = {
  'not-required': 'not required: a new connection goes straight',
  straight: "this node's entry is valid: a new connection goes straight (no handshake)",
  'held-by-gate': 'no valid entry here: a new connection is held by the auth gate while the pair authenticates',
  'refused-no-gate': 'no valid entry and no auth gate (auth agent stopped): connect() is refused (EPERM)',
};
const RECEIVE_TEXT: Record<FlowExplanation['receive'], string> = {
  'not-required': 'not required: delivered',
  delivered: "this node's entry is valid: delivered",
  'dropped-unknown-source': 'the source address has no identity: dropped',
  'dropped-no-tunnel': 'the tunnel check is on and the tunnel interface is missing: a packet from another node is dropped',
  'dropped-no-entry': 'no entry for the pair on this node: dropped',
  'dropped-expired': 'the entry expired: dropped',
  'per-connection': 'per-connection scope: each connection is delivered only with its own entry (below), never with a pair entry',
};

export function formatExplanation(e: FlowExplanation): string {
  const who = (x: Endpoint) => (x.identity ? `${x.identity} on ${x.node ?? '?'}` : 'no identity (not a mesh workload address)');
  const entry = (label: string, v: EntryView | undefined) =>
    v
      ? `  ${label}: authenticated ${v.authenticatedAt} by this node as ${v.role}, ${v.valid ? 'valid' : 'EXPIRED'} until ${v.expiresAt}; certificates: local serial ${v.localSerial}, remote serial ${v.remoteSerial}`
      : `  ${label}: none on this node`;
  return [
    `flow ${e.from.address} → ${e.to.address}:${e.to.port}`,
    `  source:       ${who(e.from)}`,
    `  destination:  ${who(e.to)}`,
    `  policy:       ${e.required ? `authentication required on port ${e.to.port}, ${e.scope === 'connection' ? 'per connection' : 'per identity pair'}` : 'no authentication required'}`,
    entry('initiator entry', e.initiatorEntry),
    entry('receiver entry ', e.receiverEntry),
    ...(e.connectionEntries
      ? [
          `  connection entries on this node (${e.connectionEntries.length}):`,
          ...e.connectionEntries.map((c) => `    ${c.tuple}  authenticated ${c.authenticatedAt}, ${c.valid ? 'valid' : 'EXPIRED'} until ${c.expiresAt}${c.bound ? ', bound to its SYN' : ', not yet used'}`),
        ]
      : []),
    `  if this node is the source's:      ${CONNECT_TEXT[e.connect]}`,
    `  if this node is the destination's: ${RECEIVE_TEXT[e.receive]}`,
    ...(e.tunnelIfindex ? [`  path:         from another node, delivered only out of the tunnel (ifindex ${e.tunnelIfindex}); the same packets on any other interface are dropped`] : []),
    '',
  ].join('\n');
}

// Where identities live, according to the mesh model, and the responder-side
// check built on it. The initiator of a handshake *claims* its node; nothing
// in TLS proves it (see README "Handshake"). The node agent therefore admits
// an initiator only when the model places the proven identity on the claimed
// node and the TCP connection comes from that node's address.
import type { Resources } from '../../crds/src/resources.js';
import type { MeshModel } from '../../xds-server/src/model/types.js';
import { collectSubjects } from '../../xds-server/src/translate/auth/subjects.js';

/** On a Node object: the port of that node's auth service, when it is not the cluster-wide default. */
export const AUTH_PORT_ANNOTATION = 'nodemesh.io/auth-port';

export interface NodeInfo {
  /** The node's address (Node spec.tunnelEndpoint): where its auth service listens and connects from. */
  address: string;
  authPort: number;
}

export interface Placement {
  /** SPIFFE ID → nodes that run a workload with it. */
  nodesByIdentity: Map<string, Set<string>>;
  /** Identity → endpoint addresses, and address → {identity, node}. */
  byAddress: Map<string, { identity: string; node: string }>;
  nodes: Map<string, NodeInfo>;
}

export function computePlacement(resources: Resources, model: MeshModel, defaultAuthPort: number): { placement: Placement; problems: string[] } {
  const problems: string[] = [];
  const nodesByIdentity = new Map<string, Set<string>>();
  const byAddress = new Map<string, { identity: string; node: string }>();
  for (const s of collectSubjects(resources, model).all) {
    if (s.identity === undefined || s.node === '') continue;
    let set = nodesByIdentity.get(s.identity);
    if (!set) nodesByIdentity.set(s.identity, (set = new Set()));
    set.add(s.node);
    byAddress.set(s.address, { identity: s.identity, node: s.node });
  }
  const nodes = new Map<string, NodeInfo>();
  for (const n of resources.nodes) {
    const raw = n.metadata.annotations[AUTH_PORT_ANNOTATION];
    let authPort = defaultAuthPort;
    if (raw !== undefined) {
      const p = /^[0-9]{1,5}$/.test(raw) ? Number(raw) : NaN;
      if (p >= 1 && p <= 65535) authPort = p;
      else problems.push(`Node ${n.metadata.name}: annotation ${AUTH_PORT_ANNOTATION} ${JSON.stringify(raw)} is not a port (1-65535); using ${defaultAuthPort}`);
    }
    nodes.set(n.metadata.name, { address: n.spec.tunnelEndpoint, authPort });
  }
  return { placement: { nodesByIdentity, byAddress, nodes }, problems };
}

/** The identities that run on `node`, sorted. */
export function identitiesOnNode(p: Placement, node: string): string[] {
  return [...p.nodesByIdentity].filter(([, nodes]) => nodes.has(node)).map(([id]) => id).sort();
}

function plainAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice('::ffff:'.length) : a;
}

/**
 * The responder's admission of a verified initiator: undefined to accept, or
 * why not. `remoteIdentity` is proven by its certificate; `remoteNode` is
 * claimed; `remoteAddress` is the TCP peer.
 */
export function authorizePeer(p: Placement, peer: { remoteIdentity: string; remoteNode: string; remoteAddress: string }): string | undefined {
  const node = p.nodes.get(peer.remoteNode);
  if (!node) return `initiator claims node ${JSON.stringify(peer.remoteNode)}, which has no Node object in the mesh model`;
  if (!p.nodesByIdentity.get(peer.remoteIdentity)?.has(peer.remoteNode)) {
    return `${peer.remoteIdentity} is not a workload on node ${peer.remoteNode} in the mesh model`;
  }
  const from = plainAddress(peer.remoteAddress);
  if (from !== node.address) return `the connection comes from ${from}, but node ${peer.remoteNode}'s address is ${node.address}`;
  return undefined;
}

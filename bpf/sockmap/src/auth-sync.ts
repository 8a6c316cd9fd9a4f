// What the bpf agent writes into the auth datapath's maps from the mesh
// model (issue #6): nm_ip_identity from the model's workload endpoints
// (address → SPIFFE ID and node, as the auth agent's placement sees them) and
// nm_auth_required from model.authPolicies. Pure: the agent applies the
// result with AuthDatapath.syncIpIdentities / syncRequirements.
//
// nm_auth_required is keyed by (local identity, port), not by endpoint
// address or source, so it over-approximates the policy, failing closed:
// - a `required` entry makes its ports require authentication for every
//   endpoint of the destination identity on every node (endpoints of one
//   service account normally share policies);
// - for every source, also those the rule's `sources` do not name (the
//   datapath has no per-source requirement yet);
// - `disabled` entries add nothing ("required wins" across them anyway);
// - the mode is per-connection (NM_AUTH_MODE_PER_CONNECTION) where any
//   required entry with `scope: 'connection'` covers the (identity, port),
//   required (per pair) otherwise: connection wins over pair, as in the model.
// Ports: none listed = every port (port 0 in the map); a range is expanded
// port by port; UDP- and SCTP-only ports are skipped and reported (the
// ingress program judges TCP only). IPv6 endpoints and endpoints without an
// identity or node are skipped and reported.
import { isIPv4 } from 'node:net';
import type { Resources } from '../../../crds/src/resources.js';
import type { MeshModel } from '../../../xds-server/src/model/types.js';
import type { AuthPortMode } from './auth-structs.js';
import { collectSubjects } from '../../../xds-server/src/translate/auth/subjects.js';

export interface AuthDatapathEntries {
  ipIdentities: { address: string; spiffeId: string; node: string }[];
  requirements: { spiffeId: string; port: number; mode: AuthPortMode }[];
  skipped: string[];
}

export function authDatapathEntries(resources: Resources, model: MeshModel): AuthDatapathEntries {
  const skipped: string[] = [];
  const ipIdentities: AuthDatapathEntries['ipIdentities'] = [];
  for (const s of collectSubjects(resources, model).all) {
    if (s.identity === undefined) continue; // no identity: it can never authenticate, and is never required to
    if (!isIPv4(s.address)) skipped.push(`endpoint ${s.address} (${s.identity}): not IPv4`);
    else if (s.node === '') skipped.push(`endpoint ${s.address} (${s.identity}): no node`);
    else ipIdentities.push({ address: s.address, spiffeId: s.identity, node: s.node });
  }
  const req = new Map<string, { spiffeId: string; port: number; mode: AuthPortMode }>();
  let mode: AuthPortMode = 'required';
  const add = (spiffeId: string, port: number) => {
    const k = `${spiffeId}|${port}`;
    if (req.get(k)?.mode !== 'per-connection') req.set(k, { spiffeId, port, mode });
  };
  for (const e of model.authPolicies ?? []) {
    if (e.mode !== 'required') continue;
    mode = e.scope === 'connection' ? 'per-connection' : 'required';
    const id = e.destination.identity;
    if (e.ports.length === 0) add(id, 0);
    for (const p of e.ports) {
      if (p.protocol !== 'TCP' && p.protocol !== 'ANY') {
        skipped.push(`${id} ${p.protocol} port ${p.port}${p.endPort ? `-${p.endPort}` : ''}: only TCP is enforced`);
        continue;
      }
      if (p.port === 0) add(id, 0);
      else for (let port = p.port; port <= (p.endPort ?? p.port); port++) add(id, port);
    }
  }
  const requirements = [...req.values()].sort((a, b) => a.spiffeId.localeCompare(b.spiffeId) || a.port - b.port);
  return { ipIdentities: ipIdentities.sort((a, b) => a.address.localeCompare(b.address)), requirements, skipped };
}

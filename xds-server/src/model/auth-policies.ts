// The authentication part of the mesh model: which flows must be mutually
// authenticated (issue #6) before they may open. User APIs (NetworkPolicy with
// the nodemesh.io/mtls annotation, MeshPolicy) resolve to these entries in
// xds-server/src/translate/auth/; selectors are already resolved against the
// workloads, named ports against the destination, and "required wins" is
// already applied where two entries cover the same destination, ports and
// sources. Consumers (the node auth agent, later the BPF datapath) ask
// `authModeFor` per flow, which applies "required wins" across overlapping
// port sets too. Scope: a required entry is per identity pair (absent) or per
// connection (`scope: 'connection'`: each connection authenticates, bound to
// its 4-tuple); where both cover a flow, connection wins (`authScopeFor`).
import { isIP } from 'node:net';
import type { MeshModel, ModelError, SourceRef } from './types.js';

export type AuthMode = 'required' | 'disabled';
/** What one authentication covers: an identity pair (Cilium's mode) or one connection. */
export type AuthScope = 'pair' | 'connection';
export type AuthProtocol = 'TCP' | 'UDP' | 'SCTP' | 'ANY';

export interface AuthPortIR {
  protocol: AuthProtocol;
  /** 0: every port of `protocol`. */
  port: number;
  /** Inclusive end of a range starting at `port`. */
  endPort?: number;
}

export interface AuthSourcesIR {
  /** Any source at all (the rule names no peers). */
  any: boolean;
  /** SPIFFE IDs of the selected source workloads, sorted. */
  identities: string[];
  /** ipBlock peers (NetworkPolicy): they have no identity, so under `required` they can never authenticate. */
  ipBlocks: { cidr: string; except: string[] }[];
}

export interface AuthRequirementIR {
  /** The receiving workload endpoint. */
  destination: { namespace: string; identity: string; address: string; node: string };
  /** Destination ports it covers; empty: every port. */
  ports: AuthPortIR[];
  sources: AuthSourcesIR;
  mode: AuthMode;
  /** Only on required entries, only when 'connection': absent means pair (so models and goldens without it read as before). */
  scope?: AuthScope;
  /** The policies it came from, sorted by kind, namespace, name. */
  policies: SourceRef[];
}

/** A flow as the datapath sees it: who connects to which endpoint address and port. */
export interface AuthFlow {
  sourceIdentity?: string;
  sourceAddress?: string;
  destinationAddress: string;
  port: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

export function portCovers(ports: readonly AuthPortIR[], port: number, protocol: string): boolean {
  if (ports.length === 0) return true;
  return ports.some((p) => (p.protocol === 'ANY' || p.protocol === protocol) && (p.port === 0 || (port >= p.port && port <= (p.endPort ?? p.port))));
}

function sourceCovers(s: AuthSourcesIR, flow: AuthFlow): boolean {
  if (s.any) return true;
  return flow.sourceIdentity !== undefined && s.identities.includes(flow.sourceIdentity);
}

/**
 * The mode a flow gets: 'required' when any required entry covers it
 * (required wins over every disabled one), 'disabled' when only disabled
 * entries do, undefined when no policy speaks about it.
 */
export function authModeFor(entries: readonly AuthRequirementIR[], flow: AuthFlow): AuthMode | undefined {
  let mode: AuthMode | undefined;
  for (const e of entries) {
    if (e.destination.address !== flow.destinationAddress) continue;
    if (!portCovers(e.ports, flow.port, flow.protocol) || !sourceCovers(e.sources, flow)) continue;
    if (e.mode === 'required') return 'required';
    mode = 'disabled';
  }
  return mode;
}

/**
 * The scope a flow's authentication needs: 'connection' when any required
 * per-connection entry covers it (connection wins over pair), 'pair' when
 * only required pair entries do, undefined when nothing requires it.
 */
export function authScopeFor(entries: readonly AuthRequirementIR[], flow: AuthFlow): AuthScope | undefined {
  let scope: AuthScope | undefined;
  for (const e of entries) {
    if (e.mode !== 'required' || e.destination.address !== flow.destinationAddress) continue;
    if (!portCovers(e.ports, flow.port, flow.protocol) || !sourceCovers(e.sources, flow)) continue;
    if (e.scope === 'connection') return 'connection';
    scope = 'pair';
  }
  return scope;
}

const SPIFFE_ID = /^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._-]+)+$/;
const MODES = new Set(['required', 'disabled']);
const SCOPES = new Set(['pair', 'connection']);
const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP', 'ANY']);

export function validateAuthPolicies(model: MeshModel): ModelError[] {
  const errors: ModelError[] = [];
  (model.authPolicies ?? []).forEach((a, i) => {
    const err = (p: string, message: string) => errors.push({ path: `authPolicies[${i}]${p}`, message, ...(a.policies[0] ? { source: a.policies[0] } : {}) });
    if (!SPIFFE_ID.test(a.destination.identity)) err('.destination.identity', `${JSON.stringify(a.destination.identity)} is not a SPIFFE ID`);
    if (!isIP(a.destination.address)) err('.destination.address', `${JSON.stringify(a.destination.address)} is not an IP address`);
    if (!MODES.has(a.mode)) err('.mode', `unknown mode ${JSON.stringify(a.mode)}`);
    if (a.scope !== undefined && !SCOPES.has(a.scope)) err('.scope', `unknown scope ${JSON.stringify(a.scope)}`);
    else if (a.scope !== undefined && a.mode !== 'required') err('.scope', 'only a required entry has a scope');
    if (a.policies.length === 0) err('.policies', 'must name at least one policy');
    a.ports.forEach((p, j) => {
      if (!PROTOCOLS.has(p.protocol)) err(`.ports[${j}].protocol`, `unknown protocol ${JSON.stringify(p.protocol)}`);
      if (!Number.isInteger(p.port) || p.port < 0 || p.port > 65535) err(`.ports[${j}].port`, `${p.port} is not in 0..65535`);
      if (p.endPort !== undefined && (!Number.isInteger(p.endPort) || p.endPort < p.port || p.endPort > 65535 || p.port === 0)) {
        err(`.ports[${j}].endPort`, `${p.endPort} is not in ${p.port}..65535 (and needs a port other than 0)`);
      }
    });
    a.sources.identities.forEach((id, j) => {
      if (!SPIFFE_ID.test(id)) err(`.sources.identities[${j}]`, `${JSON.stringify(id)} is not a SPIFFE ID`);
    });
    if (!a.sources.any && a.sources.identities.length === 0 && a.sources.ipBlocks.length === 0) err('.sources', 'names no source');
  });
  return errors;
}

// compileRbac: an envoy.config.rbac.v3.RBAC → evaluator for connections
// (network RBAC) and requests (HTTP RBAC). Policies are tried in name order,
// as Envoy keeps them in a std::map; the first match is the effective policy.
// ALLOW allows iff a policy matches, DENY denies iff one matches, LOG always
// allows and reports the match. No rules at all allows everything.
import type { Decoded, RequestHead } from '../types.js';
import { ConfigRejected, msg, str } from '../routing/fields.js';
import { requestLookup } from '../routing/matchers.js';
import { compilePolicy, type RbacConnection, type RbacInput, type RbacMatcher } from './matchers.js';

export type RbacAction = 'ALLOW' | 'DENY' | 'LOG';

export interface RbacDecision {
  allowed: boolean;
  /** The matching policy's name (Envoy's effective policy id), if one matched. */
  policy?: string;
}

export interface RbacEvaluator {
  readonly action: RbacAction;
  /** Network RBAC: the connection alone. */
  network(conn: RbacConnection): RbacDecision;
  /** HTTP RBAC: the request on its connection. */
  http(req: RequestHead, conn: RbacConnection): RbacDecision;
}

export function compileRbac(rules: Decoded | undefined | null): RbacEvaluator {
  if (!rules) {
    const allow = () => ({ allowed: true });
    return { action: 'ALLOW', network: allow, http: allow };
  }
  const action = str(rules, 'action', 'ALLOW') as RbacAction;
  if (action !== 'ALLOW' && action !== 'DENY' && action !== 'LOG') throw new ConfigRejected(`RBAC action ${action} is not supported`);
  const map = msg(rules, 'policies') ?? {};
  const policies: [string, RbacMatcher][] = Object.keys(map)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => [name, compilePolicy(msg(map, name) ?? {}, name)]);

  const evaluate = (input: RbacInput): RbacDecision => {
    const hit = policies.find(([, m]) => m(input))?.[0];
    const allowed = action === 'ALLOW' ? hit !== undefined : action === 'DENY' ? hit === undefined : true;
    return hit === undefined ? { allowed } : { allowed, policy: hit };
  };
  return {
    action,
    network: (conn) => evaluate({ conn, headers: () => undefined, remoteAddress: conn.sourceAddress }),
    http: (req, conn) => evaluate({ conn, headers: requestLookup(req), path: req.path, remoteAddress: req.remoteAddress }),
  };
}

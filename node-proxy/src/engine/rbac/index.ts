// The RBAC module's public surface.
export { compileRbac, type RbacAction, type RbacDecision, type RbacEvaluator } from './engine.js';
export type { RbacConnection, RbacPeer } from './matchers.js';
export { cidrContains, parseCidr, type CidrRange } from './cidr.js';

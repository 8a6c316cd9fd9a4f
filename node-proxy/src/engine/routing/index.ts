// The routing module's public surface.
export { compileRouteConfiguration, type CompiledRouteTable } from './route-table.js';
export type { RouteForwardDecision, RouteDirectDecision, RoutingDecision } from './actions.js';
export { applyHeaderMutations, type HeaderFormatContext, type HeaderSet } from './headers.js';
export { ConfigRejected } from './fields.js';
export { shadowHost, splitAddress, formatAddress } from './host.js';
export type { RouteMirrorPolicy } from './policies.js';

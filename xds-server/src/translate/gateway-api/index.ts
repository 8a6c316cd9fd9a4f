// Gateway API resources → the gateway part of the mesh model, and status.
export { translateGatewayApi } from './translate.js';
export type { GatewayApiOptions, GatewayApiResult } from './translate.js';
export { DEFAULT_CONTROLLER_NAME } from './context.js';
export type { Condition, ListenerStatus, ObjectStatus, RouteGroupKind, RouteParentStatus } from './status.js';

// Gateway API kinds (standard channel): schemas and shared helpers.
export * from './common.js';
export * from './gatewayclass.js';
export * from './gateway.js';
export * from './httproute.js';
export * from './httproute-filters.js';
export * from './grpcroute.js';
export * from './referencegrant.js';
export * from './stream-routes.js';

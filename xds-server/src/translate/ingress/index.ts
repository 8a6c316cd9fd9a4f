// Kubernetes Ingress resources → the shared ingress gateway of the mesh model, and status.
export { translateIngress, ingressGatewayId } from './translate.js';
export type { IngressOptions, IngressResult, IngressStatus } from './translate.js';
export { DEFAULT_INGRESS_CLASS, INGRESS_CONTROLLER } from './classes.js';
export { FORCE_HTTPS, REQUEST_TIMEOUT, RETRIES, REWRITE_TARGET, RETRY_ON_CODES, MAX_RETRIES } from './annotations.js';

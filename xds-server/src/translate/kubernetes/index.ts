// Kubernetes resources → mesh model.
export { translateResources } from './translate.js';
export type { TranslateOptions, TranslateResult } from './translate.js';
export { LB_POLICY_ANNOTATION } from './lb-policy.js';
export { SERVICE_ACCOUNT_ANNOTATION } from './slice-endpoints.js';

// Authentication policies (NetworkPolicy's nodemesh.io/mtls annotation, MeshPolicy) → MeshModel.authPolicies.
export { translateAuthPolicies } from './translate.js';
export type { AuthTranslateResult } from './translate.js';
export { collectSubjects, type Subject } from './subjects.js';

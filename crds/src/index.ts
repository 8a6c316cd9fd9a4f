// Public surface of the crds package: schemas, parsed object types, parseObject.
export * from './errors.js';
export { parseObject, rawIdentity, rawObjectKey, objectKey, SUPPORTED_KINDS } from './parse.js';
export type { ParseObjectResult, RawIdentity } from './parse.js';
export { emptyResources, addToResources } from './resources.js';
export type {
  Resources,
  KubeObject,
  ServiceObject,
  EndpointSliceObject,
  WorkloadObject,
  SecretObject,
  GatewayClassObject,
  GatewayObject,
  HTTPRouteObject,
  GRPCRouteObject,
  ReferenceGrantObject,
  TLSRouteObject,
  TCPRouteObject,
  UDPRouteObject,
  IngressClassObject,
  IngressObject,
  NodeObject,
  NetworkPolicyObject,
  MeshPolicyObject,
  Origin,
} from './resources.js';
export { formatFieldPath, joinFieldPath } from './issues.js';
export { serviceSchema, SERVICE_API_VERSION, SERVICE_KIND } from './service.js';
export type { ServicePortSpec, ServiceSpec } from './service.js';
export { endpointSliceSchema, ENDPOINT_SLICE_API_VERSION, ENDPOINT_SLICE_KIND, SERVICE_NAME_LABEL } from './endpointslice.js';
export { workloadSchema, WORKLOAD_API_VERSION, WORKLOAD_KIND } from './workload.js';
export type { WorkloadSpec } from './workload.js';
export { ipFamilyOf } from './ip.js';
export type { IPFamily } from './ip.js';
export { secretSchema, secretValue, SECRET_API_VERSION, SECRET_KIND, TLS_SECRET_TYPE, TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY } from './secret.js';
export * from './gateway-api/index.js';
export * from './ingress.js';
export { nodeSchema, NODE_API_VERSION, NODE_KIND, NODE_DEFAULT_WIREGUARD_PORT, cidrErrors, wireGuardKeyErrors } from './node.js';
export type { NodeSpec, NodeStatus, NodeDoc } from './node.js';
export { networkPolicySchema, NETWORK_POLICY_API_VERSION, NETWORK_POLICY_KIND, MTLS_ANNOTATION, MTLS_ANNOTATION_VALUES, labelSelectorMatches } from './networkpolicy.js';
export type { LabelSelector, NetworkPolicySpec } from './networkpolicy.js';
export { meshPolicySchema, MESH_POLICY_API_VERSION, MESH_POLICY_KIND, MESH_POLICY_AUTH_MODES } from './meshpolicy.js';
export type { MeshPolicySpec, EndpointSelector } from './meshpolicy.js';

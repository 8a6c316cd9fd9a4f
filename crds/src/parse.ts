// parseObject: the one entry point from an untyped YAML/JSON document to a
// typed, validated nodemesh object, used by every provider and by tests, so a
// document is accepted or rejected identically everywhere.
import type { z } from 'zod';
import { ENDPOINT_SLICE_API_VERSION, ENDPOINT_SLICE_KIND, endpointSliceSchema } from './endpointslice.js';
import type { ConfigError, ConfigErrorOrigin } from './errors.js';
import { fieldIssues, kubeErrorMap } from './issues.js';
import { DEFAULT_NAMESPACE } from './meta.js';
import type { KubeObject } from './resources.js';
import { SERVICE_API_VERSION, SERVICE_KIND, serviceSchema } from './service.js';
import { WORKLOAD_API_VERSION, WORKLOAD_KIND, workloadSchema } from './workload.js';
import { GATEWAY_API_V1, GATEWAY_API_V1BETA1 } from './gateway-api/common.js';
import { GATEWAY_KIND, gatewaySchema } from './gateway-api/gateway.js';
import { GATEWAY_CLASS_KIND, gatewayClassSchema } from './gateway-api/gatewayclass.js';
import { HTTP_ROUTE_KIND, httpRouteSchema } from './gateway-api/httproute.js';
import { GRPC_ROUTE_KIND, grpcRouteSchema } from './gateway-api/grpcroute.js';
import { REFERENCE_GRANT_KIND, referenceGrantSchema } from './gateway-api/referencegrant.js';
import { tcpRouteSchemas, tlsRouteSchemas, udpRouteSchemas } from './gateway-api/stream-routes.js';
import { SECRET_API_VERSION, SECRET_KIND, secretSchema } from './secret.js';
import { INGRESS_API_VERSION, INGRESS_CLASS_KIND, INGRESS_KIND, ingressClassSchema, ingressSchema } from './ingress.js';
import { NODE_API_VERSION, NODE_KIND, nodeSchema } from './node.js';
import { NAMESPACE_API_VERSION, NAMESPACE_KIND, namespaceSchema } from './namespace.js';
import { NETWORK_POLICY_API_VERSION, NETWORK_POLICY_KIND, networkPolicySchema } from './networkpolicy.js';
import { MESH_POLICY_API_VERSION, MESH_POLICY_KIND, meshPolicySchema } from './meshpolicy.js';

type Bare<T> = T extends unknown ? Omit<T, 'origin'> : never;
type BareObject = Bare<KubeObject>;

type Parser = (doc: unknown) => z.ZodSafeParseResult<BareObject>;

const PARSERS: ReadonlyMap<string, Parser> = new Map<string, Parser>([
  [`${SERVICE_API_VERSION}/${SERVICE_KIND}`, (doc: unknown) => serviceSchema.safeParse(doc, { error: kubeErrorMap })],
  [`${ENDPOINT_SLICE_API_VERSION}/${ENDPOINT_SLICE_KIND}`, (doc: unknown) => endpointSliceSchema.safeParse(doc, { error: kubeErrorMap })],
  [`${WORKLOAD_API_VERSION}/${WORKLOAD_KIND}`, (doc: unknown) => workloadSchema.safeParse(doc, { error: kubeErrorMap })],
  [`${SECRET_API_VERSION}/${SECRET_KIND}`, (doc: unknown) => secretSchema.safeParse(doc, { error: kubeErrorMap })],
  [`${GATEWAY_API_V1}/${GATEWAY_CLASS_KIND}`, (doc: unknown) => gatewayClassSchema.safeParse(doc, { error: kubeErrorMap })],
  [`${GATEWAY_API_V1}/${GATEWAY_KIND}`, (doc: unknown) => gatewaySchema.safeParse(doc, { error: kubeErrorMap })],
  [`${GATEWAY_API_V1}/${HTTP_ROUTE_KIND}`, (doc: unknown) => httpRouteSchema.safeParse(doc, { error: kubeErrorMap })],
  [`${GATEWAY_API_V1}/${GRPC_ROUTE_KIND}`, (doc: unknown) => grpcRouteSchema.safeParse(doc, { error: kubeErrorMap })],
  [`${GATEWAY_API_V1BETA1}/${REFERENCE_GRANT_KIND}`, (doc: unknown) => referenceGrantSchema.safeParse(doc, { error: kubeErrorMap })],
  // TLSRoute, TCPRoute, UDPRoute: every apiVersion the upstream CRDs serve.
  ...[...Object.values(tlsRouteSchemas), ...Object.values(tcpRouteSchemas), ...Object.values(udpRouteSchemas)].map(
    (schema): [string, Parser] => [`${schema.shape.apiVersion.value}/${schema.shape.kind.value}`, (doc: unknown) => schema.safeParse(doc, { error: kubeErrorMap })],
  ),
  [`${INGRESS_API_VERSION}/${INGRESS_CLASS_KIND}`, (doc: unknown) => ingressClassSchema.safeParse(doc, { error: kubeErrorMap })],
  [`${INGRESS_API_VERSION}/${INGRESS_KIND}`, (doc: unknown) => ingressSchema.safeParse(doc, { error: kubeErrorMap })],
  [`${NODE_API_VERSION}/${NODE_KIND}`, (doc: unknown) => nodeSchema.safeParse(doc, { error: kubeErrorMap })],
  [`${NAMESPACE_API_VERSION}/${NAMESPACE_KIND}`, (doc: unknown) => namespaceSchema.safeParse(doc, { error: kubeErrorMap })],
  [`${NETWORK_POLICY_API_VERSION}/${NETWORK_POLICY_KIND}`, (doc: unknown) => networkPolicySchema.safeParse(doc, { error: kubeErrorMap })],
  [`${MESH_POLICY_API_VERSION}/${MESH_POLICY_KIND}`, (doc: unknown) => meshPolicySchema.safeParse(doc, { error: kubeErrorMap })],
]);

// Kinds without a namespace: their identity (and errors) carry namespace ''.
const CLUSTER_SCOPED: ReadonlySet<string> = new Set([`${GATEWAY_API_V1}/${GATEWAY_CLASS_KIND}`, `${INGRESS_API_VERSION}/${INGRESS_CLASS_KIND}`, `${NODE_API_VERSION}/${NODE_KIND}`, `${NAMESPACE_API_VERSION}/${NAMESPACE_KIND}`]);

/** `apiVersion/kind` of every kind parseObject accepts, e.g. `discovery.k8s.io/v1/EndpointSlice`. */
export const SUPPORTED_KINDS: readonly string[] = [...PARSERS.keys()];

/**
 * What can be read from a raw document without validating it: enough to name
 * it in errors and to recognise it as the same object across edits.
 */
export interface RawIdentity {
  apiVersion?: string;
  kind?: string;
  /** metadata.namespace, or "default" when absent; '' for cluster-scoped kinds (GatewayClass, IngressClass). */
  namespace: string;
  name?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function rawIdentity(doc: unknown): RawIdentity {
  if (!isRecord(doc)) return { namespace: DEFAULT_NAMESPACE };
  const meta = isRecord(doc.metadata) ? doc.metadata : {};
  const apiVersion = stringField(doc, 'apiVersion');
  const kind = stringField(doc, 'kind');
  const clusterScoped = CLUSTER_SCOPED.has(`${apiVersion}/${kind}`);
  const id: RawIdentity = { namespace: clusterScoped ? '' : (stringField(meta, 'namespace') ?? DEFAULT_NAMESPACE) };
  const name = stringField(meta, 'name');
  if (apiVersion !== undefined) id.apiVersion = apiVersion;
  if (kind !== undefined) id.kind = kind;
  if (name !== undefined) id.name = name;
  return id;
}

/** Identity key of an object: the same object in two places, or across edits, has the same key. */
export function objectKey(id: { apiVersion: string; kind: string; namespace: string; name: string }): string {
  return `${id.apiVersion}/${id.kind} ${id.namespace}/${id.name}`;
}

/** The key of a raw document, when it names apiVersion, kind and name. */
export function rawObjectKey(id: RawIdentity): string | undefined {
  if (id.apiVersion === undefined || id.kind === undefined || id.name === undefined) return undefined;
  return objectKey({ apiVersion: id.apiVersion, kind: id.kind, namespace: id.namespace, name: id.name });
}

export type ParseObjectResult = { ok: true; object: KubeObject } | { ok: false; errors: ConfigError[] };

export function parseObject(doc: unknown, origin: ConfigErrorOrigin): ParseObjectResult {
  const id = rawIdentity(doc);
  const error = (path: string, message: string): ConfigError => ({ ...origin, ...id, path, message, severity: 'error' });

  if (!isRecord(doc)) {
    const what = Array.isArray(doc) ? 'a list' : doc === null ? 'empty' : `a ${typeof doc}`;
    return { ok: false, errors: [error('', `document must be a mapping (a Kubernetes object), but it is ${what}`)] };
  }
  const missing: ConfigError[] = [];
  if (id.apiVersion === undefined) missing.push(error('apiVersion', 'Required value'));
  if (id.kind === undefined) missing.push(error('kind', 'Required value'));
  if (missing.length > 0) return { ok: false, errors: missing };

  const parse = PARSERS.get(`${id.apiVersion}/${id.kind}`);
  if (parse === undefined) {
    return { ok: false, errors: [error('', `unsupported kind ${id.apiVersion}/${id.kind}; supported: ${SUPPORTED_KINDS.join(', ')}`)] };
  }
  const result = parse(doc);
  if (!result.success) {
    return { ok: false, errors: fieldIssues(result.error.issues).map((i) => error(i.path, i.message)) };
  }
  return { ok: true, object: { ...result.data, origin: { ...origin } } };
}

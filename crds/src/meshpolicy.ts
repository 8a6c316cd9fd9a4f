// nodemesh.io/v1alpha1 MeshPolicy: nodemesh's own policy kind, in the shape of
// CiliumNetworkPolicy's ingress rules so policies move between the two with
// few edits: spec.endpointSelector, spec.ingress[].fromEndpoints[] (label
// selectors), toPorts[].ports[] and, per rule, `authentication.mode`
// (required | disabled) with the optional `authentication.scope` (pair, the
// default: an identity pair authenticates once, as Cilium; connection: every
// new connection authenticates, bound to its 4-tuple). Namespaces work as in Cilium: selectors are limited to
// the policy's namespace unless they name the `k8s:io.kubernetes.pod.namespace`
// label. Label keys may carry Cilium's `k8s:` or `any:` source prefix. Rules
// here and in crds/manifests/nodemesh.io_meshpolicies.yaml must agree;
// meshpolicy-manifest.test.ts checks the shared constants.
import { z } from 'zod';
import { labelValueErrors, qualifiedNameErrors, dns1123SubdomainErrors, ianaSvcNameErrors } from './names.js';
import { objectMetaSchema } from './meta.js';
import { checkSelectorRequirement } from './networkpolicy.js';

export const MESH_POLICY_API_VERSION = 'nodemesh.io/v1alpha1';
export const MESH_POLICY_KIND = 'MeshPolicy';
export const MESH_POLICY_AUTH_MODES = ['required', 'disabled'] as const;
export const MESH_POLICY_AUTH_SCOPES = ['pair', 'connection'] as const;
export const MESH_POLICY_PROTOCOLS = ['TCP', 'UDP', 'SCTP', 'ANY'] as const;
/** The label Cilium gives every endpoint: its namespace. With the k8s: prefix, as Cilium writes it. */
export const CILIUM_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
/** Label source prefixes accepted (and ignored: nodemesh labels all come from Kubernetes objects). */
export const LABEL_SOURCE_PREFIXES = ['k8s:', 'any:'] as const;

// Bounds keep the CRD's CEL cost small; 40 ports per rule is Cilium's own limit.
export const MESH_POLICY_MAX_RULES = 128;
export const MESH_POLICY_MAX_SELECTORS = 64;
export const MESH_POLICY_MAX_PORT_RULES = 32;
export const MESH_POLICY_MAX_PORTS = 40;
/** A port number 0-65535 (0: every port, as in Cilium) or an IANA port name. */
export const MESH_POLICY_PORT_PATTERN = '^([0-9]{1,5}|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$';
export const LABEL_KEY_PATTERN = '^((k8s|any):)?([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';

/** The key without its source prefix. */
export function stripLabelSource(key: string): string {
  for (const p of LABEL_SOURCE_PREFIXES) if (key.startsWith(p)) return key.slice(p.length);
  return key;
}

export function meshLabelKeyErrors(key: string): string[] {
  const colon = key.indexOf(':');
  if (colon >= 0 && !LABEL_SOURCE_PREFIXES.some((p) => key.startsWith(p))) {
    return [`invalid label source ${JSON.stringify(key.slice(0, colon + 1))}: only ${LABEL_SOURCE_PREFIXES.join(' and ')} are supported`];
  }
  return qualifiedNameErrors(stripLabelSource(key));
}

const meshLabelMapSchema = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  if (Object.keys(labels).length > MESH_POLICY_MAX_SELECTORS) ctx.addIssue({ code: 'custom', message: `must have at most ${MESH_POLICY_MAX_SELECTORS} entries` });
  for (const [key, value] of Object.entries(labels)) {
    for (const message of meshLabelKeyErrors(key)) ctx.addIssue({ code: 'custom', message: `invalid label key: ${message}`, path: [key] });
    for (const message of labelValueErrors(value)) ctx.addIssue({ code: 'custom', message, path: [key] });
  }
});

export const endpointSelectorSchema = z.object({
  matchLabels: meshLabelMapSchema.optional(),
  matchExpressions: z
    .array(
      z
        .object({ key: z.string(), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string()).max(MESH_POLICY_MAX_SELECTORS).optional() })
        .superRefine((r, ctx) => checkSelectorRequirement(r, (path, message) => ctx.addIssue({ code: 'custom', path, message }), meshLabelKeyErrors)),
    )
    .max(MESH_POLICY_MAX_SELECTORS)
    .optional(),
});
export type EndpointSelector = z.output<typeof endpointSelectorSchema>;

const portProtocolSchema = z
  .object({
    port: z.string().superRefine((v, ctx) => {
      if (/^[0-9]+$/.test(v)) {
        if (v.length > 5 || Number(v) > 65535) ctx.addIssue({ code: 'custom', message: 'must be between 0 and 65535, inclusive' });
        return;
      }
      for (const message of ianaSvcNameErrors(v)) ctx.addIssue({ code: 'custom', message });
    }),
    endPort: z.int().min(0).max(65535).optional(),
    protocol: z.enum(MESH_POLICY_PROTOCOLS).default('ANY'),
  })
  .superRefine((p, ctx) => {
    if (p.endPort === undefined) return;
    if (!/^[0-9]+$/.test(p.port)) ctx.addIssue({ code: 'custom', path: ['endPort'], message: 'may not be specified when `port` is a name' });
    else if (p.endPort < Number(p.port)) ctx.addIssue({ code: 'custom', path: ['endPort'], message: 'must be greater than or equal to `port`' });
  });
export type MeshPolicyPort = z.output<typeof portProtocolSchema>;

const ingressRuleSchema = z.object({
  /** Absent: any source. `[{}]`: every endpoint of the mesh, as in Cilium. */
  fromEndpoints: z.array(endpointSelectorSchema).max(MESH_POLICY_MAX_SELECTORS).optional(),
  toPorts: z
    .array(z.object({ ports: z.array(portProtocolSchema).max(MESH_POLICY_MAX_PORTS).optional() }))
    .max(MESH_POLICY_MAX_PORT_RULES)
    .optional(),
  authentication: z
    .object({ mode: z.enum(MESH_POLICY_AUTH_MODES), scope: z.enum(MESH_POLICY_AUTH_SCOPES).optional() })
    .superRefine((a, ctx) => {
      // A scope on a disabled rule would read as if it required something.
      if (a.scope !== undefined && a.mode !== 'required') ctx.addIssue({ code: 'custom', path: ['scope'], message: 'may only be set when `mode` is required' });
    })
    .optional(),
});
export type MeshPolicyIngressRule = z.output<typeof ingressRuleSchema>;

const specSchema = z.object({
  endpointSelector: endpointSelectorSchema,
  ingress: z.array(ingressRuleSchema).max(MESH_POLICY_MAX_RULES).optional(),
});

export const meshPolicySchema = z.object({
  apiVersion: z.literal(MESH_POLICY_API_VERSION),
  kind: z.literal(MESH_POLICY_KIND),
  metadata: objectMetaSchema(dns1123SubdomainErrors),
  spec: specSchema,
});

export type MeshPolicySpec = z.output<typeof specSchema>;

// nodemesh.io/v1alpha1 Workload: one endpoint that runs outside Kubernetes (a
// VM, a bare-metal process), selected into Services by its labels like a Pod
// would be. Rules here and in crds/manifests/nodemesh.io_workloads.yaml must
// agree; workload-manifest.test.ts checks the shared constants.
import { z } from 'zod';
import { checkedString, labelMapSchema, PORT_RANGE_MESSAGE } from './checks.js';
import { ipErrors } from './ip.js';
import { objectMetaSchema } from './meta.js';
import { dns1123LabelErrors, dns1123SubdomainErrors } from './names.js';

export const WORKLOAD_API_VERSION = 'nodemesh.io/v1alpha1';
export const WORKLOAD_KIND = 'Workload';

export const WORKLOAD_WEIGHT_MIN = 1;
// Envoy accepts larger weights; 128 keeps weights meaningful relative to the default 1.
export const WORKLOAD_WEIGHT_MAX = 128;
export const WORKLOAD_HEALTH_VALUES = ['Healthy', 'Unhealthy', 'Draining'] as const;
export const WORKLOAD_DEFAULT_SERVICE_ACCOUNT = 'default';

// Bounds the CRD's CEL key checks need to stay within the API server's cost budget.
export const WORKLOAD_MAX_MAP_ENTRIES = 128;

const WEIGHT_MESSAGE = `must be between ${WORKLOAD_WEIGHT_MIN} and ${WORKLOAD_WEIGHT_MAX}, inclusive`;

const workloadPortsSchema = z.record(z.string(), z.int().min(1, PORT_RANGE_MESSAGE).max(65535, PORT_RANGE_MESSAGE)).superRefine((ports, ctx) => {
  if (Object.keys(ports).length > WORKLOAD_MAX_MAP_ENTRIES) ctx.addIssue({ code: 'custom', message: `must have at most ${WORKLOAD_MAX_MAP_ENTRIES} entries` });
  // Keys are service port names or targetPort names, both RFC 1123 labels.
  for (const key of Object.keys(ports)) {
    for (const message of dns1123LabelErrors(key)) ctx.addIssue({ code: 'custom', message: `invalid port name: ${message}`, path: [key] });
  }
});

const workloadSpecSchema = z.object({
  address: checkedString((v) => ipErrors(v)),
  ports: workloadPortsSchema.optional(),
  labels: labelMapSchema
    .refine((labels) => Object.keys(labels).length <= WORKLOAD_MAX_MAP_ENTRIES, `must have at most ${WORKLOAD_MAX_MAP_ENTRIES} entries`)
    .default(() => ({})),
  serviceAccount: checkedString(dns1123SubdomainErrors).default(WORKLOAD_DEFAULT_SERVICE_ACCOUNT),
  node: z.string().optional(),
  locality: z
    .object({ region: z.string().optional(), zone: z.string().optional(), subzone: z.string().optional() })
    .optional(),
  weight: z.int().min(WORKLOAD_WEIGHT_MIN, WEIGHT_MESSAGE).max(WORKLOAD_WEIGHT_MAX, WEIGHT_MESSAGE).default(1),
  health: z.enum(WORKLOAD_HEALTH_VALUES).default('Healthy'),
});

export const workloadSchema = z.object({
  apiVersion: z.literal(WORKLOAD_API_VERSION),
  kind: z.literal(WORKLOAD_KIND),
  // Custom resource names are RFC 1123 subdomains.
  metadata: objectMetaSchema(dns1123SubdomainErrors),
  spec: workloadSpecSchema,
});

export type WorkloadSpec = z.output<typeof workloadSpecSchema>;

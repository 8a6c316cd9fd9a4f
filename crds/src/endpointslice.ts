// discovery.k8s.io/v1 EndpointSlice, validated like the API server
// (pkg/apis/discovery/validation). nodemesh additionally requires the
// kubernetes.io/service-name label: it is how a slice names its Service, and a
// slice without it could never be used.
import { z } from 'zod';
import { checkedString, optionalCheckedString, portNumberSchema, protocolSchema } from './checks.js';
import { ipErrors } from './ip.js';
import { ALWAYS, asRecord, asRecords, asString, asStrings } from './loose.js';
import { objectMetaSchema } from './meta.js';
import { dns1123LabelErrors, dns1123SubdomainErrors, qualifiedNameErrors } from './names.js';

export const ENDPOINT_SLICE_API_VERSION = 'discovery.k8s.io/v1';
export const ENDPOINT_SLICE_KIND = 'EndpointSlice';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

// Limits from the API server's EndpointSlice validation.
const MAX_ADDRESSES = 100;
const MAX_ENDPOINTS = 1000;
const MAX_PORTS = 20000;
const MAX_HINTS = 8;

const hintListSchema = z.array(z.object({ name: z.string().min(1, 'Required value') })).max(MAX_HINTS, `must have at most ${MAX_HINTS} items`);

const endpointSchema = z.object({
  addresses: z
    .array(z.string())
    .min(1, 'must contain at least 1 address')
    .max(MAX_ADDRESSES, `must contain at most ${MAX_ADDRESSES} addresses`),
  conditions: z
    .object({ ready: z.boolean().optional(), serving: z.boolean().optional(), terminating: z.boolean().optional() })
    .default(() => ({})),
  hostname: checkedString(dns1123LabelErrors).optional(),
  nodeName: checkedString(dns1123SubdomainErrors).optional(),
  zone: z.string().optional(),
  targetRef: z
    .object({
      apiVersion: z.string().optional(),
      kind: z.string().optional(),
      namespace: z.string().optional(),
      name: z.string().optional(),
      uid: z.string().optional(),
    })
    .optional(),
  hints: z.object({ forZones: hintListSchema.optional(), forNodes: hintListSchema.optional() }).optional(),
});

const endpointPortSchema = z.object({
  name: optionalCheckedString(dns1123LabelErrors).optional(),
  protocol: protocolSchema.default('TCP'),
  // Absent means "all ports" in the API; nodemesh cannot map that to a service port and ignores such entries.
  port: portNumberSchema.optional(),
  appProtocol: checkedString(qualifiedNameErrors).optional(),
});

export const endpointSliceSchema = z
  .object({
    apiVersion: z.literal(ENDPOINT_SLICE_API_VERSION),
    kind: z.literal(ENDPOINT_SLICE_KIND),
    metadata: objectMetaSchema(dns1123SubdomainErrors),
    addressType: z.enum(['IPv4', 'IPv6', 'FQDN']),
    endpoints: z.array(endpointSchema).max(MAX_ENDPOINTS, `must have at most ${MAX_ENDPOINTS} items`).default(() => []),
    ports: z.array(endpointPortSchema).max(MAX_PORTS, `must have at most ${MAX_PORTS} items`).default(() => []),
  })
  .superRefine((slice, ctx) => checkSlice(slice, (path, message) => ctx.addIssue({ code: 'custom', message, path })), ALWAYS);

// Cross-field rules; `raw` may be partially invalid: see loose.ts.
function checkSlice(raw: unknown, issue: (path: (string | number)[], message: string) => void): void {
  const slice = asRecord(raw);
  if (slice === undefined) return;
  const labels = asRecord(asRecord(slice.metadata)?.labels);
  if (labels?.[SERVICE_NAME_LABEL] === undefined) {
    issue(['metadata', 'labels'], `missing label ${JSON.stringify(SERVICE_NAME_LABEL)}: nodemesh uses it to find the slice's Service`);
  }
  const addressType = asString(slice.addressType);
  if (addressType === 'IPv4' || addressType === 'IPv6' || addressType === 'FQDN') {
    asRecords(slice.endpoints).forEach((ep, i) => {
      (asStrings(ep?.addresses) ?? []).forEach((address, j) => {
        const errs = addressType === 'FQDN' ? fqdnErrors(address) : ipErrors(address, addressType);
        for (const message of errs) issue(['endpoints', i, 'addresses', j], message);
      });
    });
  }
  const names = new Set<string>();
  asRecords(slice.ports).forEach((p, i) => {
    const name = asString(p?.name) ?? '';
    if (names.has(name)) issue(['ports', i, 'name'], `Duplicate value: ${JSON.stringify(name)}`);
    names.add(name);
  });
}

function fqdnErrors(value: string): string[] {
  const errs = dns1123SubdomainErrors(value);
  if (errs.length === 0 && !value.includes('.')) errs.push(`invalid value ${JSON.stringify(value)}: should be a domain with at least two segments separated by dots`);
  return errs;
}

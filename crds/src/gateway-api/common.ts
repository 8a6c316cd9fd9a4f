// Building blocks shared by the Gateway API kinds (sigs.k8s.io/gateway-api
// apis/v1/shared_types.go, object_reference_types.go): the string types with
// their kubebuilder patterns and lengths, references, Duration, and metadata.
// Rules come from the standard-channel CRDs' OpenAPI and CEL, so an object
// nodemesh accepts is one the API server would accept.
import { z } from 'zod';
import { checkedString } from '../checks.js';
import { ipFamilyOf } from '../ip.js';
import { objectMetaSchema } from '../meta.js';
import { dns1123SubdomainErrors } from '../names.js';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_API_V1 = `${GATEWAY_API_GROUP}/v1`;
export const GATEWAY_API_V1BETA1 = `${GATEWAY_API_GROUP}/v1beta1`;

type Rule = (value: string) => string[];

/** A pattern-and-length rule worded like the API server's OpenAPI errors. */
function patternRule(pattern: string, min: number, max: number): Rule {
  const re = new RegExp(pattern);
  return (value) => {
    const errs: string[] = [];
    if (value.length < min) errs.push(min === 1 ? 'must not be empty' : `must be at least ${min} characters`);
    if (value.length > max) errs.push(`must be no more than ${max} characters`);
    if (value.length >= min && !re.test(value)) errs.push(`invalid value ${JSON.stringify(value)}: should match '${pattern}'`);
    return errs;
  };
}

export const HOSTNAME_PATTERN = '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const PRECISE_HOSTNAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const SECTION_NAME_PATTERN = PRECISE_HOSTNAME_PATTERN;
const GROUP_PATTERN = '^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const KIND_PATTERN = '^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$';
const NAMESPACE_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const HEADER_NAME_PATTERN = "^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$";
export const DURATION_PATTERN = '^([0-9]{1,5}(h|m|s|ms)){1,4}$';

// The Hostname type's pattern admits dotted quads; its documentation (and the
// validating webhook of v0.x) excludes IP addresses, so nodemesh does too.
function noIP(rule: Rule): Rule {
  return (value) => {
    const errs = rule(value);
    if (errs.length === 0 && ipFamilyOf(value) !== undefined) errs.push(`invalid value ${JSON.stringify(value)}: must be a DNS name, not an IP address`);
    return errs;
  };
}

export const hostnameErrors = noIP(patternRule(HOSTNAME_PATTERN, 1, 253));
export const preciseHostnameErrors = noIP(patternRule(PRECISE_HOSTNAME_PATTERN, 1, 253));

export const hostnameSchema = checkedString(hostnameErrors);
export const preciseHostnameSchema = checkedString(preciseHostnameErrors);
export const sectionNameSchema = checkedString(patternRule(SECTION_NAME_PATTERN, 1, 253));
/** ObjectName: any non-empty name up to 253 characters (the referent's own kind validates it further). */
export const objectNameSchema = checkedString(patternRule('^.*$', 1, 253));
export const groupSchema = z.string().superRefine((v, ctx) => {
  for (const message of patternRule(GROUP_PATTERN, 0, 253)(v)) ctx.addIssue({ code: 'custom', message });
});
export const kindSchema = checkedString(patternRule(KIND_PATTERN, 1, 63));
export const namespaceSchema = checkedString(patternRule(NAMESPACE_PATTERN, 1, 63));
export const headerNameSchema = checkedString(patternRule(HEADER_NAME_PATTERN, 1, 256));
export const durationSchema = checkedString(patternRule(DURATION_PATTERN, 1, 64));

const PORT_MESSAGE = 'must be between 1 and 65535, inclusive';
export const portSchema = z.int().min(1, PORT_MESSAGE).max(65535, PORT_MESSAGE);

const UNITS_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Milliseconds of a Gateway API Duration ("1h30m", "500ms"); undefined when it does not match DURATION_PATTERN. */
export function durationMs(value: string): number | undefined {
  if (!new RegExp(DURATION_PATTERN).test(value)) return undefined;
  let total = 0;
  for (const m of value.matchAll(/([0-9]+)(ms|h|m|s)/g)) total += Number(m[1]) * (UNITS_MS[m[2]!] ?? 0);
  return total;
}

/**
 * metadata of Gateway API objects: like the core kinds', plus what route
 * precedence (oldest creationTimestamp first) and status (observedGeneration)
 * need. `kubectl get -o yaml` of an unsaved object prints `creationTimestamp: null`.
 */
export function gatewayApiMetaSchema() {
  return objectMetaSchema(dns1123SubdomainErrors).extend({
    creationTimestamp: z
      .union([z.string(), z.null()])
      .optional()
      .superRefine((v, ctx) => {
        if (typeof v === 'string' && Number.isNaN(Date.parse(v))) ctx.addIssue({ code: 'custom', message: `invalid value ${JSON.stringify(v)}: must be an RFC 3339 date-time` });
      })
      .transform((v) => v ?? undefined),
    generation: z.int().min(0).optional(),
  });
}

/**
 * metadata of cluster-scoped kinds (GatewayClass): the namespace is
 * meaningless, so it is dropped ('' in errors and keys) the way the API
 * server ignores it.
 */
export function clusterMetaSchema() {
  return gatewayApiMetaSchema()
    .extend({ namespace: z.string().optional() })
    .transform((m) => ({ ...m, namespace: '' }));
}

/** ParentReference (apis/v1/shared_types.go); group/kind defaulted to Gateway. */
export const parentRefSchema = z.object({
  group: groupSchema.default(GATEWAY_API_GROUP),
  kind: kindSchema.default('Gateway'),
  namespace: namespaceSchema.optional(),
  name: objectNameSchema,
  sectionName: sectionNameSchema.optional(),
  port: portSchema.optional(),
});

/** BackendObjectReference fields; group '' and kind Service by default. */
export const backendObjectRefShape = {
  group: groupSchema.default(''),
  kind: kindSchema.default('Service'),
  name: objectNameSchema,
  namespace: namespaceSchema.optional(),
  port: portSchema.optional(),
};

/** The CRD's CEL rule on every BackendObjectReference. */
export function requirePortForService(ref: { group: string; kind: string; port?: number | undefined }, ctx: z.RefinementCtx): void {
  if (ref.group === '' && ref.kind === 'Service' && ref.port === undefined) ctx.addIssue({ code: 'custom', message: 'Must have port for Service reference', path: ['port'] });
}

export const backendObjectRefSchema = z.object(backendObjectRefShape).superRefine(requirePortForService);

export type ParentRef = z.output<typeof parentRefSchema>;
export type BackendObjectRef = z.output<typeof backendObjectRefSchema>;
export type GatewayApiMeta = z.output<ReturnType<typeof gatewayApiMetaSchema>>;

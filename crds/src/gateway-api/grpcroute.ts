// gateway.networking.k8s.io/v1 GRPCRoute (apis/v1/grpcroute_types.go): the
// standard-channel CRD's limits, defaults and CEL rules. Filters and backend
// references share their building blocks with HTTPRoute's, since the CRD
// embeds the same HTTPHeaderFilter, HTTPRequestMirrorFilter and
// BackendObjectReference types.
import { z } from 'zod';
import { ALWAYS, asRecord, asRecords, asString } from '../loose.js';
import {
  backendObjectRefShape,
  GATEWAY_API_V1,
  gatewayApiMetaSchema,
  headerNameSchema,
  hostnameSchema,
  parentRefSchema,
  requirePortForService,
  sectionNameSchema,
} from './common.js';
import { checkParentRefs, MAX_MATCHES, MAX_ROUTE_MATCHES, MAX_RULES, MAX_WEIGHT } from './httproute.js';
import { extensionRefSchema, headerFilterSchema, mirrorSchema } from './httproute-filters.js';

export const GRPC_ROUTE_KIND = 'GRPCRoute';

export const GRPC_FILTER_TYPES = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef'] as const;
export type GrpcFilterType = (typeof GRPC_FILTER_TYPES)[number];

// The CRD's CEL patterns for Exact method matches, verbatim: a service is a
// dotted protobuf package path (case-insensitive, optional leading dot), a
// method one identifier.
export const GRPC_SERVICE_PATTERN = '^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$';
export const GRPC_METHOD_PATTERN = '^[A-Za-z_][A-Za-z_0-9]*$';
// (?i) is RE2's inline flag; JavaScript takes it as the i flag.
const serviceRe = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;
const methodRe = new RegExp(GRPC_METHOD_PATTERN);

// GRPCMethodMatch and its three CEL rules. They sit on the object, so (like
// the API server) they are reported at `…method`, not at its fields. `type`
// is defaulted to Exact before CEL runs, so `has(self.type)` always holds and
// one of service/method is always required.
const methodMatchSchema = z
  .object({
    type: z.enum(['Exact', 'RegularExpression']).default('Exact'),
    service: z.string().max(1024).optional(),
    method: z.string().max(1024).optional(),
  })
  .superRefine((m, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (m.service === undefined && m.method === undefined) issue("One or both of 'service' or 'method' must be specified");
    if (m.type === 'Exact' && m.service !== undefined && !serviceRe.test(m.service)) issue(`service must only contain valid characters (matching ${GRPC_SERVICE_PATTERN})`);
    if (m.type === 'Exact' && m.method !== undefined && !methodRe.test(m.method)) issue(`method must only contain valid characters (matching ${GRPC_METHOD_PATTERN})`);
  });

// The CRD's list-map key is the literal name: "Foo" and "foo" both pass here
// (the translator keeps only the first of equivalent names, as the spec says).
// Runs even when an entry failed (ALWAYS), so reads the entries loosely.
function uniqueByName(items: unknown, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  asRecords(items).forEach((h, i) => {
    const name = asString(h?.name);
    if (name === undefined) return;
    if (seen.has(name)) ctx.addIssue({ code: 'custom', message: `Duplicate value: ${JSON.stringify(name)}`, path: [i, 'name'] });
    seen.add(name);
  });
}

const headerMatchSchema = z.object({
  type: z.enum(['Exact', 'RegularExpression']).default('Exact'),
  name: headerNameSchema,
  value: z.string().min(1).max(4096),
});

const matchSchema = z.object({
  method: methodMatchSchema.optional(),
  headers: z.array(headerMatchSchema).max(16).superRefine(uniqueByName, ALWAYS).default(() => []),
});

const CONFIG_FIELDS: Record<GrpcFilterType, string> = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestMirror: 'requestMirror',
  ExtensionRef: 'extensionRef',
};

export const grpcRouteFilterSchema = z
  .object({
    type: z.enum(GRPC_FILTER_TYPES),
    requestHeaderModifier: headerFilterSchema.optional(),
    responseHeaderModifier: headerFilterSchema.optional(),
    requestMirror: mirrorSchema.optional(),
    extensionRef: extensionRefSchema.optional(),
  })
  .superRefine((f, ctx) => {
    for (const [type, field] of Object.entries(CONFIG_FIELDS)) {
      const set = (f as Record<string, unknown>)[field] !== undefined;
      if (set && f.type !== type) ctx.addIssue({ code: 'custom', message: `filter.${field} must be nil if the filter.type is not ${type}`, path: [field] });
      if (!set && f.type === type) ctx.addIssue({ code: 'custom', message: `filter.${field} must be specified for ${type} filter.type`, path: [field] });
    }
  });

// CEL on every GRPCRoute filter list (rule and backendRef filters alike).
const filterListSchema = z
  .array(grpcRouteFilterSchema)
  .max(16)
  .superRefine((raw, ctx) => {
    const types = asRecords(raw).map((f) => asString(f?.type));
    for (const t of ['RequestHeaderModifier', 'ResponseHeaderModifier']) {
      if (types.filter((x) => x === t).length > 1) ctx.addIssue({ code: 'custom', message: `${t} filter cannot be repeated` });
    }
  }, ALWAYS);

const backendRefSchema = z
  .object({
    ...backendObjectRefShape,
    weight: z.int().min(0).max(MAX_WEIGHT).default(1),
    filters: filterListSchema.default(() => []),
  })
  .superRefine(requirePortForService);

const ruleSchema = z.object({
  name: sectionNameSchema.optional(),
  // Absent or empty: the rule matches every gRPC request (the translator's job, not a default).
  matches: z.array(matchSchema).max(MAX_MATCHES).default(() => []),
  filters: filterListSchema.default(() => []),
  backendRefs: z.array(backendRefSchema).max(16).default(() => []),
  // Experimental channel (GEP-1619). Kept, not dropped, so the translator can
  // refuse it rather than silently serve without it.
  sessionPersistence: z.record(z.string(), z.unknown()).optional(),
});

const grpcRouteSpecSchema = z
  .object({
    parentRefs: z.array(parentRefSchema).max(32).default(() => []),
    hostnames: z.array(hostnameSchema).max(16).default(() => []),
    rules: z.array(ruleSchema).max(MAX_RULES).default(() => []),
  })
  .superRefine((spec, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', message, path });
    checkParentRefs(asRecord(spec)?.parentRefs, (path, message) => issue(['parentRefs', ...path], message));
    const rules = asRecords(asRecord(spec)?.rules);
    // Unlike HTTPRoute's, GRPCRoute matches have no default: a rule without them counts 0.
    const total = rules.reduce((n, r) => n + (Array.isArray(r?.matches) ? r.matches.length : 0), 0);
    if (total > MAX_ROUTE_MATCHES)
      issue(['rules'], `While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than ${MAX_ROUTE_MATCHES}`);
    // "This name MUST be unique within a Route if it is set" (the experimental CRD's CEL rule).
    const names = new Set<string>();
    rules.forEach((r, i) => {
      const name = asString(r?.name);
      if (name === undefined) return;
      if (names.has(name)) issue(['rules', i, 'name'], 'Rule name must be unique within the route');
      names.add(name);
    });
  }, ALWAYS);

export const grpcRouteSchema = z.object({
  apiVersion: z.literal(GATEWAY_API_V1),
  kind: z.literal(GRPC_ROUTE_KIND),
  metadata: gatewayApiMetaSchema(),
  spec: grpcRouteSpecSchema,
});

export type GrpcRouteSpec = z.output<typeof grpcRouteSpecSchema>;
export type GrpcRouteRuleSpec = z.output<typeof ruleSchema>;
export type GrpcRouteMatchSpec = z.output<typeof matchSchema>;
export type GrpcMethodMatchSpec = z.output<typeof methodMatchSchema>;
export type GrpcBackendRefSpec = z.output<typeof backendRefSchema>;
export type GrpcRouteFilterSpec = z.output<typeof grpcRouteFilterSchema>;

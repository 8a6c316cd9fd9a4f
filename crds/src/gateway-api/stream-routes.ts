// The Gateway API's stream routes: TLSRoute (SNI-matched TLS connections),
// TCPRoute and UDPRoute (everything arriving on a listener), with the CRDs'
// OpenAPI limits and CEL rules per served version (apis/v1alpha2,
// apis/v1alpha3 and apis/v1 {tls,tcp,udp}route_types.go). The versions share
// one shape; they differ in limits only:
//
// - v1alpha2 (experimental, deprecated): up to 16 rules; TLSRoute hostnames
//   optional; rule names unique (an experimental-channel CEL rule).
// - v1alpha3 (TLSRoute only, deprecated) and v1 (the storage version): exactly
//   one rule; TLSRoute hostnames required (1..1024).
//
// A BackendRef here is HTTPRoute's without filters: weight 0..1,000,000
// (default 1), and a port when it names a Service.
import { z } from 'zod';
import { ipFamilyOf } from '../ip.js';
import { ALWAYS, asRecord, asRecords, asString, asStrings } from '../loose.js';
import { backendObjectRefShape, GATEWAY_API_GROUP, GATEWAY_API_V1, gatewayApiMetaSchema, hostnameSchema, parentRefSchema, requirePortForService, sectionNameSchema } from './common.js';
import { checkParentRefs, MAX_WEIGHT } from './httproute.js';

export const GATEWAY_API_V1ALPHA2 = `${GATEWAY_API_GROUP}/v1alpha2`;
export const GATEWAY_API_V1ALPHA3 = `${GATEWAY_API_GROUP}/v1alpha3`;

export const TLS_ROUTE_KIND = 'TLSRoute';
export const TCP_ROUTE_KIND = 'TCPRoute';
export const UDP_ROUTE_KIND = 'UDPRoute';

/** TLSRoute spec.hostnames maxItems (every version). */
export const MAX_TLS_HOSTNAMES = 1024;
/** backendRefs per rule, min 1 (every version and kind). */
export const MAX_STREAM_BACKEND_REFS = 16;

const streamBackendRefSchema = z
  .object({ ...backendObjectRefShape, weight: z.int().min(0).max(MAX_WEIGHT).default(1) })
  .superRefine(requirePortForService);

const streamRuleSchema = z.object({
  name: sectionNameSchema.optional(),
  backendRefs: z.array(streamBackendRefSchema).min(1).max(MAX_STREAM_BACKEND_REFS),
});

type Issue = (path: (string | number)[], message: string) => void;

// CEL on rules: "Rule name must be unique within the route".
function checkRuleNames(raw: unknown, issue: Issue): void {
  const seen = new Set<string>();
  asRecords(raw).forEach((r, i) => {
    const name = asString(r?.name);
    if (name === undefined) return;
    if (seen.has(name)) issue([i, 'name'], 'Rule name must be unique within the route');
    seen.add(name);
  });
}

interface VersionLimits {
  apiVersion: string;
  /** 16 in v1alpha2, 1 from v1alpha3 / v1 on. */
  maxRules: number;
  /** TLSRoute: hostnames required (min 1) from v1alpha3 on. */
  hostnamesRequired: boolean;
}

const V1ALPHA2: VersionLimits = { apiVersion: GATEWAY_API_V1ALPHA2, maxRules: 16, hostnamesRequired: false };
const V1ALPHA3: VersionLimits = { apiVersion: GATEWAY_API_V1ALPHA3, maxRules: 1, hostnamesRequired: true };
const V1: VersionLimits = { apiVersion: GATEWAY_API_V1, maxRules: 1, hostnamesRequired: true };

function rulesSchema(limits: VersionLimits) {
  return z.array(streamRuleSchema).min(1).max(limits.maxRules);
}

// Shared CEL on the spec: parentRefs (CommonRouteSpec) and rule names.
function checkSpec(spec: unknown, ctx: z.RefinementCtx): void {
  const s = asRecord(spec);
  checkParentRefs(s?.parentRefs, (path, message) => ctx.addIssue({ code: 'custom', message, path: ['parentRefs', ...path] }));
  checkRuleNames(s?.rules, (path, message) => ctx.addIssue({ code: 'custom', message, path: ['rules', ...path] }));
}

const RFC1123 = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/;

// The CEL rules on TLSRoute spec.hostnames from v1alpha3 on, with their
// messages (each item is also checked against the Hostname type's pattern).
function checkTlsHostnames(raw: unknown, issue: Issue): void {
  const hostnames = asStrings(raw) ?? [];
  if (hostnames.some((h) => ipFamilyOf(h) !== undefined)) issue([], 'Hostnames cannot contain an IP');
  if (hostnames.some((h) => !h.includes('*') && !RFC1123.test(h))) issue([], 'Hostnames must be valid based on RFC-1123');
  if (hostnames.some((h) => h.includes('*') && !(h.startsWith('*.') && RFC1123.test(h.slice(2))))) {
    issue([], 'Wildcards on hostnames must be the first label, and the rest of hostname must be valid based on RFC-1123');
  }
}

function tlsRouteSchema(limits: VersionLimits) {
  const hostnames = z.array(hostnameSchema).max(MAX_TLS_HOSTNAMES);
  const spec = z
    .object({
      parentRefs: z.array(parentRefSchema).max(32).default(() => []),
      hostnames: limits.hostnamesRequired ? hostnames.min(1) : hostnames.default(() => []),
      rules: rulesSchema(limits),
    })
    .superRefine((spec, ctx) => {
      checkSpec(spec, ctx);
      if (limits.hostnamesRequired) checkTlsHostnames(asRecord(spec)?.hostnames, (path, message) => ctx.addIssue({ code: 'custom', message, path: ['hostnames', ...path] }));
    }, ALWAYS);
  return z.object({ apiVersion: z.literal(limits.apiVersion), kind: z.literal(TLS_ROUTE_KIND), metadata: gatewayApiMetaSchema(), spec });
}

function l4RouteSchema<K extends string>(kind: K, limits: VersionLimits) {
  const spec = z
    .object({
      parentRefs: z.array(parentRefSchema).max(32).default(() => []),
      rules: rulesSchema(limits),
    })
    .superRefine(checkSpec, ALWAYS);
  return z.object({ apiVersion: z.literal(limits.apiVersion), kind: z.literal(kind), metadata: gatewayApiMetaSchema(), spec });
}

/** TLSRoute per served apiVersion. */
export const tlsRouteSchemas = {
  v1alpha2: tlsRouteSchema(V1ALPHA2),
  v1alpha3: tlsRouteSchema(V1ALPHA3),
  v1: tlsRouteSchema(V1),
};
/** TCPRoute per served apiVersion (v1alpha3 never had one). */
export const tcpRouteSchemas = {
  v1alpha2: l4RouteSchema(TCP_ROUTE_KIND, V1ALPHA2),
  v1: l4RouteSchema(TCP_ROUTE_KIND, V1),
};
/** UDPRoute per served apiVersion. */
export const udpRouteSchemas = {
  v1alpha2: l4RouteSchema(UDP_ROUTE_KIND, V1ALPHA2),
  v1: l4RouteSchema(UDP_ROUTE_KIND, V1),
};

type OutputOf<T extends Record<string, z.ZodType>> = z.output<T[keyof T]>;
export type TLSRouteDoc = OutputOf<typeof tlsRouteSchemas>;
export type TCPRouteDoc = OutputOf<typeof tcpRouteSchemas>;
export type UDPRouteDoc = OutputOf<typeof udpRouteSchemas>;
export type StreamRouteRuleSpec = z.output<typeof streamRuleSchema>;
export type StreamBackendRefSpec = z.output<typeof streamBackendRefSchema>;

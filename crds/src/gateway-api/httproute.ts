// gateway.networking.k8s.io/v1 HTTPRoute (apis/v1/httproute_types.go): the
// standard-channel CRD's limits, defaults and CEL rules, plus the
// experimental GEP-1731 `retry` (accepted when present, as the experimental
// CRD would).
import { z } from 'zod';
import { sessionPersistenceSchema } from './session-persistence.js';
import { ALWAYS, asRecord, asRecords, asString } from '../loose.js';
import {
  backendObjectRefShape,
  durationMs,
  durationSchema,
  GATEWAY_API_V1,
  gatewayApiMetaSchema,
  headerNameSchema,
  hostnameSchema,
  parentRefSchema,
  requirePortForService,
} from './common.js';
import { httpRouteFilterSchema } from './httproute-filters.js';

export const HTTP_ROUTE_KIND = 'HTTPRoute';

// Standard channel maxItems as of v1.2: 16 rules, 64 matches per rule and (a
// CEL rule) at most 128 matches in the whole route. v1.0 allowed only 8 per
// rule; accepting the newer limit never rejects what the newer CRDs admit.
export const MAX_RULES = 16;
export const MAX_MATCHES = 64;
export const MAX_ROUTE_MATCHES = 128;
export const MAX_WEIGHT = 1_000_000;

const PATH_CHARS = "^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$";
const pathCharsRe = new RegExp(PATH_CHARS);
const ABS = "when type one of ['Exact', 'PathPrefix']";

// The CRD's CEL rules for Exact and PathPrefix path values.
function pathValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (!value.startsWith('/')) errs.push(`value must be an absolute path and start with '/' ${ABS}`);
  for (const bad of ['//', '/./', '/../', '%2f', '%2F', '#']) if (value.includes(bad)) errs.push(`must not contain '${bad}' ${ABS}`);
  for (const bad of ['/..', '/.']) if (value.endsWith(bad)) errs.push(`must not end with '${bad}' ${ABS}`);
  if (!pathCharsRe.test(value)) errs.push(`must only contain valid characters (matching ${PATH_CHARS}) for types ['Exact', 'PathPrefix']`);
  return errs;
}

const pathMatchSchema = z
  .object({
    type: z.enum(['Exact', 'PathPrefix', 'RegularExpression']).default('PathPrefix'),
    value: z.string().max(1024).default('/'),
  })
  .superRefine((p, ctx) => {
    if (p.type === 'RegularExpression') return;
    for (const message of pathValueErrors(p.value)) ctx.addIssue({ code: 'custom', message, path: ['value'] });
  });

function uniqueByName(items: { name: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  items.forEach((h, i) => {
    if (seen.has(h.name)) ctx.addIssue({ code: 'custom', message: `Duplicate value: ${JSON.stringify(h.name)}`, path: [i, 'name'] });
    seen.add(h.name);
  });
}

const stringMatchType = z.enum(['Exact', 'RegularExpression']).default('Exact');

const matchSchema = z.object({
  path: pathMatchSchema.default(() => ({ type: 'PathPrefix' as const, value: '/' })),
  headers: z
    .array(z.object({ type: stringMatchType, name: headerNameSchema, value: z.string().min(1).max(4096) }))
    .max(16)
    .superRefine(uniqueByName)
    .default(() => []),
  queryParams: z
    .array(z.object({ type: stringMatchType, name: headerNameSchema, value: z.string().min(1).max(1024) }))
    .max(16)
    .superRefine(uniqueByName)
    .default(() => []),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']).optional(),
});

const filterListSchema = z.array(httpRouteFilterSchema).max(16);

const backendRefSchema = z
  .object({
    ...backendObjectRefShape,
    weight: z.int().min(0).max(MAX_WEIGHT).default(1),
    filters: filterListSchema.default(() => []),
  })
  .superRefine(requirePortForService);

const timeoutsSchema = z
  .object({ request: durationSchema.optional(), backendRequest: durationSchema.optional() })
  .superRefine((t, ctx) => {
    const request = t.request === undefined ? undefined : durationMs(t.request);
    const backend = t.backendRequest === undefined ? undefined : durationMs(t.backendRequest);
    if (request !== undefined && backend !== undefined && request !== 0 && backend > request) {
      ctx.addIssue({ code: 'custom', message: 'backendRequest timeout cannot be longer than request timeout', path: ['backendRequest'] });
    }
  });

const retrySchema = z.object({
  codes: z.array(z.int().min(400).max(599)).default(() => []),
  attempts: z.int().min(0).optional(),
  backoff: durationSchema.optional(),
});

type Issue = (path: (string | number)[], message: string) => void;

// CEL on a filter list (rule filters and backendRef filters alike).
function checkFilterList(raw: unknown, issue: Issue): void {
  const types = asRecords(raw).map((f) => asString(f?.type));
  if (types.includes('RequestRedirect') && types.includes('URLRewrite')) {
    issue([], 'May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both');
  }
  for (const t of ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite']) {
    if (types.filter((x) => x === t).length > 1) issue([], `${t} filter cannot be repeated`);
  }
}

function usesReplacePrefixMatch(raw: unknown): boolean {
  return asRecords(raw).some((f) => {
    const config = asRecord(f?.type === 'RequestRedirect' ? f.requestRedirect : f?.type === 'URLRewrite' ? f.urlRewrite : undefined);
    return asString(asRecord(config?.path)?.type) === 'ReplacePrefixMatch';
  });
}

// CEL on HTTPRouteRule: filter combinations, redirect vs backends, and
// ReplacePrefixMatch only under exactly one PathPrefix match.
function checkRule(raw: unknown, issue: Issue): void {
  const rule = asRecord(raw);
  if (rule === undefined) return;
  const filters = asRecords(rule.filters);
  const backendRefs = asRecords(rule.backendRefs);
  checkFilterList(rule.filters, (p, m) => issue(['filters', ...p], m));
  if (backendRefs.length > 0 && filters.some((f) => f?.type === 'RequestRedirect')) issue(['filters'], 'RequestRedirect filter must not be used together with backendRefs');
  const matches = Array.isArray(rule.matches) ? asRecords(rule.matches) : [undefined]; // absent: one default PathPrefix "/" match
  const onePrefix = matches.length === 1 && (asString(asRecord(matches[0]?.path)?.type) ?? 'PathPrefix') === 'PathPrefix';
  const replacePrefixMessage = 'exactly one PathPrefix match must be specified to use path.replacePrefixMatch';
  if (!onePrefix && usesReplacePrefixMatch(rule.filters)) issue(['filters'], `When using RequestRedirect or URLRewrite filter with path.replacePrefixMatch, ${replacePrefixMessage}`);
  backendRefs.forEach((b, i) => {
    checkFilterList(b?.filters, (p, m) => issue(['backendRefs', i, 'filters', ...p], m));
    if (!onePrefix && usesReplacePrefixMatch(b?.filters)) issue(['backendRefs', i, 'filters'], `Within backendRefs, when using RequestRedirect or URLRewrite filter with path.replacePrefixMatch, ${replacePrefixMessage}`);
  });
}

const ruleSchema = z
  .object({
    matches: z.array(matchSchema).max(MAX_MATCHES).default(() => [{ path: { type: 'PathPrefix' as const, value: '/' }, headers: [], queryParams: [] }]),
    filters: filterListSchema.default(() => []),
    backendRefs: z.array(backendRefSchema).max(16).default(() => []),
    timeouts: timeoutsSchema.optional(),
    retry: retrySchema.optional(),
    sessionPersistence: sessionPersistenceSchema.optional(),
  })
  .superRefine((rule, ctx) => checkRule(rule, (path, message) => ctx.addIssue({ code: 'custom', message, path })), ALWAYS);

// CEL on parentRefs (CommonRouteSpec, so every route kind): several
// references to one parent must each name a distinct sectionName/port, and
// all set (or all omit) the same ones.
export function checkParentRefs(raw: unknown, issue: Issue): void {
  const groups = new Map<string, number[]>();
  const refs = asRecords(raw);
  refs.forEach((p, i) => {
    if (p === undefined) return;
    const key = [p.group ?? 'gateway.networking.k8s.io', p.kind ?? 'Gateway', p.namespace ?? '', p.name].map(String).join('/');
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  for (const indexes of groups.values()) {
    if (indexes.length < 2) continue;
    const shape = (i: number) => `${refs[i]?.sectionName !== undefined}/${refs[i]?.port !== undefined}`;
    const seen = new Set<string>();
    for (const i of indexes) {
      if (shape(i) !== shape(indexes[0]!)) issue([i], 'sectionName or port must be specified when parentRefs includes 2 or more references to the same parent');
      const id = `${String(refs[i]?.sectionName)}/${String(refs[i]?.port)}`;
      if (seen.has(id)) issue([i], 'sectionName or port must be unique when parentRefs includes 2 or more references to the same parent');
      seen.add(id);
    }
  }
}

const httpRouteSpecSchema = z
  .object({
    parentRefs: z.array(parentRefSchema).max(32).default(() => []),
    hostnames: z.array(hostnameSchema).max(16).default(() => []),
    rules: z
      .array(ruleSchema)
      .max(MAX_RULES)
      .default(() => [{ matches: [{ path: { type: 'PathPrefix' as const, value: '/' }, headers: [], queryParams: [] }], filters: [], backendRefs: [] }]),
  })
  .superRefine((spec, ctx) => {
    checkParentRefs(asRecord(spec)?.parentRefs, (path, message) => ctx.addIssue({ code: 'custom', message, path: ['parentRefs', ...path] }));
    const rules = asRecord(spec)?.rules;
    const total = Array.isArray(rules) ? rules.reduce((n: number, r: unknown) => n + (Array.isArray(asRecord(r)?.matches) ? (asRecord(r)!.matches as unknown[]).length : 1), 0) : 0;
    if (total > MAX_ROUTE_MATCHES)
      ctx.addIssue({ code: 'custom', message: `While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than ${MAX_ROUTE_MATCHES}`, path: ['rules'] });
  }, ALWAYS);

export const httpRouteSchema = z.object({
  apiVersion: z.literal(GATEWAY_API_V1),
  kind: z.literal(HTTP_ROUTE_KIND),
  metadata: gatewayApiMetaSchema(),
  spec: httpRouteSpecSchema,
});

export type HttpRouteSpec = z.output<typeof httpRouteSpecSchema>;
export type HttpRouteRuleSpec = z.output<typeof ruleSchema>;
export type HttpRouteMatchSpec = z.output<typeof matchSchema>;
export type HttpBackendRefSpec = z.output<typeof backendRefSchema>;

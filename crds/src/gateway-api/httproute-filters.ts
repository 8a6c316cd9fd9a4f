// HTTPRouteFilter and its configurations (apis/v1/httproute_types.go), with
// the CRD's CEL rules: a filter's config field must match its type, and path
// modifiers must carry the value their type names.
import { z } from 'zod';
import { backendObjectRefSchema, groupSchema, headerNameSchema, kindSchema, objectNameSchema, portSchema, preciseHostnameSchema } from './common.js';

export const FILTER_TYPES = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite', 'ExtensionRef'] as const;
export type FilterType = (typeof FILTER_TYPES)[number];

// Header names are case-insensitive, but the CRD's list-map key is the
// literal name: duplicates differing only in case pass the API server.
function uniqueNames<T extends { name: string }>(items: T[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  items.forEach((h, i) => {
    if (seen.has(h.name)) ctx.addIssue({ code: 'custom', message: `Duplicate value: ${JSON.stringify(h.name)}`, path: [i, 'name'] });
    seen.add(h.name);
  });
}

const headerSchema = z.object({ name: headerNameSchema, value: z.string().min(1).max(4096) });
const headerListSchema = z.array(headerSchema).max(16).superRefine(uniqueNames);

export const headerFilterSchema = z.object({
  set: headerListSchema.default(() => []),
  add: headerListSchema.default(() => []),
  remove: z
    .array(z.string())
    .max(16)
    .superRefine((names, ctx) => {
      const seen = new Set<string>();
      names.forEach((n, i) => {
        if (seen.has(n)) ctx.addIssue({ code: 'custom', message: `Duplicate value: ${JSON.stringify(n)}`, path: [i] });
        seen.add(n);
      });
    })
    .default(() => []),
});

const pathModifierSchema = z
  .object({
    type: z.enum(['ReplaceFullPath', 'ReplacePrefixMatch']),
    replaceFullPath: z.string().max(1024).optional(),
    replacePrefixMatch: z.string().max(1024).optional(),
  })
  .superRefine((p, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (p.type === 'ReplaceFullPath' && p.replaceFullPath === undefined) issue("replaceFullPath must be specified when type is set to 'ReplaceFullPath'");
    if (p.replaceFullPath !== undefined && p.type !== 'ReplaceFullPath') issue("type must be 'ReplaceFullPath' when replaceFullPath is set");
    if (p.type === 'ReplacePrefixMatch' && p.replacePrefixMatch === undefined) issue("replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'");
    if (p.replacePrefixMatch !== undefined && p.type !== 'ReplacePrefixMatch') issue("type must be 'ReplacePrefixMatch' when replacePrefixMatch is set");
  });

const redirectSchema = z.object({
  scheme: z.enum(['http', 'https']).optional(),
  hostname: preciseHostnameSchema.optional(),
  path: pathModifierSchema.optional(),
  port: portSchema.optional(),
  // The CRD's enum is 301 | 302 with default 302.
  statusCode: z.union([z.literal(301), z.literal(302)], { error: 'Unsupported value: supported values: 301, 302' }).default(302),
});

const rewriteSchema = z.object({ hostname: preciseHostnameSchema.optional(), path: pathModifierSchema.optional() });

export const mirrorSchema = z
  .object({
    backendRef: backendObjectRefSchema,
    percent: z.int().min(0).max(100).optional(),
    fraction: z
      .object({ numerator: z.int().min(0), denominator: z.int().min(1).default(100) })
      .refine((f) => f.numerator <= f.denominator, 'numerator must be less than or equal to denominator')
      .optional(),
  })
  .refine((m) => m.percent === undefined || m.fraction === undefined, 'Only one of percent or fraction may be specified in HTTPRequestMirrorFilter');

export const extensionRefSchema = z.object({ group: groupSchema, kind: kindSchema, name: objectNameSchema });

const CONFIG_FIELDS: Record<FilterType, string> = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestMirror: 'requestMirror',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  ExtensionRef: 'extensionRef',
};

export const httpRouteFilterSchema = z
  .object({
    type: z.enum(FILTER_TYPES),
    requestHeaderModifier: headerFilterSchema.optional(),
    responseHeaderModifier: headerFilterSchema.optional(),
    requestMirror: mirrorSchema.optional(),
    requestRedirect: redirectSchema.optional(),
    urlRewrite: rewriteSchema.optional(),
    extensionRef: extensionRefSchema.optional(),
  })
  .superRefine((f, ctx) => {
    for (const [type, field] of Object.entries(CONFIG_FIELDS)) {
      const set = (f as Record<string, unknown>)[field] !== undefined;
      if (set && f.type !== type) ctx.addIssue({ code: 'custom', message: `filter.${field} must be nil if the filter.type is not ${type}`, path: [field] });
      if (!set && f.type === type) ctx.addIssue({ code: 'custom', message: `filter.${field} must be specified for ${type} filter.type`, path: [field] });
    }
  });

export type HttpRouteFilterSpec = z.output<typeof httpRouteFilterSchema>;
export type HeaderFilterSpec = z.output<typeof headerFilterSchema>;
export type PathModifierSpec = z.output<typeof pathModifierSchema>;

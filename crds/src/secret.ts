// Kubernetes core/v1 Secret, validated like the API server (ValidateSecret):
// data keys are config keys, values base64, and type kubernetes.io/tls needs
// tls.crt and tls.key. Gateway listeners read their certificates from these.
// stringData is folded into data the way the API server does on write, so
// consumers read one map.
import { z } from 'zod';
import { ALWAYS, asRecord, asString } from './loose.js';
import { objectMetaSchema } from './meta.js';
import { dns1123SubdomainErrors } from './names.js';

export const SECRET_API_VERSION = 'v1';
export const SECRET_KIND = 'Secret';
export const TLS_SECRET_TYPE = 'kubernetes.io/tls';
export const TLS_CERT_KEY = 'tls.crt';
export const TLS_PRIVATE_KEY_KEY = 'tls.key';

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function keyErrors(key: string): string[] {
  if (key.length > 253) return ['must be no more than 253 characters'];
  if (!CONFIG_KEY.test(key)) return [`invalid value ${JSON.stringify(key)}: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (regex used for validation is '[-._a-zA-Z0-9]+')`];
  if (key === '.' || key === '..') return [`invalid value ${JSON.stringify(key)}: must not be '.' or '..'`];
  return [];
}

const dataSchema = z.record(z.string(), z.string()).superRefine((data, ctx) => {
  for (const [key, value] of Object.entries(data)) {
    for (const message of keyErrors(key)) ctx.addIssue({ code: 'custom', message, path: [key] });
    // YAML folds long base64 over lines; the API server's JSON decoder does not accept whitespace, but kubectl strips it.
    if (!BASE64.test(value.replace(/\s+/g, ''))) ctx.addIssue({ code: 'custom', message: 'must be base64-encoded', path: [key] });
  }
});

export const secretSchema = z
  .object({
    apiVersion: z.literal(SECRET_API_VERSION),
    kind: z.literal(SECRET_KIND),
    metadata: objectMetaSchema(dns1123SubdomainErrors),
    type: z.string().min(1).default('Opaque'),
    data: dataSchema.default(() => ({})),
    stringData: z.record(z.string(), z.string()).optional(),
  })
  .superRefine((raw, ctx) => {
    const s = asRecord(raw);
    if (asString(s?.type) !== TLS_SECRET_TYPE) return;
    const keys = new Set([...Object.keys(asRecord(s?.data) ?? {}), ...Object.keys(asRecord(s?.stringData) ?? {})]);
    for (const key of [TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY]) if (!keys.has(key)) ctx.addIssue({ code: 'custom', message: 'Required value', path: ['data', key] });
  }, ALWAYS)
  .transform(({ stringData, data, ...rest }) => {
    const merged: Record<string, string> = {};
    for (const [k, v] of Object.entries(data)) merged[k] = v.replace(/\s+/g, '');
    for (const [k, v] of Object.entries(stringData ?? {})) merged[k] = Buffer.from(v, 'utf8').toString('base64');
    return { ...rest, data: merged };
  });

/** A data value of a parsed Secret, decoded; undefined when absent. */
export function secretValue(secret: { data: Record<string, string> }, key: string): string | undefined {
  const v = secret.data[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

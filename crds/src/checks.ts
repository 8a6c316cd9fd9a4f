// Small zod building blocks shared by the per-kind schemas. Syntax rules live
// in names.ts/ip.ts as plain functions; these wrap them so every reason the
// rule gives becomes one zod issue (and so one ConfigError line).
import { z } from 'zod';
import { labelValueErrors, qualifiedNameErrors } from './names.js';

type Rule = (value: string) => string[];

/** A string checked by a syntax rule. */
export function checkedString(rule: Rule) {
  return z.string().superRefine((value, ctx) => {
    for (const message of rule(value)) ctx.addIssue({ code: 'custom', message });
  });
}

/** Like checkedString, but '' means "not set" (Kubernetes treats empty strings as absent). */
export function optionalCheckedString(rule: Rule) {
  return z.string().superRefine((value, ctx) => {
    if (value === '') return;
    for (const message of rule(value)) ctx.addIssue({ code: 'custom', message });
  });
}

export const PORT_RANGE_MESSAGE = 'must be between 1 and 65535, inclusive';

/** A TCP/UDP port number as the API server accepts it for Service and endpoint ports. */
export const portNumberSchema = z.int().min(1, PORT_RANGE_MESSAGE).max(65535, PORT_RANGE_MESSAGE);

export const protocolSchema = z.enum(['TCP', 'UDP', 'SCTP']);

/** metadata.labels, spec.selector and Workload labels: qualified-name keys, label values. */
export const labelMapSchema = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  for (const [key, value] of Object.entries(labels)) {
    for (const message of qualifiedNameErrors(key)) ctx.addIssue({ code: 'custom', message: `invalid label key: ${message}`, path: [key] });
    for (const message of labelValueErrors(value)) ctx.addIssue({ code: 'custom', message, path: [key] });
  }
});

// The API server caps all annotations of one object together at 256 KiB.
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

export const annotationMapSchema = z.record(z.string(), z.string()).superRefine((annotations, ctx) => {
  let total = 0;
  for (const [key, value] of Object.entries(annotations)) {
    total += Buffer.byteLength(key) + Buffer.byteLength(value);
    for (const message of qualifiedNameErrors(key)) ctx.addIssue({ code: 'custom', message: `invalid annotation key: ${message}`, path: [key] });
  }
  if (total > ANNOTATIONS_MAX_BYTES) ctx.addIssue({ code: 'custom', message: `may not have more than ${ANNOTATIONS_MAX_BYTES} bytes in total` });
});

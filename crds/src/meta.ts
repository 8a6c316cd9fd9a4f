// metadata as the file provider needs it. Only the fields nodemesh reads are
// kept (uid, resourceVersion, managedFields... are dropped the way the API
// server prunes unknown fields), so cosmetic changes do not republish config.
import { z } from 'zod';
import { annotationMapSchema, checkedString, labelMapSchema } from './checks.js';
import { dns1123LabelErrors } from './names.js';

/** Every nodemesh-supported kind is namespaced; like kubectl, an absent namespace means "default". */
export const DEFAULT_NAMESPACE = 'default';

export function objectMetaSchema(nameRule: (value: string) => string[]) {
  return z.object({
    name: checkedString(nameRule),
    namespace: checkedString(dns1123LabelErrors).default(DEFAULT_NAMESPACE),
    // Factories, not literals, so parsed objects never share one mutable map.
    labels: labelMapSchema.default(() => ({})),
    annotations: annotationMapSchema.default(() => ({})),
  });
}

export type ObjectMeta = z.output<ReturnType<typeof objectMetaSchema>>;

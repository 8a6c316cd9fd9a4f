// metadata as the file provider needs it. Only the fields nodemesh reads are
// kept (uid, resourceVersion, managedFields... are dropped the way the API
// server prunes unknown fields), so cosmetic changes do not republish config.
import { z } from 'zod';
import { annotationMapSchema, checkedString, labelMapSchema, optionalCheckedString } from './checks.js';
import { dns1123LabelErrors } from './names.js';

/** Every nodemesh-supported kind is namespaced; like kubectl, an absent namespace means "default". */
export const DEFAULT_NAMESPACE = 'default';

export function objectMetaSchema(nameRule: (value: string) => string[]) {
  return z.object({
    // generateName is not supported: file-provided objects need a stable identity.
    name: checkedString((v) => (v === '' ? ['Required value'] : nameRule(v))),
    // kubectl treats an empty namespace like an absent one.
    namespace: optionalCheckedString(dns1123LabelErrors)
      .default('')
      .transform((v) => v || DEFAULT_NAMESPACE),
    // Factories, not literals, so parsed objects never share one mutable map.
    labels: labelMapSchema.default(() => ({})),
    annotations: annotationMapSchema.default(() => ({})),
  });
}

export type ObjectMeta = z.output<ReturnType<typeof objectMetaSchema>>;

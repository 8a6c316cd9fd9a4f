// Kubernetes core/v1 Namespace: only its name and labels matter to nodemesh
// (Gateway listeners admit routes by namespace label selector). As the API
// server does, every namespace carries kubernetes.io/metadata.name=<name>,
// whatever the document says.
import { z } from 'zod';
import { objectMetaSchema } from './meta.js';
import { dns1123LabelErrors } from './names.js';

export const NAMESPACE_API_VERSION = 'v1';
export const NAMESPACE_KIND = 'Namespace';
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export const namespaceSchema = z.object({
  apiVersion: z.literal(NAMESPACE_API_VERSION),
  kind: z.literal(NAMESPACE_KIND),
  // Cluster-scoped: namespace '' in keys and errors.
  metadata: objectMetaSchema(dns1123LabelErrors)
    .extend({ namespace: z.string().optional() })
    .transform((m) => ({ ...m, namespace: '', labels: { ...m.labels, [NAMESPACE_NAME_LABEL]: m.name } })),
});

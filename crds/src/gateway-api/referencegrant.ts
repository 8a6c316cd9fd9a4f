// gateway.networking.k8s.io/v1beta1 ReferenceGrant (apis/v1beta1/referencegrant_types.go):
// lets objects of the `from` kinds in other namespaces refer to the `to`
// objects in this grant's namespace.
import { z } from 'zod';
import { GATEWAY_API_V1BETA1, gatewayApiMetaSchema, groupSchema, kindSchema, namespaceSchema, objectNameSchema } from './common.js';

export const REFERENCE_GRANT_KIND = 'ReferenceGrant';

const referenceGrantSpecSchema = z.object({
  from: z.array(z.object({ group: groupSchema, kind: kindSchema, namespace: namespaceSchema })).min(1).max(16),
  to: z.array(z.object({ group: groupSchema, kind: kindSchema, name: objectNameSchema.optional() })).min(1).max(16),
});

export const referenceGrantSchema = z.object({
  apiVersion: z.literal(GATEWAY_API_V1BETA1),
  kind: z.literal(REFERENCE_GRANT_KIND),
  metadata: gatewayApiMetaSchema(),
  spec: referenceGrantSpecSchema,
});

export type ReferenceGrantSpec = z.output<typeof referenceGrantSpecSchema>;

// gateway.networking.k8s.io/v1 GatewayClass (apis/v1/gatewayclass_types.go):
// cluster-scoped; names the controller that implements Gateways of the class.
import { z } from 'zod';
import { checkedString } from '../checks.js';
import { clusterMetaSchema, GATEWAY_API_V1, groupSchema, kindSchema, namespaceSchema, objectNameSchema } from './common.js';

export const GATEWAY_CLASS_KIND = 'GatewayClass';

// GatewayController: a domain-prefixed path, e.g. nodemesh.io/gateway-controller.
const CONTROLLER_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$";
const controllerRe = new RegExp(CONTROLLER_PATTERN);

function controllerNameErrors(value: string): string[] {
  if (value === '') return ['must not be empty'];
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!controllerRe.test(value)) errs.push(`invalid value ${JSON.stringify(value)}: should match '${CONTROLLER_PATTERN}'`);
  return errs;
}

const gatewayClassSpecSchema = z.object({
  controllerName: checkedString(controllerNameErrors),
  parametersRef: z
    .object({ group: groupSchema, kind: kindSchema, name: objectNameSchema, namespace: namespaceSchema.optional() })
    .optional(),
  description: z.string().max(64).optional(),
});

export const gatewayClassSchema = z.object({
  apiVersion: z.literal(GATEWAY_API_V1),
  kind: z.literal(GATEWAY_CLASS_KIND),
  metadata: clusterMetaSchema(),
  spec: gatewayClassSpecSchema,
});

export type GatewayClassSpec = z.output<typeof gatewayClassSpecSchema>;

// gateway.networking.k8s.io/v1 Gateway (apis/v1/gateway_types.go), with the
// standard-channel CRD's OpenAPI limits and the CEL rules on listeners,
// tls and addresses. Protocols beyond HTTP/HTTPS are accepted here (the CRD
// accepts any ProtocolType); the translator reports the ones nodemesh does
// not serve yet.
import { z } from 'zod';
import { checkedString, labelMapSchema } from '../checks.js';
import { ipFamilyOf } from '../ip.js';
import { ALWAYS, asRecord, asRecords, asString } from '../loose.js';
import {
  GATEWAY_API_GROUP,
  GATEWAY_API_V1,
  gatewayApiMetaSchema,
  groupSchema,
  hostnameSchema,
  kindSchema,
  namespaceSchema,
  objectNameSchema,
  portSchema,
  PRECISE_HOSTNAME_PATTERN,
  sectionNameSchema,
} from './common.js';

export const GATEWAY_KIND = 'Gateway';

const PROTOCOL_PATTERN = '^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[A-Za-z0-9]+$';
const protocolRe = new RegExp(PROTOCOL_PATTERN);
const protocolSchema = checkedString((v) => {
  if (v === '') return ['must not be empty'];
  return v.length > 255 ? ['must be no more than 255 characters'] : protocolRe.test(v) ? [] : [`invalid value ${JSON.stringify(v)}: should match '${PROTOCOL_PATTERN}'`];
});

const secretRefSchema = z.object({
  group: groupSchema.default(''),
  kind: kindSchema.default('Secret'),
  name: objectNameSchema,
  namespace: namespaceSchema.optional(),
});

const tlsConfigSchema = z
  .object({
    mode: z.enum(['Terminate', 'Passthrough']).default('Terminate'),
    certificateRefs: z.array(secretRefSchema).max(64).default(() => []),
    options: z.record(z.string(), z.string().max(4096)).optional(),
  })
  .superRefine((tls, ctx) => {
    const options = Object.keys(tls.options ?? {}).length;
    if (options > 16) ctx.addIssue({ code: 'custom', message: 'must have at most 16 items', path: ['options'] });
    if (tls.mode === 'Terminate' && tls.certificateRefs.length === 0 && options === 0) {
      ctx.addIssue({ code: 'custom', message: 'certificateRefs or options must be specified when mode is Terminate' });
    }
  });

const labelSelectorSchema = z.object({
  matchLabels: labelMapSchema.optional(),
  matchExpressions: z
    .array(z.object({ key: z.string().min(1), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string()).optional() }))
    .optional(),
});

const allowedRoutesSchema = z.object({
  namespaces: z
    .object({ from: z.enum(['All', 'Selector', 'Same']).default('Same'), selector: labelSelectorSchema.optional() })
    .default(() => ({ from: 'Same' as const })),
  kinds: z.array(z.object({ group: groupSchema.default(GATEWAY_API_GROUP), kind: kindSchema })).max(8).optional(),
});

const listenerSchema = z.object({
  name: sectionNameSchema,
  hostname: hostnameSchema.optional(),
  port: portSchema,
  protocol: protocolSchema,
  tls: tlsConfigSchema.optional(),
  allowedRoutes: allowedRoutesSchema.default(() => ({ namespaces: { from: 'Same' as const } })),
});

const ADDRESS_TYPE_PATTERN = '^Hostname|IPAddress|NamedAddress|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[a-z0-9]+$';
const preciseHostnameRe = new RegExp(PRECISE_HOSTNAME_PATTERN);

const addressSchema = z
  .object({
    type: z
      .string()
      .regex(new RegExp(ADDRESS_TYPE_PATTERN), `should match '${ADDRESS_TYPE_PATTERN}'`)
      .max(253)
      .default('IPAddress'),
    value: z.string().min(1).max(253),
  })
  .superRefine((a, ctx) => {
    if (a.type === 'IPAddress' && ipFamilyOf(a.value) === undefined) ctx.addIssue({ code: 'custom', message: 'value must be an IP address', path: ['value'] });
    if (a.type === 'Hostname' && !preciseHostnameRe.test(a.value)) ctx.addIssue({ code: 'custom', message: 'value must be a hostname', path: ['value'] });
  });

type Issue = (path: (string | number)[], message: string) => void;

// The CEL rules on spec.listeners and spec.addresses. `raw` may be partially
// invalid (see loose.ts).
function checkListeners(raw: unknown, issue: Issue): void {
  const listeners = asRecords(raw);
  const names = new Map<string, number>();
  const combos = new Map<string, number>();
  listeners.forEach((l, i) => {
    if (l === undefined) return;
    const protocol = asString(l.protocol) ?? '';
    const hostname = asString(l.hostname);
    if (['HTTP', 'TCP', 'UDP'].includes(protocol) && l.tls !== undefined) issue([i, 'tls'], "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']");
    if (['HTTPS', 'TLS'].includes(protocol) && l.tls === undefined) issue([i, 'tls'], "tls mode must be set for protocols ['HTTPS', 'TLS']");
    if (['TCP', 'UDP'].includes(protocol) && hostname !== undefined && hostname !== '') issue([i, 'hostname'], "hostname must not be specified for protocols ['TCP', 'UDP']");
    const name = asString(l.name);
    if (name !== undefined) {
      if (names.has(name)) issue([i, 'name'], `Listener name must be unique within the Gateway (also listeners[${names.get(name)}])`);
      else names.set(name, i);
    }
    const combo = `${String(l.port)}/${protocol}/${hostname ?? ''}`;
    if (combos.has(combo)) issue([i], `Combination of port, protocol and hostname must be unique for each listener (also listeners[${combos.get(combo)}])`);
    else combos.set(combo, i);
  });
}

function checkAddresses(raw: unknown, issue: Issue): void {
  const seen = new Map<string, number>();
  asRecords(raw).forEach((a, i) => {
    const type = asString(a?.type) ?? 'IPAddress';
    const value = asString(a?.value);
    if (value === undefined || (type !== 'IPAddress' && type !== 'Hostname')) return;
    const key = `${type}/${value}`;
    if (seen.has(key)) issue([i, 'value'], `${type} values must be unique`);
    else seen.set(key, i);
  });
}

const gatewaySpecSchema = z
  .object({
    gatewayClassName: objectNameSchema,
    listeners: z.array(listenerSchema).min(1).max(64),
    addresses: z.array(addressSchema).max(16).default(() => []),
  })
  .superRefine((spec, ctx) => {
    const s = asRecord(spec);
    checkListeners(s?.listeners, (path, message) => ctx.addIssue({ code: 'custom', message, path: ['listeners', ...path] }));
    checkAddresses(s?.addresses, (path, message) => ctx.addIssue({ code: 'custom', message, path: ['addresses', ...path] }));
  }, ALWAYS);

export const gatewaySchema = z.object({
  apiVersion: z.literal(GATEWAY_API_V1),
  kind: z.literal(GATEWAY_KIND),
  metadata: gatewayApiMetaSchema(),
  spec: gatewaySpecSchema,
});

export type GatewaySpec = z.output<typeof gatewaySpecSchema>;
export type ListenerSpec = z.output<typeof listenerSchema>;
export type LabelSelectorSpec = z.output<typeof labelSelectorSchema>;
export type SecretRefSpec = z.output<typeof secretRefSchema>;

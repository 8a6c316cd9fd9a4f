// Kubernetes networking.k8s.io/v1 NetworkPolicy, validated the way the API
// server validates it (pkg/apis/networking/validation ValidateNetworkPolicy)
// for the fields nodemesh reads: podSelector, policyTypes, ingress[].from[]
// (podSelector, namespaceSelector, ipBlock) and ingress[].ports. Egress rules
// are kept only as "present" (they are the CNI's business; the auth
// translator warns that nodemesh ignores them). Allow/deny itself stays the
// CNI's job too: nodemesh reads a NetworkPolicy only for its
// `nodemesh.io/mtls` annotation, which the auth translator checks (an invalid
// value must not reject the object, so the annotation is not checked here).
import { z } from 'zod';
import { labelMapSchema, PORT_RANGE_MESSAGE, protocolSchema } from './checks.js';
import { addressBytes } from './node.js';
import { ipFamilyOf } from './ip.js';
import { ALWAYS, asRecord } from './loose.js';
import { objectMetaSchema } from './meta.js';
import { dns1123SubdomainErrors, ianaSvcNameErrors, labelValueErrors, qualifiedNameErrors } from './names.js';

export const NETWORK_POLICY_API_VERSION = 'networking.k8s.io/v1';
export const NETWORK_POLICY_KIND = 'NetworkPolicy';
/**
 * On a NetworkPolicy: whether the ingress it allows must be mutually
 * authenticated: `required` (once per identity pair), `required-per-connection`
 * (every new connection, bound to its 4-tuple) or `disabled`.
 */
export const MTLS_ANNOTATION = 'nodemesh.io/mtls';
export const MTLS_ANNOTATION_VALUES = ['required', 'disabled', 'required-per-connection'] as const;

type Issue = (path: (string | number)[], message: string) => void;

// ValidateLabelSelectorRequirement: keys are label names; In/NotIn need
// values, Exists/DoesNotExist forbid them; values are label values.
export function checkSelectorRequirement(raw: unknown, issue: Issue, keyErrors: (key: string) => string[] = qualifiedNameErrors): void {
  const r = asRecord(raw);
  if (r === undefined) return;
  const values = Array.isArray(r.values) ? r.values : [];
  if ((r.operator === 'In' || r.operator === 'NotIn') && values.length === 0) issue(['values'], "must be specified when `operator` is 'In' or 'NotIn'");
  if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && values.length > 0) issue(['values'], "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
  if (typeof r.key === 'string') for (const m of keyErrors(r.key)) issue(['key'], m);
  values.forEach((v, i) => {
    if (typeof v === 'string') for (const m of labelValueErrors(v)) issue(['values', i], m);
  });
}

const selectorRequirementSchema = z
  .object({
    key: z.string(),
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
    values: z.array(z.string()).optional(),
  })
  .superRefine((r, ctx) => checkSelectorRequirement(r, (path, message) => ctx.addIssue({ code: 'custom', path, message })));

/** metav1.LabelSelector. Empty (`{}`) selects everything. */
export const labelSelectorSchema = z.object({
  matchLabels: labelMapSchema.optional(),
  matchExpressions: z.array(selectorRequirementSchema).optional(),
});
export type LabelSelector = z.output<typeof labelSelectorSchema>;

/** Does `selector` select an object with `labels`? (metav1.LabelSelectorAsSelector semantics.) */
export function labelSelectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key] ?? '';
    const values = e.values ?? [];
    const ok = e.operator === 'In' ? has && values.includes(value) : e.operator === 'NotIn' ? !has || !values.includes(value) : e.operator === 'Exists' ? has : !has;
    if (!ok) return false;
  }
  return true;
}

/** A prefix as the API server parses it for ipBlock (host bits may be set: ParseCIDRSloppy), or undefined. */
export function parsePrefix(value: string): { bytes: number[]; bits: number } | undefined {
  const slash = value.indexOf('/');
  if (slash < 0) return undefined;
  const addr = value.slice(0, slash);
  const bitsText = value.slice(slash + 1);
  const family = ipFamilyOf(addr);
  if (family === undefined || !/^\d{1,3}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > (family === 'IPv6' ? 128 : 32)) return undefined;
  return { bytes: addressBytes(addr), bits };
}

/** Is `address` (an IP) inside `prefix`? */
export function prefixContains(prefix: { bytes: number[]; bits: number }, address: number[]): boolean {
  if (prefix.bytes.length !== address.length) return false;
  for (let i = 0; i < address.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix.bits - i * 8));
    const mask = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    if ((prefix.bytes[i]! & mask) !== (address[i]! & mask)) return false;
  }
  return true;
}

const cidrMessage = (v: string) => `invalid CIDR address: ${v}`;

// ValidateIPBlock: a CIDR, and every `except` a strict subset of it.
const ipBlockSchema = z
  .object({
    cidr: z.string().superRefine((v, ctx) => {
      if (v === '') ctx.addIssue({ code: 'custom', message: 'Required value' });
      else if (parsePrefix(v) === undefined) ctx.addIssue({ code: 'custom', message: cidrMessage(v) });
    }),
    except: z.array(z.string()).optional(),
  })
  .superRefine((b, ctx) => {
    const outer = parsePrefix(b.cidr);
    (b.except ?? []).forEach((e, i) => {
      const inner = parsePrefix(e);
      if (inner === undefined) ctx.addIssue({ code: 'custom', path: ['except', i], message: cidrMessage(e) });
      else if (outer !== undefined && !(inner.bits > outer.bits && prefixContains(outer, inner.bytes))) {
        ctx.addIssue({ code: 'custom', path: ['except', i], message: 'must be a strict subset of `cidr`' });
      }
    });
  });

const peerSchema = z
  .object({
    podSelector: labelSelectorSchema.optional(),
    namespaceSelector: labelSelectorSchema.optional(),
    ipBlock: ipBlockSchema.optional(),
  })
  .superRefine((p, ctx) => {
    const selectors = (p.podSelector ? 1 : 0) + (p.namespaceSelector ? 1 : 0);
    if (selectors === 0 && !p.ipBlock) ctx.addIssue({ code: 'custom', message: 'must specify a peer' });
    if (selectors > 0 && p.ipBlock) ctx.addIssue({ code: 'custom', message: 'may not specify both ipBlock and another peer' });
  });

// NetworkPolicyPort: port is a number (1-65535) or an IANA port name; endPort
// needs a numeric port and must not be below it.
const policyPortSchema = z
  .object({
    protocol: protocolSchema.default('TCP'),
    port: z
      .union([z.int(), z.string()])
      .optional()
      .superRefine((v, ctx) => {
        if (typeof v === 'number' && (v < 1 || v > 65535)) ctx.addIssue({ code: 'custom', message: PORT_RANGE_MESSAGE });
        if (typeof v === 'string') for (const message of ianaSvcNameErrors(v)) ctx.addIssue({ code: 'custom', message });
      }),
    endPort: z.int().min(1, PORT_RANGE_MESSAGE).max(65535, PORT_RANGE_MESSAGE).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.endPort === undefined) return;
    if (p.port === undefined) ctx.addIssue({ code: 'custom', path: ['endPort'], message: 'must be specified when `endPort` is specified' });
    else if (typeof p.port === 'string') ctx.addIssue({ code: 'custom', path: ['endPort'], message: 'may not be specified when `port` is non-numeric' });
    else if (p.endPort < p.port) ctx.addIssue({ code: 'custom', path: ['endPort'], message: 'must be greater than or equal to `port`' });
  });
export type NetworkPolicyPort = z.output<typeof policyPortSchema>;

const ingressRuleSchema = z.object({
  ports: z.array(policyPortSchema).optional(),
  from: z.array(peerSchema).optional(),
});

const specSchema = z
  .object({
    podSelector: labelSelectorSchema.default(() => ({})),
    ingress: z.array(ingressRuleSchema).optional(),
    // Read only to warn that nodemesh ignores egress rules.
    egress: z.array(z.unknown()).optional(),
    policyTypes: z.array(z.enum(['Ingress', 'Egress'])).optional(),
  })
  .superRefine((s, ctx) => {
    const types = s.policyTypes ?? [];
    if (types.length > 2) ctx.addIssue({ code: 'custom', path: ['policyTypes'], message: 'may not specify more than two policyTypes' });
  }, ALWAYS)
  // The API server's defaulting: without policyTypes, Ingress, plus Egress when there are egress rules.
  .transform((s) => ({ ...s, policyTypes: s.policyTypes ?? (s.egress && s.egress.length > 0 ? (['Ingress', 'Egress'] as const) : (['Ingress'] as const)).slice() }));

export const networkPolicySchema = z.object({
  apiVersion: z.literal(NETWORK_POLICY_API_VERSION),
  kind: z.literal(NETWORK_POLICY_KIND),
  metadata: objectMetaSchema(dns1123SubdomainErrors),
  spec: specSchema.prefault(() => ({})),
});

export type NetworkPolicySpec = z.output<typeof specSchema>;
export type NetworkPolicyPeer = z.output<typeof peerSchema>;

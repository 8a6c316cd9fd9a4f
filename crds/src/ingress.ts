// Kubernetes networking.k8s.io/v1 Ingress and IngressClass, validated the way
// the API server validates a create (pkg/apis/networking/validation
// ValidateIngressCreate, ValidateIngressClass): hosts are DNS names (a
// leading `*.` allowed, no IPs), Exact and Prefix paths are absolute and free
// of the forbidden sequences, a backend is exactly one of a Service (with
// exactly one of a port name or number) or a resource, and a spec needs rules
// or a defaultBackend. Wording follows the API server's messages.
import { z } from 'zod';
import { checkedString, optionalCheckedString, PORT_RANGE_MESSAGE } from './checks.js';
import { ipFamilyOf } from './ip.js';
import { ALWAYS, asRecord, asRecords, asString } from './loose.js';
import { dns1035LabelErrors, dns1123SubdomainErrors, ianaSvcNameErrors } from './names.js';
import { clusterMetaSchema, gatewayApiMetaSchema } from './gateway-api/common.js';

export const INGRESS_API_VERSION = 'networking.k8s.io/v1';
export const INGRESS_KIND = 'Ingress';
export const INGRESS_CLASS_KIND = 'IngressClass';
/** On an IngressClass: Ingresses without a class get this one (admission defaulting). */
export const DEFAULT_INGRESS_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
/** The class annotation that predates spec.ingressClassName (deprecated upstream, still honoured by controllers). */
export const LEGACY_INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

const WILDCARD_DNS1123_SUBDOMAIN = '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const wildcardRe = new RegExp(`^${WILDCARD_DNS1123_SUBDOMAIN}$`);

/** Ingress rule and TLS hosts: a DNS subdomain, or `*.` followed by one; never an IP address. */
export function ingressHostErrors(value: string): string[] {
  if (ipFamilyOf(value) !== undefined) return ['must be a DNS name, not an IP address'];
  if (!value.includes('*')) return dns1123SubdomainErrors(value);
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!wildcardRe.test(value)) {
    errs.push(
      `invalid value ${JSON.stringify(value)}: a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '${WILDCARD_DNS1123_SUBDOMAIN}')`,
    );
  }
  return errs;
}

const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];

/** IsValidPathSegmentName: kind and name of a resource backend. */
function pathSegmentErrors(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (value.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

const serviceBackendSchema = z.object({
  name: z.string().default(''),
  port: z
    .object({
      name: z.string().default(''),
      number: z.int().min(0, PORT_RANGE_MESSAGE).max(65535, PORT_RANGE_MESSAGE).default(0),
    })
    .default(() => ({ name: '', number: 0 })),
});

const resourceBackendSchema = z.object({
  apiGroup: z.string().optional(),
  kind: z.string().default(''),
  name: z.string().default(''),
});

type Issue = (path: (string | number)[], message: string) => void;

// validateIngressBackend: exactly one kind of backend, each checked in full.
function checkBackend(raw: unknown, issue: Issue): void {
  const b = asRecord(raw);
  if (b === undefined) return;
  const service = asRecord(b.service);
  const resource = asRecord(b.resource);
  if (service !== undefined && resource !== undefined) return issue([], 'cannot set both resource and service backends');
  if (resource !== undefined) {
    const group = asString(resource.apiGroup);
    if (group !== undefined) for (const m of dns1123SubdomainErrors(group)) issue(['resource', 'apiGroup'], m);
    for (const key of ['kind', 'name'] as const) {
      const v = asString(resource[key]) ?? '';
      if (v === '') issue(['resource', key], `Required value: ${key} is required`);
      else for (const m of pathSegmentErrors(v)) issue(['resource', key], m);
    }
    return;
  }
  if (service === undefined) return issue([], 'resource or service backend is required');
  const name = asString(service.name) ?? '';
  if (name === '') issue(['service', 'name'], 'Required value');
  else for (const m of dns1035LabelErrors(name)) issue(['service', 'name'], m);
  const port = asRecord(service.port);
  const portName = asString(port?.name) ?? '';
  const portNumber = typeof port?.number === 'number' ? port.number : 0;
  if (portName !== '' && portNumber !== 0) issue(['service', 'port'], 'cannot set both port name & port number');
  else if (portName !== '') for (const m of ianaSvcNameErrors(portName)) issue(['service', 'port', 'name'], m);
  else if (portNumber === 0) issue(['service', 'port'], 'Required value: port name or number is required');
}

const backendSchema = z
  .object({ service: serviceBackendSchema.optional(), resource: resourceBackendSchema.optional() })
  .superRefine((b, ctx) => checkBackend(b, (path, message) => ctx.addIssue({ code: 'custom', message, path })), ALWAYS);

// validateIngressHTTPIngressPath.
function checkPath(raw: unknown, issue: Issue): void {
  const p = asRecord(raw);
  const type = asString(p?.pathType);
  const path = asString(p?.path) ?? '';
  if (type === 'Exact' || type === 'Prefix') {
    if (!path.startsWith('/')) issue(['path'], `Invalid value: ${JSON.stringify(path)}: must be an absolute path`);
    for (const bad of INVALID_PATH_SEQUENCES) if (path.includes(bad)) issue(['path'], `Invalid value: ${JSON.stringify(path)}: must not contain '${bad}'`);
    for (const bad of INVALID_PATH_SUFFIXES) if (path.endsWith(bad)) issue(['path'], `Invalid value: ${JSON.stringify(path)}: cannot end with '${bad}'`);
  } else if (type === 'ImplementationSpecific' && path !== '' && !path.startsWith('/')) {
    issue(['path'], `Invalid value: ${JSON.stringify(path)}: must be an absolute path`);
  }
}

const pathSchema = z
  .object({
    path: z.string().default(''),
    pathType: z.enum(['Exact', 'Prefix', 'ImplementationSpecific'], {
      error: (i) => (i.input === undefined ? 'Required value: pathType must be specified' : undefined),
    }),
    backend: backendSchema,
  })
  .superRefine((p, ctx) => checkPath(p, (path, message) => ctx.addIssue({ code: 'custom', message, path })), ALWAYS);

const ruleSchema = z.object({
  host: optionalCheckedString(ingressHostErrors).default(''),
  http: z.object({ paths: z.array(pathSchema).min(1, 'Required value') }).optional(),
});

const tlsSchema = z.object({
  hosts: z.array(checkedString(ingressHostErrors)).default(() => []),
  secretName: optionalCheckedString(dns1123SubdomainErrors).default(''),
});

const ingressSpecSchema = z
  .object({
    ingressClassName: optionalCheckedString(dns1123SubdomainErrors).optional(),
    defaultBackend: backendSchema.optional(),
    tls: z.array(tlsSchema).default(() => []),
    rules: z.array(ruleSchema).default(() => []),
  })
  .superRefine((raw, ctx) => {
    const spec = asRecord(raw);
    if (asRecords(spec?.rules).length === 0 && spec?.defaultBackend === undefined) {
      ctx.addIssue({ code: 'custom', message: 'either `defaultBackend` or `rules` must be specified' });
    }
  }, ALWAYS);

export const ingressSchema = z.object({
  apiVersion: z.literal(INGRESS_API_VERSION),
  kind: z.literal(INGRESS_KIND),
  // Like Gateway API objects: creationTimestamp decides conflicts between Ingresses.
  metadata: gatewayApiMetaSchema(),
  spec: ingressSpecSchema,
});

// IsDomainPrefixedPath: `example.com/path`.
const CONTROLLER_PATH = "^[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+$";
function controllerErrors(value: string): string[] {
  if (value === '') return ['Required value'];
  const errs: string[] = [];
  if (value.length > 250) errs.push('must be no more than 250 characters');
  const slash = value.indexOf('/');
  if (slash < 0) return [...errs, `Invalid value: ${JSON.stringify(value)}: must be a domain-prefixed path (such as "acme.io/foo")`];
  errs.push(...dns1123SubdomainErrors(value.slice(0, slash)));
  const path = value.slice(slash + 1);
  if (path === '' || !new RegExp(CONTROLLER_PATH).test(path)) errs.push(`Invalid value: ${JSON.stringify(path)}: path must match the regex ${CONTROLLER_PATH}`);
  return errs;
}

const ingressClassSpecSchema = z.object({
  controller: checkedString(controllerErrors),
  parameters: z
    .object({
      apiGroup: z.string().optional(),
      kind: z.string().min(1, 'Required value'),
      name: z.string().min(1, 'Required value'),
      scope: z.enum(['Cluster', 'Namespace']).default('Cluster'),
      namespace: z.string().optional(),
    })
    .superRefine((p, ctx) => {
      if (p.scope === 'Namespace' && !p.namespace) ctx.addIssue({ code: 'custom', message: '`parameters.scope` is set to "Namespace"', path: ['namespace'] });
      if (p.scope === 'Cluster' && p.namespace) ctx.addIssue({ code: 'custom', message: '`parameters.scope` is set to "Cluster"', path: ['namespace'] });
    })
    .optional(),
});

export const ingressClassSchema = z.object({
  apiVersion: z.literal(INGRESS_API_VERSION),
  kind: z.literal(INGRESS_CLASS_KIND),
  // Cluster-scoped: namespace '' in keys and errors.
  metadata: clusterMetaSchema(),
  spec: ingressClassSpecSchema,
});

export type IngressSpec = z.output<typeof ingressSpecSchema>;
export type IngressRuleSpec = z.output<typeof ruleSchema>;
export type IngressPathSpec = z.output<typeof pathSchema>;
export type IngressBackendSpec = z.output<typeof backendSchema>;
export type IngressTlsSpec = z.output<typeof tlsSchema>;
export type IngressClassSpec = z.output<typeof ingressClassSpecSchema>;

// Kubernetes core/v1 Service, validated the way the API server validates a
// create (pkg/apis/core/validation ValidateService), after the defaulting it
// applies: protocol TCP, type ClusterIP, targetPort = port, clusterIPs
// initialised from clusterIP.
import { z } from 'zod';
import { checkedString, labelMapSchema, optionalCheckedString, PORT_RANGE_MESSAGE, portNumberSchema, protocolSchema } from './checks.js';
import { ipErrors, ipFamilyOf } from './ip.js';
import { ALWAYS, asRecord, asRecords, asString, asStrings } from './loose.js';
import { objectMetaSchema } from './meta.js';
import { dns1035LabelErrors, dns1123LabelErrors, dns1123SubdomainErrors, ianaSvcNameErrors, qualifiedNameErrors } from './names.js';

export const SERVICE_API_VERSION = 'v1';
export const SERVICE_KIND = 'Service';

// An int in 1..65535 or an IANA_SVC_NAME; 0 and "" mean "same as port".
const targetPortSchema = z
  .union([z.int(), z.string()], { error: 'must be an integer port number or a port name' })
  .superRefine((t, ctx) => {
    if (typeof t === 'number' && t !== 0 && (t < 1 || t > 65535)) ctx.addIssue({ code: 'custom', message: PORT_RANGE_MESSAGE });
    else if (typeof t === 'string' && t !== '') for (const message of ianaSvcNameErrors(t)) ctx.addIssue({ code: 'custom', message });
  });

const servicePortSchema = z
  .object({
    // Service port names are RFC 1123 labels (up to 63 characters); the 15
    // character IANA_SVC_NAME rule applies to container ports and so to named
    // targetPorts, not here.
    name: optionalCheckedString(dns1123LabelErrors).default(''),
    protocol: protocolSchema.default('TCP'),
    appProtocol: checkedString(qualifiedNameErrors).optional(),
    port: portNumberSchema,
    targetPort: targetPortSchema.optional(),
    // 0 means "allocate one", as in `kubectl get -o yaml` output of fresh objects.
    nodePort: z.int().min(0, PORT_RANGE_MESSAGE).max(65535, PORT_RANGE_MESSAGE).optional(),
  })
  .transform(({ targetPort, nodePort, ...rest }) => ({
    ...rest,
    // The API server defaults an absent, 0 or "" targetPort to the port itself.
    targetPort: targetPort === undefined || targetPort === 0 || targetPort === '' ? rest.port : targetPort,
    ...(nodePort ? { nodePort } : {}),
  }));

const ipFamilySchema = z.enum(['IPv4', 'IPv6']);

// clusterIP: "" (allocate one; in file mode that means no VIP), "None"
// (headless) or an IP. clusterIPs entries: "None" or an IP.
function clusterIPSchema(allowEmpty: boolean) {
  return z.string().superRefine((value, ctx) => {
    if (value === 'None' || (allowEmpty && value === '')) return;
    for (const message of ipErrors(value)) ctx.addIssue({ code: 'custom', message });
  });
}

const serviceSpecSchema = z
  .object({
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).default('ClusterIP'),
    clusterIP: clusterIPSchema(true).default(''),
    clusterIPs: z.array(clusterIPSchema(false)).optional(),
    ipFamilies: z.array(ipFamilySchema).optional(),
    ipFamilyPolicy: z.enum(['SingleStack', 'PreferDualStack', 'RequireDualStack']).optional(),
    ports: z.array(servicePortSchema).default(() => []),
    selector: labelMapSchema.optional(),
    externalName: z.string().optional(),
  })
  .superRefine((spec, ctx) => checkServiceSpec(spec, (path, message) => ctx.addIssue({ code: 'custom', message, path })), ALWAYS)
  .transform(({ clusterIPs, ...spec }) => ({
    ...spec,
    // Like the API server on create: clusterIPs follows clusterIP when only the singular is given.
    clusterIPs: clusterIPs ?? (spec.clusterIP !== '' ? [spec.clusterIP] : []),
  }));

type Issue = (path: (string | number)[], message: string) => void;

// The cross-field part of ValidateService (create only). `raw` may be
// partially invalid: see loose.ts.
function checkServiceSpec(raw: unknown, issue: Issue): void {
  const spec = asRecord(raw);
  if (spec === undefined) return;
  const type = asString(spec.type) ?? 'ClusterIP';
  const clusterIP = asString(spec.clusterIP) ?? '';
  const clusterIPs = asStrings(spec.clusterIPs);
  const ports = asRecords(spec.ports);
  const headless = clusterIP === 'None';

  if (type === 'ExternalName') {
    if (clusterIP !== '') issue(['clusterIP'], 'may not be set for ExternalName services');
    if (clusterIPs?.length) issue(['clusterIPs'], 'may not be set for ExternalName services');
    if (asStrings(spec.ipFamilies)?.length) issue(['ipFamilies'], 'may not be set for ExternalName services');
    if (spec.ipFamilyPolicy !== undefined) issue(['ipFamilyPolicy'], 'may not be set for ExternalName services');
    const externalName = asString(spec.externalName);
    if (!externalName) issue(['externalName'], 'Required value');
    else for (const m of dns1123SubdomainErrors(externalName.replace(/\.$/, ''))) issue(['externalName'], m);
  } else {
    checkClusterIPs(clusterIP, clusterIPs, asStrings(spec.ipFamilies) ?? [], issue);
    if (ports.length === 0 && !headless) issue(['ports'], 'Required value');
    if (headless && (type === 'NodePort' || type === 'LoadBalancer')) issue(['clusterIP'], `may not be set to 'None' for ${type} services`);
  }

  const names = new Set<string>();
  const portProtocols = new Set<string>();
  ports.forEach((p, i) => {
    if (p === undefined) return;
    const name = asString(p.name) ?? '';
    if (ports.length > 1 && name === '') issue(['ports', i, 'name'], 'Required value: every port must be named when a service has more than one port');
    else if (name !== '') {
      if (names.has(name)) issue(['ports', i, 'name'], `Duplicate value: ${JSON.stringify(name)}`);
      names.add(name);
    }
    const protocol = asString(p.protocol) ?? 'TCP';
    if (typeof p.port === 'number') {
      const key = `${p.port}/${protocol}`;
      if (portProtocols.has(key)) issue(['ports', i], `Duplicate value: port ${p.port} with protocol ${protocol}`);
      portProtocols.add(key);
    }
    if (typeof p.nodePort === 'number' && p.nodePort !== 0 && (type === 'ClusterIP' || type === 'ExternalName')) {
      issue(['ports', i, 'nodePort'], `may not be used when \`type\` is '${type}'`);
    }
  });
}

// ValidateServiceClusterIPsRelatedFields minus the update-only rules; the
// syntax of each address is checked per field.
function checkClusterIPs(clusterIP: string, ips: string[] | undefined, ipFamilies: string[], issue: Issue): void {
  if (ips !== undefined && ips.length > 0) {
    if (clusterIP === '') issue(['clusterIPs'], 'must be empty when `clusterIP` is not specified');
    else if (ips[0] !== clusterIP) issue(['clusterIPs'], 'first value must match `clusterIP`');
    const families = ips.map((ip) => ipFamilyOf(ip));
    if (ips.includes('None') && ips.length > 1) issue(['clusterIPs'], "'None' must be the first and only value");
    if (ips.length > 2) issue(['clusterIPs'], 'may only hold up to 2 values');
    else if (ips.length === 2 && families[0] !== undefined && families[0] === families[1]) {
      issue(['clusterIPs'], 'may specify no more than one IP for each IP family');
    }
    if (clusterIP !== 'None') {
      families.forEach((family, i) => {
        const want = ipFamilies[i];
        if (want !== undefined && family !== undefined && family !== want) {
          issue(['clusterIPs', i], `expected an ${want} value as indicated by \`ipFamilies[${i}]\``);
        }
      });
    }
  }
  const seen = new Set<string>();
  ipFamilies.forEach((f, i) => {
    if (seen.has(f)) issue(['ipFamilies', i], `Duplicate value: ${JSON.stringify(f)}`);
    seen.add(f);
  });
}

export const serviceSchema = z.object({
  apiVersion: z.literal(SERVICE_API_VERSION),
  kind: z.literal(SERVICE_KIND),
  metadata: objectMetaSchema(dns1035LabelErrors),
  spec: serviceSpecSchema,
});

export type ServicePortSpec = z.output<typeof servicePortSchema>;
export type ServiceSpec = z.output<typeof serviceSpecSchema>;

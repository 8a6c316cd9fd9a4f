// Kubernetes core/v1 Service, validated the way the API server validates a
// create (pkg/apis/core/validation ValidateService), after the defaulting it
// applies: protocol TCP, type ClusterIP, targetPort = port, clusterIPs
// initialised from clusterIP.
import { z } from 'zod';
import { checkedString, labelMapSchema, optionalCheckedString, PORT_RANGE_MESSAGE, portNumberSchema, protocolSchema } from './checks.js';
import { ipErrors, ipFamilyOf } from './ip.js';
import { objectMetaSchema } from './meta.js';
import { dns1035LabelErrors, dns1123LabelErrors, dns1123SubdomainErrors, ianaSvcNameErrors, qualifiedNameErrors } from './names.js';

export const SERVICE_API_VERSION = 'v1';
export const SERVICE_KIND = 'Service';

const servicePortSchema = z
  .object({
    // Service port names are RFC 1123 labels (up to 63 characters); the 15
    // character IANA_SVC_NAME rule applies to container ports and so to named
    // targetPorts, not here.
    name: optionalCheckedString(dns1123LabelErrors).default(''),
    protocol: protocolSchema.default('TCP'),
    appProtocol: checkedString(qualifiedNameErrors).optional(),
    port: portNumberSchema,
    targetPort: z.union([z.int(), z.string()], { error: 'must be an integer port number or a port name' }).optional(),
    // 0 means "allocate one", as in `kubectl get -o yaml` output of fresh objects.
    nodePort: z.int().min(0, PORT_RANGE_MESSAGE).max(65535, PORT_RANGE_MESSAGE).optional(),
  })
  .superRefine((p, ctx) => {
    const t = p.targetPort;
    if (typeof t === 'number' && t !== 0 && (t < 1 || t > 65535)) {
      ctx.addIssue({ code: 'custom', message: PORT_RANGE_MESSAGE, path: ['targetPort'] });
    } else if (typeof t === 'string' && t !== '') {
      for (const message of ianaSvcNameErrors(t)) ctx.addIssue({ code: 'custom', message, path: ['targetPort'] });
    }
  })
  .transform(({ targetPort, nodePort, ...rest }) => ({
    ...rest,
    // The API server defaults an absent, 0 or "" targetPort to the port itself.
    targetPort: targetPort === undefined || targetPort === 0 || targetPort === '' ? rest.port : targetPort,
    ...(nodePort ? { nodePort } : {}),
  }));

const ipFamilySchema = z.enum(['IPv4', 'IPv6']);

const serviceSpecSchema = z
  .object({
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).default('ClusterIP'),
    clusterIP: z.string().default(''),
    clusterIPs: z.array(z.string()).optional(),
    ipFamilies: z.array(ipFamilySchema).optional(),
    ipFamilyPolicy: z.enum(['SingleStack', 'PreferDualStack', 'RequireDualStack']).optional(),
    ports: z.array(servicePortSchema).default(() => []),
    selector: labelMapSchema.optional(),
    externalName: z.string().optional(),
  })
  .superRefine((spec, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', message, path });
    const headless = spec.clusterIP === 'None';

    if (spec.type === 'ExternalName') {
      if (spec.clusterIP !== '') issue(['clusterIP'], 'may not be set for ExternalName services');
      if (spec.clusterIPs?.length) issue(['clusterIPs'], 'may not be set for ExternalName services');
      if (spec.ipFamilies?.length) issue(['ipFamilies'], 'may not be set for ExternalName services');
      if (spec.ipFamilyPolicy !== undefined) issue(['ipFamilyPolicy'], 'may not be set for ExternalName services');
      if (!spec.externalName) issue(['externalName'], 'Required value');
      else for (const m of dns1123SubdomainErrors(spec.externalName.replace(/\.$/, ''))) issue(['externalName'], m);
    } else {
      validateClusterIPs(spec, issue);
      if (spec.ports.length === 0 && !headless) issue(['ports'], 'Required value');
      if (headless && (spec.type === 'NodePort' || spec.type === 'LoadBalancer')) {
        issue(['clusterIP'], `may not be set to 'None' for ${spec.type} services`);
      }
    }

    const names = new Set<string>();
    const portProtocols = new Set<string>();
    spec.ports.forEach((p, i) => {
      if (spec.ports.length > 1 && p.name === '') issue(['ports', i, 'name'], 'Required value: every port must be named when a service has more than one port');
      else if (p.name !== '') {
        if (names.has(p.name)) issue(['ports', i, 'name'], `Duplicate value: ${JSON.stringify(p.name)}`);
        names.add(p.name);
      }
      const key = `${p.port}/${p.protocol}`;
      if (portProtocols.has(key)) issue(['ports', i], `Duplicate value: port ${p.port} with protocol ${p.protocol}`);
      portProtocols.add(key);
      if (p.nodePort !== undefined && (spec.type === 'ClusterIP' || spec.type === 'ExternalName')) {
        issue(['ports', i, 'nodePort'], `may not be used when \`type\` is '${spec.type}'`);
      }
    });
  })
  .transform(({ clusterIPs, ...spec }) => ({
    ...spec,
    // Like the API server on create: clusterIPs follows clusterIP when only the singular is given.
    clusterIPs: clusterIPs ?? (spec.clusterIP !== '' ? [spec.clusterIP] : []),
  }));

type Issue = (path: (string | number)[], message: string) => void;

// ValidateServiceClusterIPsRelatedFields, minus the update-only rules.
function validateClusterIPs(
  spec: { clusterIP: string; clusterIPs?: string[] | undefined; ipFamilies?: ('IPv4' | 'IPv6')[] | undefined },
  issue: Issue,
): void {
  const { clusterIP, ipFamilies = [] } = spec;
  if (clusterIP !== '' && clusterIP !== 'None') for (const m of ipErrors(clusterIP)) issue(['clusterIP'], m);
  const ips = spec.clusterIPs;
  if (ips !== undefined && ips.length > 0) {
    if (clusterIP === '') issue(['clusterIPs'], 'must be empty when `clusterIP` is not specified');
    else if (ips[0] !== clusterIP) issue(['clusterIPs'], 'first value must match `clusterIP`');
    let invalid = false;
    ips.forEach((ip, i) => {
      if (i === 0 && ip === 'None') {
        if (ips.length > 1) {
          invalid = true;
          issue(['clusterIPs'], "'None' must be the first and only value");
        }
        return;
      }
      const errs = ipErrors(ip);
      if (errs.length) invalid = true;
      for (const m of errs) issue(['clusterIPs', i], m);
    });
    if (ips.length > 2) issue(['clusterIPs'], 'may only hold up to 2 values');
    else if (!invalid && ips.length === 2 && ipFamilyOf(ips[0] ?? '') === ipFamilyOf(ips[1] ?? '')) {
      issue(['clusterIPs'], 'may specify no more than one IP for each IP family');
    }
    if (!invalid && clusterIP !== 'None') {
      ips.forEach((ip, i) => {
        const want = ipFamilies[i];
        if (want !== undefined && ipFamilyOf(ip) !== want) issue(['clusterIPs', i], `expected an ${want} value as indicated by \`ipFamilies[${i}]\``);
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

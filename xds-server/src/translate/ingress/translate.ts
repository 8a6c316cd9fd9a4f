// Kubernetes Ingress (networking.k8s.io/v1) → the gateway part of the mesh
// model. Every Ingress of nodemesh's classes is merged into ONE GatewayIR,
// namespace '' (no Kubernetes object has an empty namespace, so it never
// collides with a Gateway API Gateway) and name `ingress/<class>`: HTTP on
// httpPort (80) and, for hosts with a valid TLS certificate, HTTPS on
// httpsPort (443), both bound on ingressAddress (0.0.0.0).
//
// Semantics (the Ingress API reference and the "Ingress" concept page):
// - host: exact or `*.suffix`, where `*` is exactly one DNS label (unlike the
//   Gateway API's wildcards); no host: any host. A request's virtual host
//   holds every rule whose host covers it, the more specific host's paths
//   first (as nodemesh's Gateway API translator does). Envoy's `*.suffix`
//   domain also takes deeper names, so a wildcard rule's routes also match
//   `:authority` against one label; deeper names fall through to the rules
//   without host and the defaultBackend.
// - paths: Exact before Prefix, longer prefix first — the spec's "longest
//   matching path, then Exact over Prefix", since an Exact match is the whole
//   path. Prefix matches whole path elements (/foo matches /foo and /foo/bar,
//   not /foobar; a trailing slash is ignored). ImplementationSpecific is
//   treated as Prefix.
// - defaultBackend: the last route of every virtual host and of the catch-all
//   one; without any, an unmatched request gets 404. With several Ingresses
//   naming one, the oldest wins.
// - the same host + path in two Ingresses: the oldest Ingress
//   (creationTimestamp; then namespace/name) wins, the other gets a warning.
// - backend.service in the Ingress's namespace, port by number or by the
//   Service port's name; unresolvable → 503 for that path. backend.resource is
//   not supported → 500 for that path. Either is a ConfigError.
// - tls[]: certificates from kubernetes.io/tls Secrets in the Ingress's
//   namespace; hosts [] means any SNI. A missing or invalid Secret is an
//   error and its hosts get no HTTPS; their HTTP is still served. The same
//   TLS host in two Ingresses with different Secrets: the oldest wins.
// - nodemesh.io/* annotations (annotations.ts) apply to the Ingress's own
//   paths and defaultBackend; with force-https the whole HTTP virtual host of
//   each of its served TLS hosts answers 301 to https.
import type { ConfigError } from '../../../../crds/src/errors.js';
import type { IngressBackendSpec } from '../../../../crds/src/ingress.js';
import type { IngressClassObject, IngressObject, Resources } from '../../../../crds/src/resources.js';
import type { GatewayIR, GatewayPortIR, HttpRouteIR, TlsCertIR, VirtualHostIR } from '../../model/gateway.js';
import type { MeshModel, SourceRef } from '../../model/types.js';
import { trimmedPrefix } from '../../xds/gateway-actions.js';
import { clusterName } from '../../xds/names.js';
import { resolveCertificates } from '../gateway-api/certificates.js';
import { buildContext, type Context } from '../gateway-api/context.js';
import { ANY_HOST, compareHostSpecificity } from '../gateway-api/hostnames.js';
import { compareEntries, type RankedEntry } from '../gateway-api/precedence.js';
import { describe, objectError, sourceRef } from '../kubernetes/source.js';
import { parseAnnotations, RETRY_ON_CODES, type AnnotationProblem, type IngressAnnotations } from './annotations.js';
import { DEFAULT_INGRESS_CLASS, INGRESS_CONTROLLER, indexClasses } from './classes.js';

export interface IngressOptions {
  /** The class name nodemesh answers to when no IngressClass object of that name exists; default "nodemesh". */
  ingressClass?: string;
  /** Address the gateway binds and reports in status; default 0.0.0.0. */
  ingressAddress?: string;
  /** Default 80. */
  httpPort?: number;
  /** Default 443. */
  httpsPort?: number;
}

/** What a Kubernetes provider writes back to the Ingress (`.status.loadBalancer`), plus nodemesh's problems with it. */
export interface IngressStatus {
  kind: 'Ingress';
  namespace: string;
  name: string;
  /** `ingress: [{ ip }]` once some of the Ingress is served; empty otherwise. */
  loadBalancer: { ingress: { ip: string }[] };
  /** `severity: path: message` of every ConfigError about this Ingress (not part of the Kubernetes status). */
  errors: string[];
}

export interface IngressResult {
  /** At most one: every Ingress of nodemesh's classes shares it. */
  gateways: GatewayIR[];
  /** One per Ingress of nodemesh's classes, sorted by namespace/name. */
  statuses: IngressStatus[];
  errors: ConfigError[];
}

/** GatewayIR identity of the shared ingress gateway. */
export function ingressGatewayId(className: string): { namespace: string; name: string } {
  return { namespace: '', name: `ingress/${className}` };
}

// One path (or defaultBackend) of one Ingress, compiled.
interface Entry {
  ing: IngressObject;
  /** '*' for a rule without host; undefined for the defaultBackend. */
  host?: string;
  ruleIndex: number;
  pathIndex: number;
  /** Conflict key: host, match type and normalized value. */
  key: string;
  /** Where it is defined, for conflict warnings. */
  at: string;
  ir: HttpRouteIR;
}

interface Compiled {
  ing: IngressObject;
  annotations: IngressAnnotations;
  entries: Entry[];
  defaultBackend?: Entry;
  /** Valid certificates by TLS host ('' = any SNI). */
  tls: { hosts: string[]; cert: TlsCertIR; at: string }[];
  errors: ConfigError[];
  served: boolean;
}

const created = (ing: IngressObject): number => {
  const t = ing.metadata.creationTimestamp;
  return t === undefined ? Number.POSITIVE_INFINITY : Date.parse(t);
};
const key = (o: { metadata: { namespace: string; name: string } }) => `${o.metadata.namespace}/${o.metadata.name}`;
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** Oldest first (unknown creation time counts as newest), then namespace/name. */
const byAge = (a: Compiled, b: Compiled) => {
  const ca = created(a.ing);
  const cb = created(b.ing);
  return (ca === cb ? 0 : ca < cb ? -1 : 1) || cmp(key(a.ing), key(b.ing));
};

type Resolution = { ok: true; cluster: string } | { ok: false; status: number; message: string; path: string };

function resolveBackend(ctx: Context, b: IngressBackendSpec, namespace: string, at: string): Resolution {
  if (b.resource !== undefined) {
    const r = b.resource;
    return { ok: false, status: 500, path: `${at}.resource`, message: `resource backends (${r.apiGroup ? `${r.apiGroup}/` : ''}${r.kind} ${r.name}) are not supported, only Services are; requests for this path get 500` };
  }
  const s = b.service;
  if (s === undefined) return { ok: false, status: 500, path: at, message: 'no backend' }; // the schema forbids it
  const svc = ctx.services.get(`${namespace}/${s.name}`);
  if (svc === undefined) return { ok: false, status: 503, path: `${at}.service.name`, message: `Service ${namespace}/${s.name} not found; requests for this path get 503` };
  const byName = s.port.name !== '';
  const port = svc.ports.find((p) => (byName ? p.name === s.port.name : p.port === s.port.number));
  const wanted = byName ? `named ${JSON.stringify(s.port.name)}` : String(s.port.number);
  if (port === undefined) {
    const have = svc.ports.map((p) => (p.name ? `${p.name}/${p.port}` : String(p.port))).join(', ') || 'none';
    return { ok: false, status: 503, path: `${at}.service.port`, message: `Service ${namespace}/${s.name} has no port ${wanted} (ports: ${have}); requests for this path get 503` };
  }
  if (port.protocol !== 'TCP') return { ok: false, status: 503, path: `${at}.service.port`, message: `Service ${namespace}/${s.name} port ${wanted} is ${port.protocol}; HTTP needs TCP; requests for this path get 503` };
  return { ok: true, cluster: clusterName(svc, port) };
}

/** Ingress host matching: `*.suffix` covers names with exactly one more label (and itself). */
export function ingressCovers(pattern: string, host: string): boolean {
  if (pattern === ANY_HOST || pattern === '' || pattern === host) return true;
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1);
  return host.endsWith(suffix) && host.length > suffix.length && !host.slice(0, -suffix.length).includes('.') && !host.startsWith('*');
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `:authority` of one label before the wildcard's suffix, with an optional port. */
export function wildcardAuthority(host: string): string {
  return `^[^.:]+${escapeRegex(host.slice(1))}(:[0-9]+)?$`;
}

function compileIngress(ctx: Context, ing: IngressObject): Compiled {
  const ns = ing.metadata.namespace;
  const errors: ConfigError[] = [];
  const err = (path: string, message: string, severity: ConfigError['severity'] = 'error') => errors.push(objectError(ing, path, message, severity));
  const problems: AnnotationProblem[] = [];
  const annotations = parseAnnotations(ing, problems);
  for (const p of problems) err(p.path, p.message, p.severity);
  const out: Compiled = { ing, annotations, entries: [], tls: [], errors, served: false };

  ing.spec.tls.forEach((t, i) => {
    const at = `spec.tls[${i}]`;
    const hosts = t.hosts.length > 0 ? [...new Set(t.hosts)] : [''];
    const what = t.hosts.length > 0 ? `HTTPS for ${t.hosts.join(', ')} is not served` : 'HTTPS is not served';
    if (t.secretName === '') return err(`${at}.secretName`, `Required value: nodemesh has no default certificate; ${what}`);
    const r = resolveCertificates(ctx, [{ group: '', kind: 'Secret', name: t.secretName }], ns, `${at}.secretName`);
    for (const p of r.problems) err(`${at}.secretName`, `${p.message}; ${what}`);
    for (const cert of r.certs) out.tls.push({ hosts, cert, at });
  });

  // Everything a forwarded route of this Ingress carries besides its backend.
  const decorate = (ir: HttpRouteIR, withRewrite: boolean) => {
    if (ir.action.kind !== 'forward') return;
    const a = annotations;
    if (withRewrite && a.rewriteTarget !== undefined) {
      ir.action.rewrite = { path: { type: ir.match.path?.type === 'Exact' ? 'ReplaceFullPath' : 'ReplacePrefixMatch', value: a.rewriteTarget } };
    }
    if (a.requestTimeoutMs !== undefined) ir.timeouts = { requestMs: a.requestTimeoutMs };
    if (a.retries !== undefined) ir.retry = { codes: [...RETRY_ON_CODES], attempts: a.retries };
  };
  const action = (b: IngressBackendSpec, at: string): HttpRouteIR['action'] => {
    const r = resolveBackend(ctx, b, ns, at);
    if (r.ok) return { kind: 'forward', backends: [{ cluster: r.cluster, weight: 1 }] };
    err(r.path, r.message);
    return { kind: 'direct', status: r.status };
  };
  const source = sourceRef(ing);

  ing.spec.rules.forEach((rule, i) => {
    const host = rule.host === '' ? ANY_HOST : rule.host;
    rule.http?.paths.forEach((p, j) => {
      const at = `spec.rules[${i}].http.paths[${j}]`;
      // Prefix values are compared element-wise with a trailing slash ignored: store the canonical form.
      const exact = p.pathType === 'Exact';
      const value = exact ? p.path : trimmedPrefix(p.path || '/') || '/';
      const ir: HttpRouteIR = {
        name: `${ns}/${ing.metadata.name}/rule/${i}/path/${j}`,
        source,
        match: {
          path: { type: exact ? 'Exact' : 'PathPrefix', value },
          headers: host.startsWith('*.') ? [{ type: 'RegularExpression', name: ':authority', value: wildcardAuthority(host) }] : [],
          queryParams: [],
        },
        action: action(p.backend, `${at}.backend`),
        mirrors: [],
      };
      decorate(ir, true);
      out.entries.push({ ing, host, ruleIndex: i, pathIndex: j, key: `${host} ${exact ? 'Exact' : 'Prefix'} ${value}`, at, ir });
    });
  });
  if (ing.spec.defaultBackend !== undefined) {
    const ir: HttpRouteIR = {
      name: `${ns}/${ing.metadata.name}/default-backend`,
      source,
      match: { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] },
      action: action(ing.spec.defaultBackend, 'spec.defaultBackend'),
      mirrors: [],
    };
    // rewrite-target rewrites a matched path; the defaultBackend matches none.
    decorate(ir, false);
    out.defaultBackend = { ing, ruleIndex: Number.MAX_SAFE_INTEGER, pathIndex: 0, key: 'defaultBackend', at: 'spec.defaultBackend', ir };
  }
  return out;
}

/** nodemesh.io/force-https: the whole HTTP virtual host of a TLS host answers 301 to the same URL on https. */
function httpsRedirectHost(host: string, owner: IngressObject, httpsPort: number): VirtualHostIR {
  const route: HttpRouteIR = {
    name: `${owner.metadata.namespace}/${owner.metadata.name}/force-https`,
    source: sourceRef(owner),
    match: { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] },
    action: { kind: 'redirect', redirect: { scheme: 'https', statusCode: 301, ...(httpsPort !== 443 && { port: httpsPort }) } },
    mirrors: [],
  };
  return { name: host, domains: [host], routes: [route] };
}

/** Routes of the virtual host for `host`: every entry whose host covers it, in precedence order, then the default backend. */
function virtualHost(host: string, entries: readonly Entry[], defaultBackend: Entry | undefined): VirtualHostIR {
  const ranked: (RankedEntry & { e: Entry })[] = [];
  for (const e of entries) {
    if (e.host === undefined || !ingressCovers(e.host, host)) continue;
    const { namespace, name } = e.ing.metadata;
    ranked.push({ e, entry: { ruleIndex: e.ruleIndex, matchIndex: e.pathIndex, ir: e.ir }, hostname: e.host, created: created(e.ing), namespace, name });
  }
  ranked.sort(compareEntries);
  const routes = ranked.map((r) => structuredClone(r.e.ir));
  if (defaultBackend !== undefined) routes.push(structuredClone(defaultBackend.ir));
  return { name: host, domains: [host], routes };
}

export function translateIngress(resources: Resources, model: MeshModel, opts: IngressOptions = {}): IngressResult {
  const className = opts.ingressClass ?? DEFAULT_INGRESS_CLASS;
  const address = opts.ingressAddress ?? '0.0.0.0';
  const httpPort = opts.httpPort ?? 80;
  const httpsPort = opts.httpsPort ?? 443;
  const ctx = buildContext(resources, model, INGRESS_CONTROLLER);
  const errors: ConfigError[] = [];
  const classes = indexClasses(resources.ingressClasses, className, errors);

  const mine = resources.ingresses.filter((i) => classes.ours(i)).sort((a, b) => cmp(key(a), key(b)));
  const compiled = mine.map((ing) => compileIngress(ctx, ing));

  // Conflicts: the oldest Ingress keeps a host+path, a defaultBackend, a TLS host.
  const winners = new Map<string, Entry>();
  let defaultBackend: Entry | undefined;
  const certByHost = new Map<string, { cert: TlsCertIR; owner: Compiled }>();
  for (const c of [...compiled].sort(byAge)) {
    const warn = (path: string, message: string) => c.errors.push(objectError(c.ing, path, message, 'warning'));
    for (const e of c.entries) {
      const prev = winners.get(e.key);
      if (prev === undefined) {
        winners.set(e.key, e);
        c.served = true;
      } else {
        const same = prev.ing === c.ing;
        warn(e.at, `host ${e.host === ANY_HOST ? '(any)' : e.host} path ${e.ir.match.path?.value ?? '/'} (${e.key.split(' ')[1]}) is already defined by ${same ? prev.at : `${describe(prev.ing)} (older)`}; this one is ignored`);
      }
    }
    if (c.defaultBackend !== undefined) {
      if (defaultBackend === undefined) {
        defaultBackend = c.defaultBackend;
        c.served = true;
      } else warn('spec.defaultBackend', `${describe(defaultBackend.ing)} (older) already sets the default backend; this one is ignored`);
    }
    for (const t of c.tls) {
      for (const h of t.hosts) {
        const prev = certByHost.get(h);
        if (prev === undefined) certByHost.set(h, { cert: t.cert, owner: c });
        else if (prev.cert.secret !== t.cert.secret) {
          warn(`${t.at}.hosts`, `the certificate for ${h === '' ? 'any host' : h} is already Secret ${prev.cert.secret} of ${describe(prev.owner.ing)} (older); this one is not used for it`);
        }
      }
    }
  }

  const entries = [...winners.values()];
  const ports: GatewayPortIR[] = [];
  const hosts = new Set(entries.map((e) => e.host ?? ANY_HOST));
  if (defaultBackend !== undefined) hosts.add(ANY_HOST);
  // force-https hosts: the served TLS hosts of Ingresses asking for it, the oldest Ingress owning each.
  const forced = new Map<string, IngressObject>();
  const httpsServed = certByHost.size > 0 && httpsPort !== httpPort;
  if (httpsServed) {
    for (const c of [...compiled].sort(byAge)) {
      if (!c.annotations.forceHttps) continue;
      for (const t of c.tls) for (const h of t.hosts) if (!forced.has(h)) forced.set(h, c.ing);
    }
  }
  const forcedBy = (host: string) => [...forced].find(([h]) => ingressCovers(h, host))?.[1];
  const httpHosts = [...new Set([...hosts, ...[...forced.keys()].filter((h) => h !== '')])].sort(compareHostSpecificity);
  const httpVhosts = httpHosts
    .map((h) => {
      const owner = forcedBy(h);
      return owner !== undefined ? httpsRedirectHost(h, owner, httpsPort) : virtualHost(h, entries, defaultBackend);
    })
    .filter((v) => v.routes.length > 0);
  if (httpVhosts.length > 0) ports.push({ port: httpPort, protocol: 'HTTP', virtualHosts: httpVhosts, certificates: [], streams: [] });

  if (certByHost.size > 0 && httpsPort === httpPort) {
    errors.push({ kind: 'IngressClass', namespace: '', name: className, path: '', message: `httpPort and httpsPort are both ${httpPort}; HTTPS is not served`, severity: 'error' });
  } else if (httpsServed) {
    const tlsHosts = [...certByHost.keys()];
    const tlsCovers = (h: string) => tlsHosts.some((t) => ingressCovers(t, h));
    const candidates = new Set([...hosts, ...tlsHosts.filter((t) => t !== '')]);
    const httpsVhosts = [...candidates]
      .filter(tlsCovers)
      .sort(compareHostSpecificity)
      .map((h) => virtualHost(h, entries, defaultBackend))
      .filter((v) => v.routes.length > 0);
    // One filter chain per Secret, naming its SNI hosts ('' = any, the fallback chain).
    const bySecret = new Map<string, { hostnames: string[]; certs: TlsCertIR[] }>();
    for (const [h, { cert }] of certByHost) {
      const group = bySecret.get(cert.secret) ?? { hostnames: [], certs: [{ ...cert }] };
      group.hostnames.push(h);
      bySecret.set(cert.secret, group);
    }
    const rank = (h: string) => (h === '' ? '\uffff' : h);
    const certificates = [...bySecret.values()]
      .map((g) => ({ ...g, hostnames: g.hostnames.sort((a, b) => (a === '' ? 1 : b === '' ? -1 : compareHostSpecificity(a, b))) }))
      .sort((a, b) => (a.hostnames[0] === '' ? 1 : b.hostnames[0] === '' ? -1 : compareHostSpecificity(rank(a.hostnames[0]!), rank(b.hostnames[0]!))));
    ports.push({ port: httpsPort, protocol: 'HTTPS', virtualHosts: httpsVhosts, certificates, streams: [] });
  }

  const id = ingressGatewayId(className);
  const gateways: GatewayIR[] = [];
  if (ports.length > 0) gateways.push({ ...id, source: classSource(classes.classes, className), addresses: [address], ports });

  const statuses: IngressStatus[] = compiled.map((c) => ({
    kind: 'Ingress',
    namespace: c.ing.metadata.namespace,
    name: c.ing.metadata.name,
    loadBalancer: { ingress: c.served && gateways.length > 0 ? [{ ip: address }] : [] },
    errors: c.errors.map((e) => `${e.severity}: ${e.path ? `${e.path}: ` : ''}${e.message}`),
  }));
  for (const c of compiled) errors.push(...c.errors);
  return { gateways, statuses, errors };
}

function classSource(classes: readonly IngressClassObject[], className: string): SourceRef {
  const named = classes.find((c) => c.metadata.name === className) ?? classes[0];
  return named !== undefined ? sourceRef(named) : { kind: 'IngressClass', namespace: '', name: className };
}

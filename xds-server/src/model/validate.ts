// Checks a MeshModel's own invariants, returning every problem with its path.
// Translators should never produce an invalid model; when one does (or two
// valid objects conflict, like two services on one VIP and port) publishing
// stops and the last good snapshot keeps being served.
import { isIP } from 'node:net';
import { resolveBindConflicts } from './gateway-binds.js';
import { validateMeshRoutes } from './mesh-routes.js';
import { validateAuthPolicies } from './auth-policies.js';
import type { MeshModel, ModelError, Service } from './types.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SPIFFE_ID = /^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/;
const APP_PROTOCOLS = new Set(['http', 'http2', 'grpc', 'tcp', 'tls', 'udp']);
const LB_POLICIES = new Set(['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM', 'MAGLEV']);

// Services are immutable once built, so a service's own checks are done once
// per object: an incremental publish re-checks only what changed.
interface ServiceFacts {
  id: string;
  errors: ModelError[];
  /** `vip:protocol/port` per VIP and port, with the port's index. */
  listeners: [key: string, portIndex: number][];
}
const facts = new WeakMap<Service, ServiceFacts>();

function factsOf(svc: Service): ServiceFacts {
  let f = facts.get(svc);
  if (f) return f;
  const errors: ModelError[] = [];
  validateService(svc, (path, message) => errors.push({ path, message, source: svc.source }));
  const listeners: ServiceFacts['listeners'] = [];
  svc.ports.forEach((p, j) => {
    for (const vip of svc.vips) listeners.push([`${vip}:${p.protocol}/${p.port}`, j]);
  });
  f = { id: `${svc.namespace}/${svc.name}`, errors, listeners };
  facts.set(svc, f);
  return f;
}

export function validateModel(model: MeshModel): ModelError[] {
  const errors: ModelError[] = [];
  if (!model.trustDomain) errors.push({ path: 'trustDomain', message: 'must not be empty' });
  if (!model.clusterDomain) errors.push({ path: 'clusterDomain', message: 'must not be empty' });
  const seen = new Map<string, number>();
  const vipOwners = new Map<string, string>();
  const services = model.services;
  for (let i = 0; i < services.length; i++) {
    const svc = services[i]!;
    const { id, errors: own, listeners } = factsOf(svc);
    const err = (p: string, message: string) => errors.push({ path: `services[${i}]${p}`, message, source: svc.source });
    const dup = seen.get(id);
    if (dup !== undefined) err('', `duplicate service ${id} (also services[${dup}])`);
    else seen.set(id, i);
    for (const e of own) err(e.path, e.message);
    for (const [key, j] of listeners) {
      const owner = vipOwners.get(key);
      if (owner === undefined) vipOwners.set(key, id);
      else if (owner !== id) err(`.ports[${j}].port`, `${key.replace(/:(\w+)\/(\d+)$/, ':$2/$1')} is already used by service ${owner}`);
    }
  }
  errors.push(...validateMeshRoutes(model));
  errors.push(...validateGateways(model));
  errors.push(...validateAuthPolicies(model));
  return errors;
}

type Err = (path: string, message: string) => void;

function validateService(svc: Service, err: Err): void {
  if (!DNS_LABEL.test(svc.name) || svc.name.length > 63) err('.name', `"${svc.name}" is not a DNS-1123 label`);
  if (!DNS_LABEL.test(svc.namespace) || svc.namespace.length > 63) err('.namespace', `"${svc.namespace}" is not a DNS-1123 label`);
  if (!svc.hostname) err('.hostname', 'must not be empty');
  if (!LB_POLICIES.has(svc.lbPolicy)) err('.lbPolicy', `unknown lb policy "${svc.lbPolicy}"`);
  svc.vips.forEach((vip, j) => {
    if (!isIP(vip)) err(`.vips[${j}]`, `"${vip}" is not an IP address`);
  });
  validatePorts(svc, err);
  validateEndpoints(svc, err);
}

function validatePorts(svc: Service, err: Err): void {
  const names = new Set<string>();
  const numbers = new Set<string>();
  svc.ports.forEach((p, j) => {
    const path = `.ports[${j}]`;
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) err(`${path}.port`, `${p.port} is not in 1..65535`);
    if (names.has(p.name)) err(`${path}.name`, `duplicate port name "${p.name}"`);
    names.add(p.name);
    if (numbers.has(`${p.protocol}/${p.port}`)) err(`${path}.port`, `duplicate port ${p.protocol}/${p.port}`);
    numbers.add(`${p.protocol}/${p.port}`);
    if (!APP_PROTOCOLS.has(p.appProtocol)) err(`${path}.appProtocol`, `unknown app protocol "${p.appProtocol}"`);
  });
}

function validateEndpoints(svc: Service, err: Err): void {
  const portNames = new Set(svc.ports.map((p) => p.name));
  svc.endpoints.forEach((ep, k) => {
    const path = `.endpoints[${k}]`;
    if (!isIP(ep.address)) err(`${path}.address`, `"${ep.address}" is not an IP address`);
    for (const [name, port] of Object.entries(ep.ports)) {
      if (!portNames.has(name)) err(`${path}.ports.${name || '""'}`, `service has no port named "${name}"`);
      if (!Number.isInteger(port) || port < 1 || port > 65535) err(`${path}.ports.${name || '""'}`, `${port} is not in 1..65535`);
    }
    if (!Number.isInteger(ep.weight) || ep.weight < 1 || ep.weight > 128) err(`${path}.weight`, `${ep.weight} is not in 1..128`);
    if (ep.identity !== undefined && !SPIFFE_ID.test(ep.identity)) err(`${path}.identity`, `"${ep.identity}" is not a SPIFFE ID`);
    if (!['healthy', 'unhealthy', 'draining'].includes(ep.health)) err(`${path}.health`, `unknown health "${ep.health}"`);
  });
}

// Gateways: identities, ports and addresses a node proxy can bind, and no
// address:port bound twice (translators resolve that; this is the backstop).
function validateGateways(model: MeshModel): ModelError[] {
  const errors: ModelError[] = [];
  const gateways = model.gateways ?? [];
  const ids = new Map<string, number>();
  gateways.forEach((gw, i) => {
    const err = (p: string, message: string) => errors.push({ path: `gateways[${i}]${p}`, message, source: gw.source });
    const id = `${gw.namespace}/${gw.name}`;
    const dup = ids.get(id);
    if (dup !== undefined) err('', `duplicate gateway ${id} (also gateways[${dup}])`);
    else ids.set(id, i);
    gw.addresses.forEach((a, j) => {
      if (!isIP(a)) err(`.addresses[${j}]`, `${JSON.stringify(a)} is not an IP address`);
    });
    const ports = new Set<string>();
    gw.ports.forEach((p, j) => {
      if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) err(`.ports[${j}].port`, `${p.port} is not a port (1-65535)`);
      const key = `${p.protocol === 'UDP' ? 'UDP' : 'TCP'}/${p.port}`;
      if (ports.has(key)) err(`.ports[${j}].port`, `${key} appears twice in one gateway`);
      ports.add(key);
    });
  });
  for (const c of resolveBindConflicts(gateways).conflicts) {
    const i = gateways.indexOf(c.gateway);
    errors.push({ path: `gateways[${i}].ports`, message: `${c.transport} port ${c.port} on ${c.address} is also bound by gateway ${c.owner.namespace}/${c.owner.name}`, source: c.gateway.source });
  }
  return errors;
}

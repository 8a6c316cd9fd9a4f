import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatConfigError } from './errors.js';
import { parseObject, rawIdentity } from './parse.js';
import { assertError, parseErrors, parseOk } from './test-helpers.js';

const V1 = 'networking.k8s.io/v1';
const svc = (port: Record<string, unknown> = { number: 80 }) => ({ service: { name: 'web', port } });

function ingress(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) {
  return { apiVersion: V1, kind: 'Ingress', metadata: { name: 'site', ...metadata }, spec };
}
function paths(...p: unknown[]) {
  return ingress({ rules: [{ host: 'www.example.com', http: { paths: p } }] });
}

describe('Ingress schema', () => {
  it('accepts a full Ingress and applies defaults', () => {
    const o = parseOk(
      ingress({
        ingressClassName: 'nodemesh',
        defaultBackend: svc({ name: 'http' }),
        tls: [{ hosts: ['*.example.com'], secretName: 'tls' }, {}],
        rules: [{ host: '*.example.com', http: { paths: [{ pathType: 'ImplementationSpecific', backend: svc() }] } }, { http: { paths: [{ path: '/', pathType: 'Prefix', backend: svc() }] } }],
      }, { creationTimestamp: '2024-01-01T00:00:00Z' }),
    );
    if (o.kind !== 'Ingress') return assert.fail();
    assert.equal(o.metadata.namespace, 'default');
    assert.equal(o.metadata.creationTimestamp, '2024-01-01T00:00:00Z');
    assert.deepEqual(o.spec.tls[1], { hosts: [], secretName: '' });
    assert.equal(o.spec.rules[0]?.http?.paths[0]?.path, '');
    assert.equal(o.spec.rules[1]?.host, '');
    assert.deepEqual(o.spec.defaultBackend?.service?.port, { name: 'http', number: 0 });
  });

  it('needs rules or a defaultBackend, and paths in every http rule', () => {
    assertError(parseErrors(ingress({})), 'spec', 'either `defaultBackend` or `rules` must be specified');
    assertError(parseErrors(ingress({ rules: [{ host: 'a.example.com', http: { paths: [] } }] })), 'spec.rules[0].http.paths', 'Required value');
    parseOk(ingress({ defaultBackend: svc() }));
  });

  it('checks hosts: DNS names, one leading wildcard label, no IPs', () => {
    const host = (h: string) => ingress({ rules: [{ host: h, http: { paths: [{ path: '/', pathType: 'Prefix', backend: svc() }] } }] });
    assertError(parseErrors(host('10.0.0.1')), 'spec.rules[0].host', 'must be a DNS name, not an IP address');
    assertError(parseErrors(host('a.*.example.com')), 'spec.rules[0].host', "a wildcard DNS-1123 subdomain must start with '*.'");
    assertError(parseErrors(host('Example.com')), 'spec.rules[0].host', 'RFC 1123 subdomain');
    assertError(parseErrors(ingress({ defaultBackend: svc(), tls: [{ hosts: ['*'] }] })), 'spec.tls[0].hosts[0]', 'wildcard');
  });

  it('requires pathType and checks Exact/Prefix paths like the API server', () => {
    assertError(parseErrors(paths({ path: '/', backend: svc() })), 'spec.rules[0].http.paths[0].pathType', 'pathType must be specified');
    assertError(parseErrors(paths({ path: '/', pathType: 'Regex', backend: svc() })), 'spec.rules[0].http.paths[0].pathType', 'Unsupported value: "Regex"');
    const bad = (path: string, pathType = 'Prefix') => parseErrors(paths({ path, pathType, backend: svc() }));
    assertError(bad('api'), 'spec.rules[0].http.paths[0].path', 'must be an absolute path');
    assertError(bad('', 'Exact'), 'spec.rules[0].http.paths[0].path', 'must be an absolute path');
    assertError(bad('/a//b'), 'spec.rules[0].http.paths[0].path', "must not contain '//'");
    assertError(bad('/a/../b', 'Exact'), 'spec.rules[0].http.paths[0].path', "must not contain '/../'");
    assertError(bad('/a%2Fb'), 'spec.rules[0].http.paths[0].path', "must not contain '%2F'");
    assertError(bad('/a/.'), 'spec.rules[0].http.paths[0].path', "cannot end with '/.'");
    assertError(bad('api', 'ImplementationSpecific'), 'spec.rules[0].http.paths[0].path', 'must be an absolute path');
    parseOk(paths({ path: '/a//b', pathType: 'ImplementationSpecific', backend: svc() }));
  });

  it('checks backends: exactly one of service and resource, exactly one of port name and number', () => {
    const backend = (b: unknown) => parseErrors(paths({ path: '/', pathType: 'Prefix', backend: b }));
    assertError(backend({}), 'spec.rules[0].http.paths[0].backend', 'resource or service backend is required');
    assertError(backend({ ...svc(), resource: { kind: 'Bucket', name: 'b' } }), 'spec.rules[0].http.paths[0].backend', 'cannot set both resource and service backends');
    assertError(backend(svc({})), 'spec.rules[0].http.paths[0].backend.service.port', 'port name or number is required');
    assertError(backend(svc({ name: 'http', number: 80 })), 'spec.rules[0].http.paths[0].backend.service.port', 'cannot set both port name & port number');
    assertError(backend(svc({ number: 70000 })), 'spec.rules[0].http.paths[0].backend.service.port.number', 'between 1 and 65535');
    assertError(backend(svc({ name: 'HTTP_1' })), 'spec.rules[0].http.paths[0].backend.service.port.name', 'alpha-numeric');
    assertError(backend({ service: { name: '1web', port: { number: 80 } } }), 'spec.rules[0].http.paths[0].backend.service.name', 'DNS-1035 label');
    assertError(backend({ resource: { kind: 'Bucket' } }), 'spec.rules[0].http.paths[0].backend.resource.name', 'name is required');
    parseOk(paths({ path: '/', pathType: 'Prefix', backend: { resource: { apiGroup: 'k8s.example.com', kind: 'Bucket', name: 'b' } } }));
  });

  it('names file, kind and object in errors', () => {
    const r = parseObject(ingress({ defaultBackend: svc({}) }, { namespace: 'shop' }), { file: 'i.yaml', index: 3 });
    assert.ok(!r.ok);
    if (!r.ok) assert.equal(formatConfigError(r.errors[0]!), 'error: i.yaml#3 networking.k8s.io/v1/Ingress shop/site: spec.defaultBackend.service.port: Required value: port name or number is required');
  });
});

describe('IngressClass schema', () => {
  it('is cluster-scoped and checks the controller', () => {
    const o = parseOk({ apiVersion: V1, kind: 'IngressClass', metadata: { name: 'nodemesh', namespace: 'x' }, spec: { controller: 'nodemesh.io/ingress-controller' } });
    assert.equal(o.metadata.namespace, '');
    assert.equal(rawIdentity({ apiVersion: V1, kind: 'IngressClass', metadata: { name: 'c' } }).namespace, '');
    const ic = (spec: unknown) => ({ apiVersion: V1, kind: 'IngressClass', metadata: { name: 'c' }, spec });
    assertError(parseErrors(ic({ controller: 'no-slash' })), 'spec.controller', 'must be a domain-prefixed path');
    assertError(parseErrors(ic({})), 'spec.controller', 'Required value');
    assertError(parseErrors(ic({ controller: 'a.io/x', parameters: { kind: 'P', name: 'p', scope: 'Namespace' } })), 'spec.parameters.namespace', '"Namespace"');
    parseOk(ic({ controller: 'a.io/x', parameters: { apiGroup: 'a.io', kind: 'P', name: 'p' } }));
  });
});

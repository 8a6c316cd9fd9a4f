import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatConfigError } from '../errors.js';
import { parseObject, rawIdentity } from '../parse.js';
import { assertError, parseErrors, parseOk } from '../test-helpers.js';
import { durationMs } from './common.js';

const V1 = 'gateway.networking.k8s.io/v1';

function gateway(listeners: unknown[], extra: Record<string, unknown> = {}) {
  return { apiVersion: V1, kind: 'Gateway', metadata: { name: 'edge' }, spec: { gatewayClassName: 'nodemesh', listeners, ...extra } };
}

function route(spec: Record<string, unknown>) {
  return { apiVersion: V1, kind: 'HTTPRoute', metadata: { name: 'web' }, spec: { parentRefs: [{ name: 'edge' }], ...spec } };
}

function rule(r: Record<string, unknown>) {
  return route({ rules: [r] });
}

const http = { name: 'http', port: 80, protocol: 'HTTP' };

describe('GatewayClass schema', () => {
  it('is cluster-scoped: no namespace in the object, its key or its errors', () => {
    const o = parseOk({ apiVersion: V1, kind: 'GatewayClass', metadata: { name: 'nodemesh', namespace: 'x' }, spec: { controllerName: 'nodemesh.io/gateway-controller' } });
    assert.equal(o.metadata.namespace, '');
    assert.equal(rawIdentity({ apiVersion: V1, kind: 'GatewayClass', metadata: { name: 'c' } }).namespace, '');
    const r = parseObject({ apiVersion: V1, kind: 'GatewayClass', metadata: { name: 'c' }, spec: { controllerName: 'no-slash' } }, { file: 'c.yaml', index: 0 });
    assert.ok(!r.ok);
    if (!r.ok) assert.match(formatConfigError(r.errors[0]!), /^error: c\.yaml#0 gateway\.networking\.k8s\.io\/v1\/GatewayClass c: spec\.controllerName: invalid value "no-slash"/);
  });
});

describe('Gateway schema', () => {
  it('applies defaults', () => {
    const o = parseOk(gateway([http]));
    if (o.kind !== 'Gateway') return assert.fail();
    assert.deepEqual(o.spec.listeners[0]?.allowedRoutes, { namespaces: { from: 'Same' } });
    assert.deepEqual(o.spec.addresses, []);
  });

  it('checks hostnames: RFC 1123, one leading wildcard label, no IPs', () => {
    parseOk(gateway([{ ...http, hostname: '*.example.com' }]));
    assertError(parseErrors(gateway([{ ...http, hostname: '10.0.0.1' }])), 'spec.listeners[0].hostname', 'not an IP address');
    assertError(parseErrors(gateway([{ ...http, hostname: 'a.*.example.com' }])), 'spec.listeners[0].hostname', 'should match');
    assertError(parseErrors(gateway([{ ...http, hostname: 'Example.com' }])), 'spec.listeners[0].hostname', 'should match');
    assertError(parseErrors(gateway([{ ...http, hostname: '' }])), 'spec.listeners[0].hostname', 'must not be empty');
  });

  it('checks ports, listener counts and unique names', () => {
    assertError(parseErrors(gateway([{ ...http, port: 0 }])), 'spec.listeners[0].port', 'between 1 and 65535');
    assertError(parseErrors(gateway([{ ...http, port: 65536 }])), 'spec.listeners[0].port', 'between 1 and 65535');
    assertError(parseErrors(gateway([])), 'spec.listeners', 'at least 1 item');
    const errs = parseErrors(gateway([http, { ...http, port: 81 }]));
    assertError(errs, 'spec.listeners[1].name', 'Listener name must be unique');
    assertError(parseErrors(gateway([http, { ...http, name: 'again' }])), 'spec.listeners[1]', 'Combination of port, protocol and hostname must be unique');
  });

  it('enforces the tls and hostname rules per protocol', () => {
    const tls = { certificateRefs: [{ name: 'cert' }] };
    assertError(parseErrors(gateway([{ name: 's', port: 443, protocol: 'HTTPS' }])), 'spec.listeners[0].tls', "tls mode must be set for protocols ['HTTPS', 'TLS']");
    assertError(parseErrors(gateway([{ ...http, tls }])), 'spec.listeners[0].tls', "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']");
    assertError(parseErrors(gateway([{ name: 'db', port: 5432, protocol: 'TCP', hostname: 'db.example.com' }])), 'spec.listeners[0].hostname', "hostname must not be specified for protocols ['TCP', 'UDP']");
    assertError(parseErrors(gateway([{ name: 's', port: 443, protocol: 'HTTPS', tls: {} }])), 'spec.listeners[0].tls', 'certificateRefs or options must be specified when mode is Terminate');
    parseOk(gateway([{ name: 's', port: 443, protocol: 'HTTPS', tls }]));
    parseOk(gateway([{ name: 'db', port: 5432, protocol: 'TCP' }, { name: 'p', port: 443, protocol: 'TLS', tls: { mode: 'Passthrough' } }]));
  });

  it('checks addresses', () => {
    assertError(parseErrors(gateway([http], { addresses: [{ value: 'lb.example.com' }] })), 'spec.addresses[0].value', 'value must be an IP address');
    assertError(parseErrors(gateway([http], { addresses: [{ value: '10.0.0.1' }, { type: 'IPAddress', value: '10.0.0.1' }] })), 'spec.addresses[1].value', 'IPAddress values must be unique');
    parseOk(gateway([http], { addresses: [{ type: 'Hostname', value: 'lb.example.com' }, { value: 'fd00::1' }] }));
  });
});

describe('HTTPRoute schema', () => {
  it('defaults a rule-less route to one PathPrefix "/" match and backendRef weights to 1', () => {
    const o = parseOk(route({}));
    if (o.kind !== 'HTTPRoute') return assert.fail();
    assert.deepEqual(o.spec.rules[0]?.matches, [{ path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] }]);
    const w = parseOk(rule({ backendRefs: [{ name: 'web', port: 80 }] }));
    if (w.kind === 'HTTPRoute') assert.equal(w.spec.rules[0]?.backendRefs[0]?.weight, 1);
  });

  it('checks path values of Exact and PathPrefix matches, not RegularExpression ones', () => {
    const bad = (value: string) => parseErrors(rule({ matches: [{ path: { type: 'Exact', value } }] }));
    assertError(bad('api'), 'spec.rules[0].matches[0].path.value', "start with '/'");
    assertError(bad('/a//b'), 'spec.rules[0].matches[0].path.value', "must not contain '//'");
    assertError(bad('/a/../b'), 'spec.rules[0].matches[0].path.value', "must not contain '/../'");
    assertError(bad('/a%2Fb'), 'spec.rules[0].matches[0].path.value', "must not contain '%2F'");
    assertError(bad('/a#b'), 'spec.rules[0].matches[0].path.value', "must not contain '#'");
    assertError(bad('/a/.'), 'spec.rules[0].matches[0].path.value', "must not end with '/.'");
    assertError(bad('/a b'), 'spec.rules[0].matches[0].path.value', 'must only contain valid characters');
    parseOk(rule({ matches: [{ path: { type: 'RegularExpression', value: '^/a//b$' } }] }));
  });

  it('limits rules and matches to the spec maxItems', () => {
    assertError(parseErrors(route({ rules: Array.from({ length: 17 }, () => ({})) })), 'spec.rules', 'at most 16 items');
    assertError(parseErrors(rule({ matches: Array.from({ length: 65 }, () => ({})) })), 'spec.rules[0].matches', 'at most 64 items');
    parseOk(rule({ matches: Array.from({ length: 64 }, () => ({})) }));
    const many = route({ rules: Array.from({ length: 3 }, () => ({ matches: Array.from({ length: 50 }, () => ({})) })) });
    assertError(parseErrors(many), 'spec.rules', 'must be less than 128');
  });

  it('checks header names, duplicates and methods', () => {
    const errs = parseErrors(rule({ matches: [{ headers: [{ name: 'x y', value: 'v' }, { name: 'a', value: '1' }, { name: 'a', value: '2' }], method: 'FETCH' }] }));
    assertError(errs, 'spec.rules[0].matches[0].headers[0].name', 'should match');
    assertError(errs, 'spec.rules[0].matches[0].headers[2].name', 'Duplicate value: "a"');
    assertError(errs, 'spec.rules[0].matches[0].method', 'Unsupported value: "FETCH"');
  });

  it('checks backendRefs: port for Services, weight range', () => {
    assertError(parseErrors(rule({ backendRefs: [{ name: 'web' }] })), 'spec.rules[0].backendRefs[0].port', 'Must have port for Service reference');
    assertError(parseErrors(rule({ backendRefs: [{ name: 'web', port: 80, weight: -1 }] })), 'spec.rules[0].backendRefs[0].weight', 'greater than or equal to 0');
    assertError(parseErrors(rule({ backendRefs: [{ name: 'web', port: 80, weight: 1_000_001 }] })), 'spec.rules[0].backendRefs[0].weight', 'less than or equal to 1000000');
    parseOk(rule({ backendRefs: [{ name: 'web', port: 80, weight: 0 }, { group: 'example.com', kind: 'Bucket', name: 'b' }] }));
  });

  it('checks filter types against their config fields, and filter combinations', () => {
    assertError(parseErrors(rule({ filters: [{ type: 'RequestRedirect' }] })), 'spec.rules[0].filters[0].requestRedirect', 'must be specified for RequestRedirect filter.type');
    assertError(
      parseErrors(rule({ filters: [{ type: 'URLRewrite', urlRewrite: {}, requestHeaderModifier: {} }] })),
      'spec.rules[0].filters[0].requestHeaderModifier',
      'must be nil if the filter.type is not RequestHeaderModifier',
    );
    const both = parseErrors(rule({ filters: [{ type: 'RequestRedirect', requestRedirect: {} }, { type: 'URLRewrite', urlRewrite: {} }] }));
    assertError(both, 'spec.rules[0].filters', 'May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both');
    const twice = { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'a', value: 'b' }] } };
    assertError(parseErrors(rule({ filters: [twice, twice] })), 'spec.rules[0].filters', 'RequestHeaderModifier filter cannot be repeated');
    assertError(
      parseErrors(rule({ filters: [{ type: 'RequestRedirect', requestRedirect: {} }], backendRefs: [{ name: 'web', port: 80 }] })),
      'spec.rules[0].filters',
      'RequestRedirect filter must not be used together with backendRefs',
    );
    assertError(parseErrors(rule({ filters: [{ type: 'Magic' }] })), 'spec.rules[0].filters[0].type', 'Unsupported value: "Magic"');
  });

  it('allows ReplacePrefixMatch only with exactly one PathPrefix match', () => {
    const rewrite = { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' } } };
    parseOk(rule({ matches: [{ path: { type: 'PathPrefix', value: '/old' } }], filters: [rewrite] }));
    parseOk(rule({ filters: [rewrite] })); // the default match is one PathPrefix "/"
    assertError(parseErrors(rule({ matches: [{ path: { type: 'Exact', value: '/old' } }], filters: [rewrite] })), 'spec.rules[0].filters', 'exactly one PathPrefix match');
    assertError(parseErrors(rule({ matches: [{}, {}], filters: [rewrite] })), 'spec.rules[0].filters', 'exactly one PathPrefix match');
    assertError(
      parseErrors(rule({ filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replacePrefixMatch: '/x' } } }] })),
      'spec.rules[0].filters[0].urlRewrite.path',
      "replaceFullPath must be specified when type is set to 'ReplaceFullPath'",
    );
  });

  it('checks redirect status codes and schemes, defaulting to 302', () => {
    const o = parseOk(rule({ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https' } }] }));
    if (o.kind === 'HTTPRoute') assert.equal(o.spec.rules[0]?.filters[0]?.requestRedirect?.statusCode, 302);
    assertError(parseErrors(rule({ filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode: 307 } }] })), 'spec.rules[0].filters[0].requestRedirect.statusCode', '301, 302');
    assertError(parseErrors(rule({ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'ftp' } }] })), 'spec.rules[0].filters[0].requestRedirect.scheme', 'Unsupported value: "ftp"');
  });

  it('checks mirrors: percent or fraction, not both', () => {
    const mirror = (m: Record<string, unknown>) => rule({ filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'shadow', port: 80 }, ...m } }], backendRefs: [{ name: 'web', port: 80 }] });
    parseOk(mirror({ fraction: { numerator: 1 } }));
    assertError(parseErrors(mirror({ percent: 10, fraction: { numerator: 1 } })), 'spec.rules[0].filters[0].requestMirror', 'Only one of percent or fraction');
    assertError(parseErrors(mirror({ fraction: { numerator: 3, denominator: 2 } })), 'spec.rules[0].filters[0].requestMirror.fraction', 'numerator must be less than or equal to denominator');
  });

  it('checks timeouts as Gateway API Durations, backendRequest ≤ request', () => {
    assertError(parseErrors(rule({ timeouts: { request: '10' } })), 'spec.rules[0].timeouts.request', 'should match');
    assertError(parseErrors(rule({ timeouts: { request: '1.5s' } })), 'spec.rules[0].timeouts.request', 'should match');
    assertError(parseErrors(rule({ timeouts: { request: '1s', backendRequest: '1001ms' } })), 'spec.rules[0].timeouts.backendRequest', 'cannot be longer than request timeout');
    parseOk(rule({ timeouts: { request: '0s', backendRequest: '1h' } })); // 0s: no request timeout
    assert.equal(durationMs('1h30m'), 5_400_000);
    assert.equal(durationMs('500ms'), 500);
    assert.equal(durationMs('1m1s1ms'), 61_001);
    assert.equal(durationMs('1d'), undefined);
  });

  it('requires distinct sectionName/port on several references to one parent', () => {
    assertError(parseErrors(route({ parentRefs: [{ name: 'edge' }, { name: 'edge', sectionName: 'http' }] })), 'spec.parentRefs[1]', 'must be specified');
    assertError(parseErrors(route({ parentRefs: [{ name: 'edge', sectionName: 'a' }, { name: 'edge', sectionName: 'a' }] })), 'spec.parentRefs[1]', 'must be unique');
    parseOk(route({ parentRefs: [{ name: 'edge', sectionName: 'a' }, { name: 'edge', sectionName: 'b' }, { name: 'other' }] }));
  });

  it('accepts GEP-1731 retries and checks their codes', () => {
    parseOk(rule({ retry: { codes: [503], attempts: 2, backoff: '100ms' } }));
    assertError(parseErrors(rule({ retry: { codes: [200] } })), 'spec.rules[0].retry.codes[0]', 'greater than or equal to 400');
  });
});

describe('ReferenceGrant schema', () => {
  it('requires from and to', () => {
    const errs = parseErrors({ apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant', metadata: { name: 'g' }, spec: { from: [], to: [{ group: '', kind: 'Service' }] } });
    assertError(errs, 'spec.from', 'at least 1 item');
  });
});

describe('Secret schema', () => {
  const secret = (extra: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cert' }, ...extra });
  it('requires tls.crt and tls.key on kubernetes.io/tls Secrets, base64 values and config keys', () => {
    const errs = parseErrors(secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': 'not base64!', 'bad key': 'YQ==' } }));
    assertError(errs, 'data["tls.key"]', 'Required value');
    assertError(errs, 'data["tls.crt"]', 'must be base64-encoded');
    assertError(errs, 'data["bad key"]', 'valid config key');
  });
  it('folds stringData into base64 data', () => {
    const o = parseOk(secret({ stringData: { password: 'hunter2' } }));
    if (o.kind === 'Secret') assert.deepEqual(o.data, { password: Buffer.from('hunter2').toString('base64') });
  });
});

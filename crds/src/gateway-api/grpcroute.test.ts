// GRPCRoute schema: every rule of the standard-channel CRD (OpenAPI limits,
// defaults, CEL) at the field path the API server would name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertError, parseErrors, parseOk } from '../test-helpers.js';

const V1 = 'gateway.networking.k8s.io/v1';

function route(spec: Record<string, unknown>) {
  return { apiVersion: V1, kind: 'GRPCRoute', metadata: { name: 'rpc' }, spec: { parentRefs: [{ name: 'edge' }], ...spec } };
}
const rule = (r: Record<string, unknown>) => route({ rules: [r] });
const match = (m: Record<string, unknown>) => rule({ matches: [m] });
const M = 'spec.rules[0].matches[0]';

describe('GRPCRoute schema', () => {
  it('is registered for gateway.networking.k8s.io/v1 and applies the CRD defaults', () => {
    const o = parseOk(route({ rules: [{ matches: [{ method: { service: 'echo.Echo' }, headers: [{ name: 'x', value: 'y' }] }], backendRefs: [{ name: 'echo', port: 50051 }] }] }));
    if (o.kind !== 'GRPCRoute') return assert.fail(o.kind);
    const r = o.spec.rules[0]!;
    assert.equal(r.matches[0]?.method?.type, 'Exact');
    assert.equal(r.matches[0]?.headers[0]?.type, 'Exact');
    assert.equal(r.backendRefs[0]?.weight, 1);
    assert.deepEqual(r.filters, []);
    assert.deepEqual(o.spec.parentRefs[0], { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge' });
    // No defaults where the CRD has none: no rules, and a rule without matches (it matches every request).
    const bare = parseOk(route({}));
    if (bare.kind === 'GRPCRoute') assert.deepEqual(bare.spec.rules, []);
    const all = parseOk(rule({}));
    if (all.kind === 'GRPCRoute') assert.deepEqual(all.spec.rules[0]?.matches, []);
    assert.ok(parseErrors({ ...route({}), apiVersion: 'gateway.networking.k8s.io/v1alpha2' }).some((e) => e.includes('unsupported kind')));
  });

  it("requires service or method in a method match (CEL: One or both of 'service' or 'method')", () => {
    assertError(parseErrors(match({ method: {} })), `${M}.method`, "One or both of 'service' or 'method' must be specified");
    // type is defaulted before CEL runs, so the rule holds for RegularExpression too.
    assertError(parseErrors(match({ method: { type: 'RegularExpression' } })), `${M}.method`, "One or both of 'service' or 'method' must be specified");
    parseOk(match({ method: { method: 'Who' } }));
    parseOk(match({ method: { service: 'nodemesh.demo.Echo' } }));
  });

  it('checks Exact service and method names against the CEL patterns, not RegularExpression ones', () => {
    assertError(parseErrors(match({ method: { service: 'echo/Echo' } })), `${M}.method`, 'service must only contain valid characters');
    assertError(parseErrors(match({ method: { service: '1echo' } })), `${M}.method`, 'service must only contain valid characters');
    assertError(parseErrors(match({ method: { service: '' } })), `${M}.method`, 'service must only contain valid characters');
    assertError(parseErrors(match({ method: { service: 'a.Echo', method: 'Who/Me' } })), `${M}.method`, 'method must only contain valid characters (matching ^[A-Za-z_][A-Za-z_0-9]*$)');
    assertError(parseErrors(match({ method: { method: 'a.b' } })), `${M}.method`, 'method must only contain valid characters');
    // (?i): upper case, a leading dot and underscores are valid service names.
    parseOk(match({ method: { service: '.Foo_Bar.v1.Echo', method: '_Who2' } }));
    parseOk(match({ method: { type: 'RegularExpression', service: 'echo\\..*', method: 'Wh(o|at)' } }));
    assertError(parseErrors(match({ method: { type: 'Prefix', service: 'a' } })), `${M}.method.type`, 'Unsupported value: "Prefix"');
    assertError(parseErrors(match({ method: { service: 'a'.repeat(1025) } })), `${M}.method.service`, '1024');
  });

  it('checks header matches: name syntax, type, value length, unique names', () => {
    const errs = parseErrors(match({ headers: [{ name: 'x y', value: 'v' }, { name: 'a', value: '1' }, { name: 'a', value: '2' }, { name: 'b', value: '' }, { name: 'c', value: 'v', type: 'Prefix' }] }));
    assertError(errs, `${M}.headers[0].name`, 'should match');
    assertError(errs, `${M}.headers[2].name`, 'Duplicate value: "a"');
    assertError(errs, `${M}.headers[3].value`, '');
    assertError(errs, `${M}.headers[4].type`, 'Unsupported value: "Prefix"');
    assertError(parseErrors(match({ headers: Array.from({ length: 17 }, (_, i) => ({ name: `h${i}`, value: 'v' })) })), `${M}.headers`, 'at most 16 items');
    // The list-map key is the literal name: case variants pass the API server.
    parseOk(match({ headers: [{ name: 'Foo', value: '1' }, { name: 'foo', value: '2' }] }));
  });

  it('limits rules, matches per rule and matches per route', () => {
    assertError(parseErrors(route({ rules: Array.from({ length: 17 }, () => ({})) })), 'spec.rules', 'at most 16 items');
    const m = { method: { service: 'a.B' } };
    assertError(parseErrors(rule({ matches: Array.from({ length: 65 }, () => m) })), 'spec.rules[0].matches', 'at most 64 items');
    parseOk(route({ rules: [{ matches: Array.from({ length: 64 }, () => m) }, { matches: Array.from({ length: 64 }, () => m) }] }));
    const many = route({ rules: Array.from({ length: 3 }, () => ({ matches: Array.from({ length: 50 }, () => m) })) });
    assertError(parseErrors(many), 'spec.rules', 'must be less than 128');
    assertError(parseErrors(route({ hostnames: Array.from({ length: 17 }, (_, i) => `h${i}.example.com`) })), 'spec.hostnames', 'at most 16 items');
    assertError(parseErrors(route({ hostnames: ['10.0.0.1'] })), 'spec.hostnames[0]', 'not an IP address');
  });

  it('allows only the four GRPCRoute filter types, each with its own config field', () => {
    assertError(parseErrors(rule({ filters: [{ type: 'URLRewrite', urlRewrite: {} }] })), 'spec.rules[0].filters[0].type', 'Unsupported value: "URLRewrite"');
    assertError(parseErrors(rule({ filters: [{ type: 'RequestRedirect' }] })), 'spec.rules[0].filters[0].type', 'Unsupported value: "RequestRedirect"');
    assertError(parseErrors(rule({ filters: [{ type: 'RequestHeaderModifier' }] })), 'spec.rules[0].filters[0].requestHeaderModifier', 'must be specified for RequestHeaderModifier filter.type');
    assertError(
      parseErrors(rule({ filters: [{ type: 'ExtensionRef', extensionRef: { group: 'example.com', kind: 'K', name: 'n' }, responseHeaderModifier: {} }] })),
      'spec.rules[0].filters[0].responseHeaderModifier',
      'must be nil if the filter.type is not ResponseHeaderModifier',
    );
    const twice = { type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'a', value: 'b' }] } };
    assertError(parseErrors(rule({ filters: [twice, twice] })), 'spec.rules[0].filters', 'ResponseHeaderModifier filter cannot be repeated');
    assertError(parseErrors(rule({ backendRefs: [{ name: 'a', port: 1, filters: [twice, twice] }] })), 'spec.rules[0].backendRefs[0].filters', 'ResponseHeaderModifier filter cannot be repeated');
    const mirror = { type: 'RequestMirror', requestMirror: { backendRef: { name: 'shadow', port: 50051 }, percent: 10, fraction: { numerator: 1 } } };
    assertError(parseErrors(rule({ filters: [mirror] })), 'spec.rules[0].filters[0].requestMirror', 'Only one of percent or fraction');
    assertError(parseErrors(rule({ filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'shadow' } } }] })), 'spec.rules[0].filters[0].requestMirror.backendRef.port', 'Must have port for Service reference');
    // RequestMirror may repeat (the spec: "This filter can be used multiple times within the same rule").
    const m1 = { type: 'RequestMirror', requestMirror: { backendRef: { name: 'a', port: 1 } } };
    parseOk(rule({ filters: [m1, m1, { type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'x', value: '1' }] } }] }));
  });

  it('checks backendRefs: port for Services, weight range', () => {
    assertError(parseErrors(rule({ backendRefs: [{ name: 'echo' }] })), 'spec.rules[0].backendRefs[0].port', 'Must have port for Service reference');
    assertError(parseErrors(rule({ backendRefs: [{ name: 'echo', port: 1, weight: -1 }] })), 'spec.rules[0].backendRefs[0].weight', 'greater than or equal to 0');
    assertError(parseErrors(rule({ backendRefs: [{ name: 'echo', port: 1, weight: 1_000_001 }] })), 'spec.rules[0].backendRefs[0].weight', 'less than or equal to 1000000');
    assertError(parseErrors(rule({ backendRefs: Array.from({ length: 17 }, () => ({ name: 'e', port: 1 })) })), 'spec.rules[0].backendRefs', 'at most 16 items');
    parseOk(rule({ backendRefs: [{ name: 'echo', port: 1, weight: 0 }, { group: 'example.com', kind: 'Bucket', name: 'b' }] }));
  });

  it('checks rule names (sectionName syntax, unique within the route) and parentRefs', () => {
    assertError(parseErrors(rule({ name: 'Not_Valid' })), 'spec.rules[0].name', 'should match');
    assertError(parseErrors(route({ rules: [{ name: 'a' }, { name: 'a' }] })), 'spec.rules[1].name', 'Rule name must be unique within the route');
    parseOk(route({ rules: [{ name: 'a' }, { name: 'b' }, {}] }));
    assertError(parseErrors(route({ parentRefs: [{ name: 'edge' }, { name: 'edge', sectionName: 'grpc' }] })), 'spec.parentRefs[1]', 'must be specified');
    parseOk(route({ parentRefs: [{ name: 'edge', sectionName: 'a' }, { group: '', kind: 'Service', name: 'echo', port: 50051 }] }));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatConfigError } from '../errors.js';
import { parseObject, SUPPORTED_KINDS } from '../parse.js';
import { emptyResources, addToResources } from '../resources.js';
import { assertError, parseErrors, parseOk } from '../test-helpers.js';

const G = 'gateway.networking.k8s.io';

function route(kind: string, version: string, spec: Record<string, unknown>) {
  return { apiVersion: `${G}/${version}`, kind, metadata: { name: 'r', namespace: 'apps' }, spec: { parentRefs: [{ name: 'edge' }], ...spec } };
}
const backend = { name: 'db', port: 5432 };
const oneRule = { rules: [{ backendRefs: [backend] }] };

describe('TLSRoute, TCPRoute, UDPRoute schemas', () => {
  it('are served in every apiVersion of the upstream CRDs and land in their Resources field', () => {
    for (const k of ['v1alpha2/TLSRoute', 'v1alpha3/TLSRoute', 'v1/TLSRoute', 'v1alpha2/TCPRoute', 'v1/TCPRoute', 'v1alpha2/UDPRoute', 'v1/UDPRoute']) {
      assert.ok(SUPPORTED_KINDS.includes(`${G}/${k}`), k);
    }
    const r = emptyResources();
    addToResources(r, parseOk(route('TLSRoute', 'v1', { hostnames: ['a.example.com'], ...oneRule })));
    addToResources(r, parseOk(route('TCPRoute', 'v1alpha2', oneRule)));
    addToResources(r, parseOk(route('UDPRoute', 'v1alpha2', oneRule)));
    assert.equal(r.tlsRoutes.length + r.tcpRoutes.length + r.udpRoutes.length, 3);
    assert.equal(r.tcpRoutes[0]?.spec.rules[0]?.backendRefs[0]?.weight, 1, 'weight defaults to 1');
    assert.equal(r.tcpRoutes[0]?.spec.rules[0]?.backendRefs[0]?.kind, 'Service');
  });

  it('require rules (1..16 in v1alpha2, exactly 1 in v1alpha3/v1) and 1..16 backendRefs per rule', () => {
    for (const kind of ['TCPRoute', 'UDPRoute']) {
      assertError(parseErrors(route(kind, 'v1alpha2', {})), 'spec.rules', 'Required value');
      assertError(parseErrors(route(kind, 'v1alpha2', { rules: [] })), 'spec.rules', 'at least 1 item');
      parseOk(route(kind, 'v1alpha2', { rules: Array.from({ length: 16 }, () => ({ backendRefs: [backend] })) }));
      assertError(parseErrors(route(kind, 'v1alpha2', { rules: Array.from({ length: 17 }, () => ({ backendRefs: [backend] })) })), 'spec.rules', 'at most 16 items');
      assertError(parseErrors(route(kind, 'v1', { rules: [{ backendRefs: [backend] }, { backendRefs: [backend] }] })), 'spec.rules', 'at most 1 item');
      assertError(parseErrors(route(kind, 'v1alpha2', { rules: [{}] })), 'spec.rules[0].backendRefs', 'Required value');
      assertError(parseErrors(route(kind, 'v1alpha2', { rules: [{ backendRefs: [] }] })), 'spec.rules[0].backendRefs', 'at least 1 item');
      assertError(parseErrors(route(kind, 'v1alpha2', { rules: [{ backendRefs: Array.from({ length: 17 }, () => backend) }] })), 'spec.rules[0].backendRefs', 'at most 16 items');
    }
    assertError(parseErrors(route('TLSRoute', 'v1alpha3', { hostnames: ['a.example.com'], rules: [oneRule.rules[0], oneRule.rules[0]] })), 'spec.rules', 'at most 1 item');
  });

  it('check backendRefs: port for Services, port range, weight 0..1,000,000', () => {
    const bad = (b: Record<string, unknown>) => parseErrors(route('TCPRoute', 'v1alpha2', { rules: [{ backendRefs: [b] }] }));
    assertError(bad({ name: 'db' }), 'spec.rules[0].backendRefs[0].port', 'Must have port for Service reference');
    assertError(bad({ name: 'db', port: 0 }), 'spec.rules[0].backendRefs[0].port', 'between 1 and 65535');
    assertError(bad({ name: 'db', port: 65536 }), 'spec.rules[0].backendRefs[0].port', 'between 1 and 65535');
    assertError(bad({ name: 'db', port: 1, weight: -1 }), 'spec.rules[0].backendRefs[0].weight', 'greater than or equal to 0');
    assertError(bad({ name: 'db', port: 1, weight: 1_000_001 }), 'spec.rules[0].backendRefs[0].weight', 'less than or equal to 1000000');
    assertError(bad({ name: '', port: 1 }), 'spec.rules[0].backendRefs[0].name', 'must not be empty');
    parseOk(route('TCPRoute', 'v1alpha2', { rules: [{ backendRefs: [{ ...backend, weight: 0 }, { group: 'example.com', kind: 'Bucket', name: 'b' }] }] }));
  });

  it('check TLSRoute hostnames: RFC 1123, one leading wildcard label, no IPs, at most 1024; required from v1alpha3 on', () => {
    const h = (hostnames: unknown, version = 'v1alpha2') => route('TLSRoute', version, { hostnames, ...oneRule });
    parseOk(h(['*.example.com', 'a.example.com']));
    assertError(parseErrors(h(['10.0.0.1'])), 'spec.hostnames[0]', 'not an IP address');
    assertError(parseErrors(h(['a.*.example.com'])), 'spec.hostnames[0]', 'should match');
    assertError(parseErrors(h(['Example.com'])), 'spec.hostnames[0]', 'should match');
    assertError(parseErrors(h(Array.from({ length: 1025 }, (_, i) => `h${i}.example.com`))), 'spec.hostnames', 'at most 1024 items');
    const none = parseOk(route('TLSRoute', 'v1alpha2', oneRule));
    if (none.kind === 'TLSRoute') assert.deepEqual(none.spec.hostnames, []);
    assertError(parseErrors(route('TLSRoute', 'v1', oneRule)), 'spec.hostnames', 'Required value');
    assertError(parseErrors(h([], 'v1alpha3')), 'spec.hostnames', 'at least 1 item');
    // v1alpha3 / v1 add CEL rules on the list, with their own messages.
    assertError(parseErrors(h(['10.0.0.1'], 'v1')), 'spec.hostnames', 'Hostnames cannot contain an IP');
    assertError(parseErrors(h(['Bad_Name'], 'v1')), 'spec.hostnames', 'Hostnames must be valid based on RFC-1123');
    assertError(parseErrors(h(['a.*.example.com'], 'v1alpha3')), 'spec.hostnames', 'Wildcards on hostnames must be the first label');
  });

  it('enforce unique rule names and the parentRefs CEL rules', () => {
    const named = route('TCPRoute', 'v1alpha2', { rules: [{ name: 'a', backendRefs: [backend] }, { name: 'a', backendRefs: [backend] }] });
    assertError(parseErrors(named), 'spec.rules[1].name', 'Rule name must be unique within the route');
    assertError(parseErrors(route('UDPRoute', 'v1alpha2', { ...oneRule, rules: [{ name: 'Not_A_Name', backendRefs: [backend] }] })), 'spec.rules[0].name', 'should match');
    const refs = route('UDPRoute', 'v1alpha2', { ...oneRule, parentRefs: [{ name: 'edge', sectionName: 'a' }, { name: 'edge', sectionName: 'a' }] });
    assertError(parseErrors(refs), 'spec.parentRefs[1]', 'must be unique');
    assertError(parseErrors(route('TCPRoute', 'v1', { ...oneRule, parentRefs: [{ name: 'edge', port: 0 }] })), 'spec.parentRefs[0].port', 'between 1 and 65535');
  });

  it('name the file, kind, object and field path in errors', () => {
    const r = parseObject(route('UDPRoute', 'v1alpha2', { rules: [{ backendRefs: [{ name: 'dns' }] }] }), { file: 'dns.yaml', index: 2 });
    assert.ok(!r.ok);
    if (!r.ok) assert.match(formatConfigError(r.errors[0]!), /^error: dns\.yaml#2 gateway\.networking\.k8s\.io\/v1alpha2\/UDPRoute apps\/r: spec\.rules\[0\]\.backendRefs\[0\]\.port: Must have port for Service reference/);
  });

  it('reject a kind in an apiVersion that never served it', () => {
    assertError(parseErrors(route('TCPRoute', 'v1alpha3', oneRule)), '', 'unsupported kind gateway.networking.k8s.io/v1alpha3/TCPRoute');
  });
});

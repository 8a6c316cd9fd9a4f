import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertError, parseErrors, parseOk } from './test-helpers.js';

function slice(body: Record<string, unknown>, labels: Record<string, string> = { 'kubernetes.io/service-name': 'reviews' }) {
  return { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'reviews-abc', labels }, ...body };
}

describe('EndpointSlice schema', () => {
  it('parses a typical slice with defaults', () => {
    const o = parseOk(
      slice({
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.1.0.5'], conditions: { ready: true }, nodeName: 'node-a', zone: 'z1', targetRef: { kind: 'Pod', name: 'p' } }],
        ports: [{ name: 'http', port: 8080 }],
      }),
    );
    if (o.kind !== 'EndpointSlice') return assert.fail();
    assert.deepEqual(o.ports, [{ name: 'http', protocol: 'TCP', port: 8080 }]);
    assert.equal(o.endpoints[0]?.nodeName, 'node-a');
  });

  it('requires the kubernetes.io/service-name label', () => {
    assert.deepEqual(parseErrors(slice({ addressType: 'IPv4' }, {})), [
      'metadata.labels: missing label "kubernetes.io/service-name": nodemesh uses it to find the slice\'s Service',
    ]);
  });

  it('checks addresses against addressType and the 1..100 bound', () => {
    const errs = parseErrors(
      slice({
        addressType: 'IPv6',
        endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: [] }],
      }),
    );
    assertError(errs, 'endpoints[0].addresses[0]', 'must be a valid IPv6 address');
    assertError(errs, 'endpoints[1].addresses', 'at least 1 address');
    const many = Array.from({ length: 101 }, (_, i) => `fd00::${i + 1}`);
    assertError(parseErrors(slice({ addressType: 'IPv6', endpoints: [{ addresses: many }] })), 'endpoints[0].addresses', 'at most 100');
    assertError(parseErrors(slice({ addressType: 'FQDN', endpoints: [{ addresses: ['db'] }] })), 'endpoints[0].addresses[0]', 'two segments');
    assertError(parseErrors(slice({ addressType: 'IPX' })), 'addressType', 'Unsupported value');
  });

  it('checks ports: range, unique names, protocol', () => {
    const errs = parseErrors(slice({ addressType: 'IPv4', ports: [{ name: 'a', port: 65536 }, { name: 'a', port: 1, protocol: 'tcp' }] }));
    assertError(errs, 'ports[0].port', 'between 1 and 65535');
    assertError(errs, 'ports[1].name', 'Duplicate value');
    assertError(errs, 'ports[1].protocol', 'Unsupported value');
  });
});

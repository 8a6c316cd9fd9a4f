import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertError, parseErrors, parseOk } from './test-helpers.js';

function wl(spec: Record<string, unknown>, name = 'vm-1') {
  return { apiVersion: 'nodemesh.io/v1alpha1', kind: 'Workload', metadata: { name, namespace: 'shop' }, spec };
}

describe('Workload schema', () => {
  it('applies defaults', () => {
    const o = parseOk(wl({ address: '192.168.1.10' }));
    if (o.kind !== 'Workload') return assert.fail();
    assert.deepEqual(o.spec, { address: '192.168.1.10', labels: {}, serviceAccount: 'default', weight: 1, health: 'Healthy' });
  });

  it('accepts every field', () => {
    const spec = {
      address: 'fd00::10',
      ports: { http: 8080, 'grpc-api': 9090 },
      labels: { app: 'reviews', 'app.kubernetes.io/version': 'v2' },
      serviceAccount: 'reviews.v2',
      node: 'vm-host-1',
      locality: { region: 'eu-west', zone: 'eu-west-1a', subzone: 'rack-4' },
      weight: 128,
      health: 'Draining',
    };
    const o = parseOk(wl(spec));
    if (o.kind === 'Workload') assert.deepEqual(o.spec, spec);
  });

  it('rejects invalid values with precise paths', () => {
    const errs = parseErrors(
      wl({ address: 'vm.example.com', ports: { http: 0, Web: 80 }, serviceAccount: 'Bad_SA', weight: 129, health: 'healthy' }, 'Vm'),
    );
    assertError(errs, 'metadata.name', 'RFC 1123 subdomain');
    assertError(errs, 'spec.address', 'must be a valid IP address');
    assertError(errs, 'spec.ports.http', 'between 1 and 65535');
    assertError(errs, 'spec.ports.Web', 'invalid port name');
    assertError(errs, 'spec.serviceAccount', 'RFC 1123 subdomain');
    assertError(errs, 'spec.weight', 'between 1 and 128');
    assertError(errs, 'spec.health', 'Unsupported value: "healthy": supported values: "Healthy", "Unhealthy", "Draining"');
    assertError(parseErrors(wl({ weight: 1.5, address: '10.0.0.1' })), 'spec.weight', 'must be an integer');
    assertError(parseErrors(wl({})), 'spec.address', 'Required value');
  });
});

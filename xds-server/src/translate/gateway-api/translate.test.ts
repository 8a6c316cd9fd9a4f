// Golden tests: testdata/translate/gateway-api/<case>.in.yaml (real objects,
// loaded through the file provider's parse path, Services translated by the
// Kubernetes translator) → <case>.out.yaml holding the GatewayIRs, every
// object's status and every error. UPDATE_GOLDEN=1 rewrites the goldens and
// prunes those of removed cases.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatConfigError } from '../../../../crds/src/errors.js';
import type { Resources } from '../../../../crds/src/resources.js';
import { validateModel } from '../../model/validate.js';
import { describeGoldens, goldenCases, loadGoldenInput } from '../../testing/golden-inputs.js';
import { translateResources } from '../kubernetes/translate.js';
import { compareHostSpecificity, intersectHostnames } from './hostnames.js';
import { translateGatewayApi } from './translate.js';

const dir = fileURLToPath(new URL('../../../testdata/translate/gateway-api/', import.meta.url));
const cases = goldenCases(dir);
const OPTS = { trustDomain: 'mesh.example', clusterDomain: 'cluster.local' };

const load = (name: string) => loadGoldenInput(dir, name);

function run(resources: Resources) {
  const { model } = translateResources(resources, OPTS);
  return { model, ...translateGatewayApi(resources, model, {}) };
}


const REQUIRED = [
  'basic-http',
  'precedence-two-routes',
  'hostname-intersection',
  'shared-port-listeners',
  'https-certificate-refs',
  'cross-namespace-backend',
  'missing-backend',
  'filters',
  'extension-ref',
  'invalid-route-among-valid',
  'allowed-routes',
  'unsupported-protocol-listener',
  'tls-passthrough-sni',
  'tls-terminate-mixed',
  'tcp-routes',
  'udp-routes',
];

describeGoldens('translateGatewayApi goldens', dir, REQUIRED, (loaded) => {
  const { model, gateways, meshRoutes, statuses, errors } = run(loaded.resources);
  // The IR must be a valid part of the model the publisher checks.
  assert.deepEqual(validateModel({ ...model, gateways, meshRoutes }), []);
  // meshRoutes (GAMMA) only where there are any, so Gateway-only goldens are unchanged.
  return { gateways, ...(meshRoutes.length && { meshRoutes }), statuses, errors: [...loaded.errors, ...errors.map(formatConfigError)] };
});

describe('translateGatewayApi', () => {
  it('does not depend on the order of its input', () => {
    for (const name of cases) {
      const { resources } = load(name);
      const reversed = Object.fromEntries(Object.entries(resources).map(([k, v]) => [k, [...(v as unknown[])].reverse()])) as unknown as Resources;
      const a = run(resources);
      const b = run(reversed);
      assert.deepEqual(b.gateways, a.gateways, name);
      assert.deepEqual(b.meshRoutes, a.meshRoutes, name);
      assert.deepEqual(b.statuses, a.statuses, name);
      assert.deepEqual(b.errors, a.errors, name);
    }
  });

  it('intersects hostnames as the spec describes', () => {
    assert.deepEqual(intersectHostnames(undefined, []), ['*']);
    assert.deepEqual(intersectHostnames('*.example.com', []), ['*.example.com']);
    assert.deepEqual(intersectHostnames('*.example.com', ['a.example.com', 'a.b.example.com', 'example.com', 'other.org']), ['a.example.com', 'a.b.example.com']);
    assert.deepEqual(intersectHostnames('*.example.com', ['*.com']), ['*.example.com']);
    assert.deepEqual(intersectHostnames('*.example.com', ['*.a.example.com']), ['*.a.example.com']);
    assert.deepEqual(intersectHostnames('www.example.com', ['*.example.com', 'api.example.com']), ['www.example.com']);
    assert.deepEqual(intersectHostnames('www.example.com', ['example.com']), []);
    assert.deepEqual(['*', '*.example.com', 'b.example.com', '*.a.example.com', 'a.example.com'].sort(compareHostSpecificity), [
      'a.example.com',
      'b.example.com',
      '*.a.example.com',
      '*.example.com',
      '*',
    ]);
  });
});

// Golden tests: testdata/translate/ingress/<case>.in.yaml (real objects,
// loaded through the file provider's parse path, Services translated by the
// Kubernetes translator) → <case>.out.yaml holding the ingress GatewayIR,
// every Ingress's status and every error. UPDATE_GOLDEN=1 rewrites the
// goldens and prunes those of removed cases.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatConfigError } from '../../../../crds/src/errors.js';
import type { Resources } from '../../../../crds/src/resources.js';
import { validateModel } from '../../model/validate.js';
import { describeGoldens, goldenCases, loadGoldenInput } from '../../testing/golden-inputs.js';
import { translateResources } from '../kubernetes/translate.js';
import { ingressCovers, translateIngress, wildcardAuthority } from './translate.js';

const dir = fileURLToPath(new URL('../../../testdata/translate/ingress/', import.meta.url));
const cases = goldenCases(dir);
const OPTS = { trustDomain: 'mesh.example', clusterDomain: 'cluster.local' };

const load = (name: string) => loadGoldenInput(dir, name);

function run(resources: Resources) {
  const { model } = translateResources(resources, OPTS);
  return { model, ...translateIngress(resources, model, {}) };
}


const REQUIRED = [
  'basic-host-paths',
  'exact-prefix-precedence',
  'named-port',
  'default-backend',
  'tls-secret',
  'tls-missing-secret',
  'resource-backend',
  'other-class-ignored',
  'default-class',
  'annotations',
  'conflicts',
];

describeGoldens('translateIngress goldens', dir, REQUIRED, (loaded) => {
  const { model, gateways, statuses, errors } = run(loaded.resources);
  // The IR must be a valid part of the model the publisher checks.
  assert.deepEqual(validateModel({ ...model, gateways }), []);
  return { gateways, statuses, errors: [...loaded.errors, ...errors.map(formatConfigError)] };
});

describe('translateIngress', () => {
  it('does not depend on the order of its input', () => {
    for (const name of cases) {
      const { resources } = load(name);
      const reversed = Object.fromEntries(Object.entries(resources).map(([k, v]) => [k, [...(v as unknown[])].reverse()])) as unknown as Resources;
      const a = run(resources);
      const b = run(reversed);
      assert.deepEqual(b.gateways, a.gateways, name);
      assert.deepEqual(b.statuses, a.statuses, name);
      assert.deepEqual(b.errors, a.errors, name);
    }
  });

  it('takes its ports, address and class name from the options', () => {
    const { resources } = load('basic-host-paths');
    const { model } = translateResources(resources, OPTS);
    const r = translateIngress(resources, model, { ingressAddress: '127.0.0.1', httpPort: 8080, httpsPort: 8443 });
    assert.equal(r.gateways[0]?.name, 'ingress/nodemesh');
    assert.equal(r.gateways[0]?.namespace, '');
    assert.deepEqual(r.gateways[0]?.addresses, ['127.0.0.1']);
    assert.deepEqual(r.gateways[0]?.ports.map((p) => p.port), [8080]);
    assert.deepEqual(r.statuses[0]?.loadBalancer, { ingress: [{ ip: '127.0.0.1' }] });
    // Another class name: the Ingresses of class "nodemesh" are no longer ours.
    assert.deepEqual(translateIngress(resources, model, { ingressClass: 'edge' }), { gateways: [], statuses: [], errors: [] });
  });

  it('matches a wildcard host on exactly one label, as the Ingress spec says', () => {
    assert.ok(ingressCovers('*.foo.com', 'bar.foo.com'));
    assert.ok(!ingressCovers('*.foo.com', 'baz.bar.foo.com'));
    assert.ok(!ingressCovers('*.foo.com', 'foo.com'));
    assert.ok(!ingressCovers('*.foo.com', '*.bar.foo.com'));
    assert.ok(ingressCovers('*.foo.com', '*.foo.com'));
    assert.ok(ingressCovers('*', 'foo.com') && ingressCovers('', 'foo.com'));
    const re = new RegExp(wildcardAuthority('*.foo.com'));
    assert.ok(re.test('bar.foo.com') && re.test('bar.foo.com:8080'));
    assert.ok(!re.test('baz.bar.foo.com') && !re.test('barxfoo.com') && !re.test('.foo.com'));
  });
});

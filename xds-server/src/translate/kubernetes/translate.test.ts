// Golden tests: testdata/translate/kubernetes/<case>.in.yaml (real objects,
// loaded through the file provider's parse path) → <case>.out.yaml holding
// the model and every error, formatted. UPDATE_GOLDEN=1 rewrites the goldens.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatConfigError } from '../../../../crds/src/errors.js';
import type { Resources } from '../../../../crds/src/resources.js';
import { validateModel } from '../../model/validate.js';
import { describeGoldens, goldenCases, loadGoldenInput } from '../../testing/golden-inputs.js';
import { compareAddresses } from './address.js';
import { translateResources } from './translate.js';

const dir = fileURLToPath(new URL('../../../testdata/translate/kubernetes/', import.meta.url));
const cases = goldenCases(dir);
const OPTS = { trustDomain: 'mesh.example', clusterDomain: 'cluster.local' };

const load = (name: string) => loadGoldenInput(dir, name);


describeGoldens('translateResources goldens', dir, ['basic-service', 'multi-port-appprotocol', 'endpointslice-health', 'workloads-selector', 'headless', 'lb-policy-annotation', 'orphan-slice', 'duplicate-address'], (loaded) => {
  const { model, errors } = translateResources(loaded.resources, OPTS);
  // The translator must never hand the publisher an invalid model.
  assert.deepEqual(validateModel(model), []);
  return { model, errors: [...loaded.errors, ...errors.map(formatConfigError)] };
});

describe('translateResources', () => {
  it('does not depend on the order of its input', () => {
    for (const name of cases) {
      const { resources } = load(name);
      const reversed: Resources = {
        ...resources,
        services: [...resources.services].reverse(),
        endpointSlices: [...resources.endpointSlices].reverse(),
        workloads: [...resources.workloads].reverse(),
      };
      assert.deepEqual(translateResources(reversed, OPTS), translateResources(resources, OPTS), name);
    }
  });

  it('orders addresses numerically, IPv4 first', () => {
    const sorted = ['fd00::10', '10.0.0.10', 'fd00::9', '10.0.0.9', '9.0.0.1', '::1'].sort(compareAddresses);
    assert.deepEqual(sorted, ['9.0.0.1', '10.0.0.9', '10.0.0.10', '::1', 'fd00::9', 'fd00::10']);
  });
});

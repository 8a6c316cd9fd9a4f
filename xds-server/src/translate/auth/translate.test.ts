// Golden tests: testdata/translate/auth/<case>.in.yaml (loaded through the
// file provider's parse path) → the Kubernetes translator's model → the auth
// translator → <case>.out.yaml with authPolicies and every error, formatted.
// UPDATE_GOLDEN=1 rewrites the goldens.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatConfigError } from '../../../../crds/src/errors.js';
import type { Resources } from '../../../../crds/src/resources.js';
import { authModeFor, authScopeFor } from '../../model/auth-policies.js';
import { validateModel } from '../../model/validate.js';
import { describeGoldens, goldenCases, loadGoldenInput } from '../../testing/golden-inputs.js';
import { translateResources } from '../kubernetes/translate.js';
import { translateAuthPolicies } from './translate.js';

const dir = fileURLToPath(new URL('../../../testdata/translate/auth/', import.meta.url));
const cases = goldenCases(dir);
const OPTS = { trustDomain: 'mesh.example', clusterDomain: 'cluster.local' };

function run(resources: Resources) {
  const { model } = translateResources(resources, OPTS);
  const r = translateAuthPolicies(resources, model);
  return { model: { ...model, authPolicies: r.authPolicies }, errors: r.errors };
}

describeGoldens('translateAuthPolicies goldens', dir, ['networkpolicy-required', 'meshpolicy', 'overlapping-required-wins', 'invalid-annotation', 'selector-matches-nothing', 'per-connection'], (loaded) => {
  const { model, errors } = run(loaded.resources);
  assert.deepEqual(validateModel(model), []);
  return { authPolicies: model.authPolicies, errors: [...loaded.errors, ...errors.map(formatConfigError)] };
});

describe('translateAuthPolicies', () => {
  it('does not depend on the order of its input', () => {
    for (const name of cases) {
      const { resources } = loadGoldenInput(dir, name);
      const reversed: Resources = {
        ...resources,
        networkPolicies: [...resources.networkPolicies].reverse(),
        meshPolicies: [...resources.meshPolicies].reverse(),
        workloads: [...resources.workloads].reverse(),
        services: [...resources.services].reverse(),
      };
      assert.deepEqual(run(reversed), run(resources), name);
    }
  });

  it('required wins per flow, also where port sets only overlap', () => {
    const { model } = run(loadGoldenInput(dir, 'overlapping-required-wins').resources);
    const entries = model.authPolicies ?? [];
    const web = 'spiffe://mesh.example/ns/shop/sa/web';
    // MeshPolicy disables auth on every port of 10.0.0.20; the NetworkPolicy requires it on TCP 9080 from web.
    assert.equal(authModeFor(entries, { sourceIdentity: web, destinationAddress: '10.0.0.20', port: 9080, protocol: 'TCP' }), 'required');
    assert.equal(authModeFor(entries, { sourceIdentity: web, destinationAddress: '10.0.0.20', port: 9081, protocol: 'TCP' }), 'disabled');
    assert.equal(authModeFor(entries, { sourceIdentity: 'spiffe://mesh.example/ns/shop/sa/other', destinationAddress: '10.0.0.20', port: 9080, protocol: 'TCP' }), 'disabled');
    assert.equal(authModeFor(entries, { sourceIdentity: web, destinationAddress: '10.9.9.9', port: 9080, protocol: 'TCP' }), undefined);
  });

  it('per connection wins over per pair, required over disabled, per flow', () => {
    const { model } = run(loadGoldenInput(dir, 'per-connection').resources);
    const entries = model.authPolicies ?? [];
    const web = 'spiffe://mesh.example/ns/shop/sa/web';
    const batch = 'spiffe://mesh.example/ns/jobs/sa/batch';
    const flow = (sourceIdentity: string, destinationAddress: string, port: number) => ({ sourceIdentity, destinationAddress, port, protocol: 'TCP' as const });
    assert.equal(authScopeFor(entries, flow(web, '10.0.0.20', 9080)), 'connection');
    assert.equal(authModeFor(entries, flow(web, '10.0.0.20', 9080)), 'required');
    assert.equal(authScopeFor(entries, flow(batch, '10.0.0.20', 9080)), 'pair');
    assert.equal(authScopeFor(entries, flow(web, '10.0.0.30', 6379)), 'connection');
    assert.equal(authScopeFor(entries, flow(batch, '10.0.0.30', 6379)), undefined);
    assert.equal(authScopeFor(entries, flow(web, '10.0.0.20', 9081)), undefined);
  });

  it('validateModel reports broken entries', () => {
    const errors = validateModel({
      trustDomain: 'td',
      clusterDomain: 'cluster.local',
      services: [],
      authPolicies: [
        {
          destination: { namespace: 'a', identity: 'not-spiffe', address: 'x', node: '' },
          ports: [{ protocol: 'TCP', port: 70000 }, { protocol: 'TCP', port: 10, endPort: 5 }],
          sources: { any: false, identities: [], ipBlocks: [] },
          mode: 'required',
          policies: [],
        },
        {
          destination: { namespace: 'a', identity: 'spiffe://td/ns/a/sa/b', address: '10.0.0.1', node: 'n' },
          ports: [],
          sources: { any: true, identities: [], ipBlocks: [] },
          mode: 'disabled',
          scope: 'connection',
          policies: [{ kind: 'MeshPolicy', namespace: 'a', name: 'p' }],
        },
      ],
    });
    assert.deepEqual(
      errors.map((e) => e.path),
      ['authPolicies[0].destination.identity', 'authPolicies[0].destination.address', 'authPolicies[0].policies', 'authPolicies[0].ports[0].port', 'authPolicies[0].ports[1].endPort', 'authPolicies[0].sources', 'authPolicies[1].scope'],
    );
  });
});

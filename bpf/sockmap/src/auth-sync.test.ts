// The auth datapath entries the bpf agent derives from the model: the
// MeshPolicy golden input of the auth translator (xds-server/testdata/translate/auth/).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadGoldenInput } from '../../../xds-server/src/testing/golden-inputs.js';
import { translateAuthPolicies } from '../../../xds-server/src/translate/auth/translate.js';
import { translateResources } from '../../../xds-server/src/translate/kubernetes/translate.js';
import { authDatapathEntries } from './auth-sync.js';

const dir = fileURLToPath(new URL('../../../xds-server/testdata/translate/auth/', import.meta.url));

function entries(name: string, withPolicies = true) {
  const { resources } = loadGoldenInput(dir, name);
  const { model } = translateResources(resources, { trustDomain: 'mesh.example', clusterDomain: 'cluster.local' });
  const { authPolicies } = translateAuthPolicies(resources, model);
  return authDatapathEntries(resources, withPolicies ? { ...model, authPolicies } : model);
}

describe('authDatapathEntries (model → nm_ip_identity, nm_auth_required)', () => {
  it('MeshPolicy: required TCP port and an any-protocol range, per destination identity; disabled rules add nothing', () => {
    const e = entries('meshpolicy');
    const reviews = 'spiffe://mesh.example/ns/shop/sa/reviews';
    assert.deepEqual(
      e.ipIdentities.filter((i) => i.spiffeId === reviews),
      [
        { address: '10.0.0.20', spiffeId: reviews, node: 'node-a' },
        { address: '10.0.0.21', spiffeId: reviews, node: 'node-b' },
      ],
    );
    assert.ok(e.ipIdentities.some((i) => i.address === '10.0.0.10' && i.spiffeId === 'spiffe://mesh.example/ns/shop/sa/web' && i.node === 'node-a'));
    const ports = e.requirements.filter((r) => r.spiffeId === reviews).map((r) => r.port);
    assert.ok(ports.includes(9080), 'rule 0: TCP 9080');
    for (const p of [8000, 8050, 8100]) assert.ok(ports.includes(p), `rule 1: range 8000-8100 (any protocol), port ${p}`);
    assert.ok(!ports.includes(8101));
    assert.deepEqual(e.skipped, []);
  });

  it('a NetworkPolicy without ports requires every port (port 0)', () => {
    const e = entries('selector-matches-nothing');
    assert.deepEqual(e.requirements, [{ spiffeId: 'spiffe://mesh.example/ns/shop/sa/reviews', port: 0, mode: 'required' }]);
  });

  it('scope connection: mode per-connection, which wins over a pair entry for the same (identity, port)', () => {
    const e = entries('per-connection');
    // reviews 9080: per connection (from web) and per pair (from jobs) → per-connection; cache 6379 from the NetworkPolicy annotation.
    assert.deepEqual(e.requirements, [
      { spiffeId: 'spiffe://mesh.example/ns/shop/sa/cache', port: 6379, mode: 'per-connection' },
      { spiffeId: 'spiffe://mesh.example/ns/shop/sa/reviews', port: 9080, mode: 'per-connection' },
    ]);
  });

  it('no auth policies in the model: identities only, nothing required', () => {
    const e = entries('meshpolicy', false);
    assert.deepEqual(e.requirements, []);
    assert.equal(e.ipIdentities.length, 4);
  });
});

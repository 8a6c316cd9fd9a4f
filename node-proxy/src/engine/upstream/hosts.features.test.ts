// Feature-matrix proofs for ClusterLoadAssignment fields the engine reads
// but that, as in Envoy without locality-weighted load balancing, do not
// change the hosts' weights.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decoded } from '../testing/decoded.js';
import { hostSpecs } from './hosts.js';

const ep = (port: number, weight?: number) => ({
  endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: port } } },
  ...(weight ? { load_balancing_weight: { value: weight } } : {}),
  metadata: { filter_metadata: { 'nodemesh.io': { fields: { identity: { stringValue: `sa-${port}` } } } } },
});
const cla = (endpoints: object[]) => decoded('envoy.config.endpoint.v3.ClusterLoadAssignment', { cluster_name: 'c', endpoints });

describe('ClusterLoadAssignment: localities and priorities', () => {
  it('locality and its load_balancing_weight do not change endpoint weights; metadata is carried along', () => {
    const specs = hostSpecs(
      cla([
        { locality: { region: 'r1', zone: 'z1' }, load_balancing_weight: { value: 1 }, metadata: { filter_metadata: {} }, lb_endpoints: [ep(1), ep(2, 3)] },
        { locality: { region: 'r2', zone: 'z2' }, load_balancing_weight: { value: 100 }, lb_endpoints: [ep(3)] },
      ]),
    );
    assert.deepEqual(
      specs.map((s) => [s.port, s.weight]),
      [
        [1, 1],
        [2, 3],
        [3, 1],
      ],
    );
    assert.deepEqual(specs[2]!.locality, { region: 'r2', zone: 'z2' });
    assert.ok(specs[0]!.metadata, 'endpoint metadata is kept on the host');
  });

  it('priority 0 endpoints are the hosts', () => {
    const specs = hostSpecs(cla([{ lb_endpoints: [ep(1)] }, { priority: 0, lb_endpoints: [ep(2)] }]));
    assert.deepEqual(
      specs.map((s) => s.port),
      [1, 2],
    );
  });
});

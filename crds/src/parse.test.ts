import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatConfigError } from './errors.js';
import { formatFieldPath } from './issues.js';
import { parseObject, rawIdentity, rawObjectKey, SUPPORTED_KINDS } from './parse.js';

describe('parseObject', () => {
  it('names file, index, kind and object in every error, defaulting the namespace', () => {
    const r = parseObject(
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews' }, spec: { ports: [{ name: 'http', port: 99999 }] } },
      { file: 'conf/reviews.yaml', index: 2 },
    );
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(r.errors, [
      {
        file: 'conf/reviews.yaml',
        index: 2,
        apiVersion: 'v1',
        kind: 'Service',
        namespace: 'default',
        name: 'reviews',
        path: 'spec.ports[0].port',
        message: 'must be between 1 and 65535, inclusive',
        severity: 'error',
      },
    ]);
    assert.equal(
      formatConfigError(r.errors[0]!),
      'error: conf/reviews.yaml#2 v1/Service default/reviews: spec.ports[0].port: must be between 1 and 65535, inclusive',
    );
  });

  it('rejects unsupported kinds, listing the supported ones', () => {
    const r = parseObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } }, { file: 'a.yaml', index: 0 });
    assert.ok(!r.ok);
    if (r.ok) return;
    assert.equal(
      formatConfigError(r.errors[0]!),
      `error: a.yaml#0 apps/v1/Deployment shop/web: unsupported kind apps/v1/Deployment; supported: ${SUPPORTED_KINDS.join(', ')}`,
    );
    assert.deepEqual(SUPPORTED_KINDS, [
      'v1/Service',
      'discovery.k8s.io/v1/EndpointSlice',
      'nodemesh.io/v1alpha1/Workload',
      'v1/Secret',
      'gateway.networking.k8s.io/v1/GatewayClass',
      'gateway.networking.k8s.io/v1/Gateway',
      'gateway.networking.k8s.io/v1/HTTPRoute',
      'gateway.networking.k8s.io/v1/GRPCRoute',
      'gateway.networking.k8s.io/v1beta1/ReferenceGrant',
      'gateway.networking.k8s.io/v1alpha2/TLSRoute',
      'gateway.networking.k8s.io/v1alpha3/TLSRoute',
      'gateway.networking.k8s.io/v1/TLSRoute',
      'gateway.networking.k8s.io/v1alpha2/TCPRoute',
      'gateway.networking.k8s.io/v1/TCPRoute',
      'gateway.networking.k8s.io/v1alpha2/UDPRoute',
      'gateway.networking.k8s.io/v1/UDPRoute',
      'networking.k8s.io/v1/IngressClass',
      'networking.k8s.io/v1/Ingress',
      'nodemesh.io/v1alpha1/Node',
      'v1/Namespace',
      'networking.k8s.io/v1/NetworkPolicy',
      'nodemesh.io/v1alpha1/MeshPolicy',
    ]);
  });

  it('rejects non-mappings and documents without apiVersion/kind', () => {
    const list = parseObject([1, 2], {});
    assert.ok(!list.ok && list.errors[0]?.message.includes('must be a mapping'));
    const bare = parseObject({ metadata: { name: 'x' } }, {});
    assert.deepEqual(bare.ok ? [] : bare.errors.map((e) => `${e.path}: ${e.message}`), ['apiVersion: Required value', 'kind: Required value']);
  });

  it('attaches the origin to parsed objects', () => {
    const r = parseObject({ apiVersion: 'nodemesh.io/v1alpha1', kind: 'Workload', metadata: { name: 'vm' }, spec: { address: '10.0.0.1' } }, { file: 'w.yaml', index: 1 });
    assert.ok(r.ok);
    if (r.ok) assert.deepEqual(r.object.origin, { file: 'w.yaml', index: 1 });
  });
});

describe('rawIdentity', () => {
  it('reads identity from unvalidated documents', () => {
    const id = rawIdentity({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: 'garbage' });
    assert.deepEqual(id, { apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'x' });
    assert.equal(rawObjectKey(id), 'v1/Service default/x');
    assert.equal(rawObjectKey(rawIdentity({ apiVersion: 'v1', kind: 'Service' })), undefined);
  });
});

describe('formatFieldPath', () => {
  it('uses dots for identifiers, brackets for indexes and other keys', () => {
    assert.equal(formatFieldPath(['spec', 'ports', 0, 'port']), 'spec.ports[0].port');
    assert.equal(formatFieldPath(['metadata', 'annotations', 'nodemesh.io/lb-policy']), 'metadata.annotations["nodemesh.io/lb-policy"]');
    assert.equal(formatFieldPath([]), '');
  });
});

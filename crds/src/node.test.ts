import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatConfigError } from './errors.js';
import { emptyResources, addToResources } from './resources.js';
import { cidrErrors, wireGuardKeyErrors } from './node.js';
import { parseObject, rawIdentity } from './parse.js';

const KEY = 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=';
const doc = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ apiVersion: 'nodemesh.io/v1alpha1', kind: 'Node', metadata: { name: 'node-1' }, spec, ...extra });

describe('Node', () => {
  it('parses a published Node (cluster-scoped, port defaulted) into Resources.nodes', () => {
    const r = parseObject(doc({ tunnelEndpoint: '192.168.0.1', podCIDRs: ['10.1.0.0/24', 'fd00:1::/64'], wireGuard: { publicKey: KEY } }, { status: { wireGuardPeerKeys: [KEY] } }), { file: 'n.yaml', index: 0 });
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal(r.object.kind, 'Node');
    if (r.object.kind !== 'Node') return;
    assert.equal(r.object.metadata.namespace, '');
    assert.deepEqual(r.object.spec.wireGuard, { publicKey: KEY, listenPort: 51871 });
    assert.deepEqual(r.object.status?.wireGuardPeerKeys, [KEY]);
    assert.equal(rawIdentity(doc({})).namespace, '');
    const res = emptyResources();
    addToResources(res, r.object);
    assert.equal(res.nodes.length, 1);
  });

  it('names the field of every invalid value', () => {
    const r = parseObject(doc({ tunnelEndpoint: '192.168.0.300', podCIDRs: ['10.1.0.1/24'], wireGuard: { publicKey: 'short', listenPort: 70000 } }), { file: 'n.yaml', index: 0 });
    assert.ok(!r.ok);
    if (r.ok) return;
    const lines = r.errors.map(formatConfigError);
    assert.ok(lines.some((l) => l.includes('spec.tunnelEndpoint: invalid value "192.168.0.300"')), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('spec.podCIDRs[0]: invalid value "10.1.0.1/24": host bits must be zero')), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('spec.wireGuard.publicKey: must be a WireGuard key')), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('spec.wireGuard.listenPort')), lines.join('\n'));
  });

  it('validates keys and CIDRs', () => {
    assert.deepEqual(wireGuardKeyErrors(KEY), []);
    assert.equal(wireGuardKeyErrors(KEY.replace('w=', 'x=')).length, 1, '32 bytes end in one of 16 characters before "="');
    assert.deepEqual(cidrErrors('fd00:1::/64'), []);
    assert.deepEqual(cidrErrors('0.0.0.0/0'), []);
    assert.equal(cidrErrors('10.0.0.0/33').length, 1);
    assert.equal(cidrErrors('fd00::1/64').length, 1);
    assert.equal(cidrErrors('10.0.0.0').length, 1);
  });
});

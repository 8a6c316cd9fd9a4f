import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSpiffeId, parseWorkloadId, workloadSpiffeId } from './id.js';
import { isSpiffeSni, sniForSpiffeId } from './sni.js';

test('valid SPIFFE IDs parse into trust domain and path', () => {
  for (const [id, td, path] of [
    ['spiffe://cluster.local/ns/default/sa/web', 'cluster.local', '/ns/default/sa/web'],
    ['spiffe://example.org', 'example.org', ''],
    ['spiffe://a_b-c.9/A.b-c_9/x', 'a_b-c.9', '/A.b-c_9/x'],
  ] as const) {
    const r = parseSpiffeId(id);
    assert.ok(r.ok, `${id}: ${r.ok ? '' : r.error}`);
    assert.deepEqual(r.value, { id, trustDomain: td, path });
  }
});

test('invalid SPIFFE IDs are refused with a reason', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['http://cluster.local/ns/a/sa/b', /scheme is missing or invalid/],
    ['SPIFFE://cluster.local/ns/a', /scheme must be lowercase/],
    ['spiffe://', /trust domain is missing/],
    ['spiffe:///ns/a', /trust domain is missing/],
    ['spiffe://Cluster.local/ns/a', /lowercase letters/],
    ['spiffe://cluster.local:8443/ns/a', /port/],
    ['spiffe://user@cluster.local/ns/a', /user info/],
    ['spiffe://cluster.local/', /trailing slash/],
    ['spiffe://cluster.local/ns/a/', /trailing slash/],
    ['spiffe://cluster.local/ns//a', /empty segments/],
    ['spiffe://cluster.local/ns/./a', /dot segments/],
    ['spiffe://cluster.local/ns/../a', /dot segments/],
    ['spiffe://cluster.local/ns/a b', /characters other than/],
    ['spiffe://cluster.local/ns/%41', /percent-encoded/],
    ['spiffe://cluster.local/ns/a?x=1', /query/],
    ['spiffe://cluster.local/ns/a#f', /fragment/],
    [`spiffe://cluster.local/${'a'.repeat(2100)}`, /longer than 2048/],
    [`spiffe://${'a'.repeat(256)}/x`, /longer than 255/],
  ];
  for (const [id, re] of cases) {
    const r = parseSpiffeId(id);
    assert.equal(r.ok, false, `${id} must be refused`);
    assert.match(r.ok ? '' : r.error, re, id);
  }
});

test('workload IDs', () => {
  assert.equal(workloadSpiffeId('cluster.local', 'shop', 'checkout'), 'spiffe://cluster.local/ns/shop/sa/checkout');
  assert.deepEqual(parseWorkloadId('spiffe://cluster.local/ns/shop/sa/checkout'), { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'checkout' });
  assert.equal(parseWorkloadId('spiffe://cluster.local/identity/42'), undefined);
  assert.throws(() => workloadSpiffeId('cluster.local', 'a/b', 'c'), /invalid SPIFFE ID/);
});

test('SNI encoding: one fixed-length DNS label under .svid.nodemesh.invalid, distinct per ID', () => {
  const a = sniForSpiffeId('spiffe://cluster.local/ns/shop/sa/checkout');
  const b = sniForSpiffeId('spiffe://cluster.local/ns/shop/sa/checkouT');
  assert.match(a, /^[a-z2-7]{52}\.svid\.nodemesh\.invalid$/);
  assert.ok(isSpiffeSni(a));
  assert.notEqual(a, b);
  assert.equal(a, sniForSpiffeId('spiffe://cluster.local/ns/shop/sa/checkout'));
  assert.ok(sniForSpiffeId(`spiffe://cluster.local/${'x'.repeat(2000)}`).length < 80);
  assert.equal(isSpiffeSni('checkout.shop.svc.cluster.local'), false);
});

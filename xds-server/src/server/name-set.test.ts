import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NameSet } from './name-set.js';

describe('NameSet', () => {
  it('behaves as a set of strings', () => {
    const a = new NameSet();
    const b = new NameSet();
    const many = Array.from({ length: 100 }, (_, i) => `outbound|80||svc-${i}.ns.svc.cluster.local`);
    for (const n of many) assert.equal(a.add(n), true);
    assert.equal(a.add(many[3]!), false, 'adding twice is a no-op');
    assert.equal(a.size, 100);
    assert.equal(b.size, 0, 'sets are independent');
    assert.equal(b.has(many[0]!), false);
    assert.equal(a.has('never-seen'), false);
    assert.equal(a.delete(many[50]!), true);
    assert.equal(a.delete(many[50]!), false);
    assert.equal(a.has(many[50]!), false);
    assert.deepEqual([...a].sort(), many.filter((_, i) => i !== 50).sort());
    b.add('x');
    assert.deepEqual([...b], ['x']);
    a.clear();
    assert.equal(a.size, 0);
    assert.deepEqual([...a], []);
  });
});

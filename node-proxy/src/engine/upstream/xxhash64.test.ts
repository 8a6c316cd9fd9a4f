import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { xxHash64 } from './xxhash64.js';

describe('xxHash64 (seed 0)', () => {
  it('matches the reference test vectors', () => {
    // Published XXH64 values; "foo" is the value Envoy's own hash_test asserts for HashUtil::xxHash64.
    assert.equal(xxHash64(''), 0xef46db3751d8e999n);
    assert.equal(xxHash64('a'), 0xd24ec4f1a98c6e5bn);
    assert.equal(xxHash64('abc'), 0x44bc2cf5ad770999n);
    assert.equal(xxHash64('foo'), 3728699739546630719n);
    assert.equal(xxHash64('Nobody inspects the spammish repetition'), 0xfbcea83c8a378bf1n);
  });

  it('covers the 32-byte stripe path and every tail length', () => {
    // Cross-checked against the xxhash-wasm reference implementation.
    const s = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
    const want: [number, bigint][] = [
      [7, 0x4bd8db38b35746f8n],
      [8, 0x327c72a78988cb58n],
      [31, 0xc60b040c0aa3c968n],
      [32, 0xecb57311ef028954n],
      [33, 0xaafb3e2eb53be3e9n],
      [63, 0xc101e7626cf2b342n],
      [64, 0x99942a6c8ba86017n],
      [100, 0xe645df0208c9f1d6n],
      [1000, 0x8e59a86212175cf6n],
    ];
    for (const [n, h] of want) assert.equal(xxHash64(s(n)), h, `length ${n}`);
  });

  it('hashes bytes and strings alike', () => {
    assert.equal(xxHash64(Buffer.from('10.0.0.1:80_0')), xxHash64('10.0.0.1:80_0'));
  });
});

// Rule families the loaded Envoy protos never use (email, uuid, bytes ip,
// exclusive ranges, timestamps, no_sparse, skip, disabled, proto3 optional)
// are exercised on a small synthetic proto annotated the same way.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { validateMessage, type PgvViolation } from './validate.js';
import { re2ToRegExp } from './wellknown.js';

type Plain = Record<string, unknown>;
const summary = (vs: PgvViolation[]): string[] => vs.map((v) => `${v.path} ${v.rule}`).sort();

describe('pgv rule families absent from the loaded Envoy protos (synthetic types)', () => {
  const root = new protobuf.Root();
  for (const f of ['google/protobuf/timestamp.proto', 'google/protobuf/duration.proto', 'google/protobuf/wrappers.proto']) {
    const json = protobuf.common.get(f);
    if (json?.nested) root.addJSON(json.nested);
  }
  protobuf.parse(
    `syntax = "proto3";
    package t;
    import "validate/validate.proto";
    message Box {
      string email = 1 [(validate.rules).string.email = true];
      string host = 2 [(validate.rules).string = {hostname: true, ignore_empty: true}];
      string id = 3 [(validate.rules).string = {uuid: true, ignore_empty: true}];
      bytes addr = 4 [(validate.rules).bytes = {ipv4: true, ignore_empty: true}];
      int64 outside = 5 [(validate.rules).int64 = {lt: 10, gt: 20}];
      google.protobuf.Timestamp at = 6 [(validate.rules).timestamp = {gt: {seconds: 0}, lt_now: true}];
      map<string, Box> kids = 7 [(validate.rules).map = {no_sparse: true, max_pairs: 1}];
      Box skipped = 8 [(validate.rules).message.skip = true];
      optional string opt = 9 [(validate.rules).string.prefix = "p-"];
      string uri = 10 [(validate.rules).string = {uri: true, ignore_empty: true}];
      Off off = 11;
      string ip = 12 [(validate.rules).string = {ip: true, ignore_empty: true}];
    }
    message Off {
      option (validate.disabled) = true;
      string must = 1 [(validate.rules).string.min_len = 5];
    }`,
    root,
    { keepCase: true },
  );
  root.resolveAll();
  const Box = root.lookupType('t.Box');
  const ok: Plain = { email: 'a@example.com', at: { seconds: 1 } };
  const check = (obj: Plain): string[] => summary(validateMessage(Box, Box.decode(Box.encode(Box.fromObject(obj)).finish())));

  it('accepts the baseline', () => assert.deepEqual(check(ok), []));
  it('email / hostname / uuid / ip / uri', () => {
    assert.deepEqual(check({ ...ok, email: 'not-an-email', host: '-bad.example', id: 'nope', ip: '1.2.3', uri: 'relative/path' }), [
      'email string.email', 'host string.hostname', 'id string.uuid', 'ip string.ip', 'uri string.uri',
    ]);
    assert.deepEqual(check({ ...ok, email: 'Ann <ann@example.com>', host: 'a.example.com.', id: '123e4567-e89b-12d3-a456-426614174000', ip: '::1', uri: 'https://x/y?z' }), []);
  });
  it('bytes ipv4 length', () => {
    assert.deepEqual(check({ ...ok, addr: Buffer.from([1, 2, 3]) }), ['addr bytes.ipv4']);
    assert.deepEqual(check({ ...ok, addr: Buffer.from([10, 0, 0, 1]) }), []);
  });
  it('exclusive int64 range (lt < gt): values in [10, 20] are rejected', () => {
    assert.deepEqual(check({ ...ok, outside: 15 }), ['outside int64.lt']);
    assert.deepEqual(check({ ...ok, outside: 9 }), []);
    assert.deepEqual(check({ ...ok, outside: '21' }), []);
  });
  it('timestamp gt and lt_now', () => {
    assert.deepEqual(check({ ...ok, at: { seconds: Math.floor(Date.now() / 1000) + 3600 } }), ['at timestamp.lt_now']);
    assert.deepEqual(check({ ...ok, at: { seconds: 0 } }), ['at timestamp.gt']);
  });
  it('map max_pairs and no_sparse (plain object), recursion into map values, skip, disabled', () => {
    assert.deepEqual(check({ ...ok, kids: { a: { email: 'x' }, b: { email: 'b@example.com' } } }), ['kids map.max_pairs', 'kids["a"].email string.email']);
    assert.deepEqual(summary(validateMessage(Box, { ...ok, kids: { a: null } })), ['kids["a"] map.no_sparse']);
    assert.deepEqual(check({ ...ok, skipped: { email: 'x' }, off: { must: 'x' } }), []);
  });
  it('proto3 optional: rules apply only when set', () => {
    assert.deepEqual(check({ ...ok, opt: '' }), ['opt string.prefix']);
    assert.deepEqual(check(ok), []);
  });
});

describe('RE2 translation', () => {
  it('handles RE2-only syntax', () => {
    assert.equal(re2ToRegExp('^[0-9a-zA-Z_\\-\\.~:]+$')?.test('a-b.c~d:e'), true);
    assert.equal(re2ToRegExp('\\A[[:alpha:]]+\\z')?.test('abc'), true);
    assert.equal(re2ToRegExp('(?i)^abc$')?.test('ABC'), true);
    assert.equal(re2ToRegExp('^(?P<x>a+)$')?.exec('aaa')?.groups?.['x'], 'aaa');
    assert.equal(re2ToRegExp('^\\pL+$')?.test('héllo'), true);
  });
});

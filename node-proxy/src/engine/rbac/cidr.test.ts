import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigRejected } from '../routing/fields.js';
import { cidrContains, parseCidr, parseIp } from './cidr.js';

describe('CIDR ranges', () => {
  it('IPv4 prefixes', () => {
    const r = parseCidr('10.1.0.0', 16);
    assert.equal(cidrContains(r, '10.1.255.3'), true);
    assert.equal(cidrContains(r, '10.2.0.1'), false);
    assert.equal(cidrContains(parseCidr('10.1.2.3', 32), '10.1.2.3'), true);
    assert.equal(cidrContains(parseCidr('10.1.2.3', 32), '10.1.2.4'), false);
  });

  it('host bits of the range address are ignored', () => {
    assert.equal(cidrContains(parseCidr('192.168.1.77', 24), '192.168.1.1'), true);
  });

  it('prefix length 0 matches the whole family only', () => {
    assert.equal(cidrContains(parseCidr('0.0.0.0', 0), '8.8.8.8'), true);
    assert.equal(cidrContains(parseCidr('0.0.0.0', 0), '::1'), false);
    assert.equal(cidrContains(parseCidr('::', 0), '2001:db8::1'), true);
    assert.equal(cidrContains(parseCidr('::', 0), '1.2.3.4'), false);
  });

  it('IPv6 prefixes, including :: compression and embedded IPv4', () => {
    const r = parseCidr('2001:db8::', 32);
    assert.equal(cidrContains(r, '2001:db8:ffff::1'), true);
    assert.equal(cidrContains(r, '2001:db9::1'), false);
    assert.equal(cidrContains(parseCidr('fe80::', 10), 'febf::1'), true);
    assert.equal(cidrContains(parseCidr('fe80::', 10), 'fec0::1'), false);
    assert.equal(parseIp('::1.2.3.4')!.value, 0x01020304n);
    assert.equal(parseIp('2001:db8::8:800:200c:417a')!.value, parseIp('2001:0db8:0000:0000:0008:0800:200c:417a')!.value);
  });

  it('IPv4-mapped IPv6 peers match IPv4 ranges', () => {
    assert.equal(cidrContains(parseCidr('127.0.0.0', 8), '::ffff:127.0.0.1'), true);
  });

  it('rejects malformed addresses and prefix lengths', () => {
    assert.throws(() => parseCidr('10.0.0', 8), ConfigRejected);
    assert.throws(() => parseCidr('10.0.0.0', 33), ConfigRejected);
    assert.throws(() => parseCidr('::', 129), ConfigRejected);
    assert.equal(cidrContains(parseCidr('10.0.0.0', 8), 'not-an-ip'), false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAddress, portStart, shadowHost, splitAddress } from './host.js';

describe('host strings', () => {
  it('portStart finds a numeric port, not an IPv6 colon', () => {
    assert.equal(portStart('a.com:80'), 5);
    assert.equal(portStart('a.com'), -1);
    assert.equal(portStart('[::1]:80'), 5);
    assert.equal(portStart('[::1]'), -1);
    assert.equal(portStart('a.com:http'), -1);
  });

  it('splitAddress handles IPv4, bracketed and bare IPv6, and IPv4-mapped peers', () => {
    assert.deepEqual(splitAddress('10.0.0.1:80'), { ip: '10.0.0.1', port: 80 });
    assert.deepEqual(splitAddress('[2001:db8::1]:443'), { ip: '2001:db8::1', port: 443 });
    assert.deepEqual(splitAddress('2001:db8::1'), { ip: '2001:db8::1' });
    assert.deepEqual(splitAddress('::ffff:10.1.1.1'), { ip: '10.1.1.1' });
    assert.deepEqual(splitAddress('10.0.0.1'), { ip: '10.0.0.1' });
  });

  it('formatAddress brackets IPv6', () => {
    assert.equal(formatAddress('::1', 80), '[::1]:80');
    assert.equal(formatAddress('1.2.3.4', 80), '1.2.3.4:80');
  });

  it('shadowHost puts -shadow before the port', () => {
    assert.equal(shadowHost('svc'), 'svc-shadow');
    assert.equal(shadowHost('svc.ns:8080'), 'svc.ns-shadow:8080');
  });
});

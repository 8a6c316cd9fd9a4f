import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tunnelMtu, tunnelMtuForPaths } from './mtu.js';

describe('tunnelMtu', () => {
  it('subtracts 60 bytes over an IPv4 underlay and 80 over IPv6', () => {
    assert.equal(tunnelMtu(1500, 'IPv4'), 1440);
    assert.equal(tunnelMtu(1500, 'IPv6'), 1420);
    assert.equal(tunnelMtu(9001, 'IPv4'), 8941);
    assert.equal(tunnelMtu(1450, 'IPv4'), 1390); // a VXLAN/GENEVE underlay
  });
  it('refuses an underlay too small to carry the tunnel, or nonsense', () => {
    assert.throws(() => tunnelMtu(600, 'IPv4'), /at least 636 is needed/);
    assert.throws(() => tunnelMtu(0, 'IPv4'), /positive integer/);
    assert.throws(() => tunnelMtu(1500.5, 'IPv6'), /positive integer/);
    assert.equal(tunnelMtu(636, 'IPv4'), 576);
  });
  it('takes the smallest path when peers sit behind different MTUs', () => {
    assert.equal(tunnelMtuForPaths([{ mtu: 9000, family: 'IPv4' }, { mtu: 1500, family: 'IPv6' }]), 1420);
    assert.equal(tunnelMtuForPaths([]), undefined);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatStatus } from './status.js';

describe('formatStatus', () => {
  it('shows mode, MTU, strict drops, and per peer role, handshake and bytes', () => {
    const text = formatStatus(
      {
        mode: 'wireguard',
        implementation: 'wireguard-go',
        node: 'n1',
        ifname: 'nm-wg0',
        publicKey: 'A'.repeat(43) + '=',
        listenPort: 51871,
        mtu: 1440,
        underlayMtu: 1500,
        strict: true,
        strictDrops: { packets: 7, bytes: 700 },
        rotation: undefined,
        lastKeySwitch: undefined,
        peers: [
          { node: 'n2', publicKey: 'B'.repeat(43) + '=', role: 'active', endpoint: '192.168.0.2:51871', allowedIPs: ['10.2.0.0/24'], latestHandshake: '2026-01-01T00:00:00.000Z', rxBytes: 10, txBytes: 20 },
          { node: 'n3', publicKey: 'C'.repeat(43) + '=', role: 'staged', endpoint: undefined, allowedIPs: [], latestHandshake: undefined, rxBytes: 0, txBytes: 0 },
        ],
        problems: ['node n4 publishes no WireGuard key: its pods are not reachable through the tunnel'],
        reconciledAt: '2026-01-01T00:00:00.000Z',
      },
      new Date('2026-01-01T00:00:42.000Z'),
    );
    assert.match(text, /^mode: {8}wireguard \(wireguard-go\), interface nm-wg0, port 51871$/m);
    assert.match(text, /^mtu: {9}1440 \(underlay 1500\)$/m);
    assert.match(text, /^strict mode: on, 7 packets \(700 bytes\) dropped unencrypted$/m);
    assert.match(text, /^n2\tactive\t192\.168\.0\.2:51871\t10\.2\.0\.0\/24\t42s ago\t10\t20$/m);
    assert.match(text, /^n3\tstaged\t-\t-\tnever\t0\t0$/m);
    assert.match(text, /^problem: node n4/m);
  });
});

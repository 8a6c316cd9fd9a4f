import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeDoc } from '../../crds/src/node.js';
import { canonicalCidr, cidrsOverlap, desiredState, routeCommands, wgPeerArgs } from './plan.js';

const K = (c: string) => `${c.repeat(43)}=`;
function node(name: string, ip: string, cidrs: string[], key?: string, next?: string): NodeDoc {
  return {
    apiVersion: 'nodemesh.io/v1alpha1',
    kind: 'Node',
    metadata: { name, namespace: '', labels: {}, annotations: {} },
    spec: { tunnelEndpoint: ip, podCIDRs: cidrs, ...(key ? { wireGuard: { publicKey: key, listenPort: 51871, ...(next ? { nextPublicKey: next } : {}) } } : {}) },
  } as NodeDoc;
}

describe('cidr helpers', () => {
  it('canonicalises and detects overlap', () => {
    assert.equal(canonicalCidr('FD00:0:0::/64'), 'fd00::/64');
    assert.equal(canonicalCidr('10.2.0.5'), '10.2.0.5/32');
    assert.ok(cidrsOverlap('10.0.0.0/8', '10.2.0.0/24'));
    assert.ok(!cidrsOverlap('10.1.0.0/24', '10.2.0.0/24'));
    assert.ok(!cidrsOverlap('10.1.0.0/24', 'fd00::/64'));
    assert.ok(cidrsOverlap('fd00:1::/64', 'fd00::/16'));
  });
});

describe('desiredState', () => {
  const self = { name: 'n1', podCIDRs: ['10.1.0.0/24'] };
  it('peers every other node with exactly its pod CIDRs, routes them, stages a next key without CIDRs', () => {
    const d = desiredState(self, [
      node('n3', '192.168.0.3', ['10.3.0.0/24', 'fd00:3::/64'], K('C'), K('D')),
      node('n1', '192.168.0.1', ['10.1.0.0/24'], K('A')),
      node('n2', '192.168.0.2', ['10.2.0.0/24'], K('B')),
    ]);
    assert.deepEqual(d.peers, [
      { node: 'n2', publicKey: K('B'), endpoint: '192.168.0.2:51871', allowedIPs: ['10.2.0.0/24'], staged: false },
      { node: 'n3', publicKey: K('C'), endpoint: '192.168.0.3:51871', allowedIPs: ['10.3.0.0/24', 'fd00:3::/64'], staged: false },
      { node: 'n3', publicKey: K('D'), endpoint: '192.168.0.3:51871', allowedIPs: [], staged: true },
    ]);
    assert.deepEqual(d.routes, ['10.2.0.0/24', '10.3.0.0/24', 'fd00:3::/64']);
    assert.deepEqual(d.problems, []);
  });
  it('leaves out overlapping claims and duplicate keys the same way on every node, and keeps keyless CIDRs strict', () => {
    const d = desiredState(self, [
      node('n2', '192.168.0.2', ['10.1.0.0/16'], K('B')),
      node('n3', '192.168.0.3', ['10.3.0.0/24'], K('C')),
      node('n4', '192.168.0.4', ['10.4.0.0/24'], K('C')),
      node('n5', '192.168.0.5', ['10.5.0.0/24']),
    ]);
    assert.deepEqual(d.peers.map((p) => p.node), ['n3']);
    assert.deepEqual(d.remotePodCIDRs, ['10.3.0.0/24', '10.4.0.0/24', '10.5.0.0/24']);
    assert.equal(d.problems.length, 3);
    assert.match(d.problems[0]!, /n2 left out: 10.1.0.0\/16 overlaps 10.1.0.0\/24 of n1/);
    assert.match(d.problems[1]!, /n4 left out: public key already used by node n3/);
    assert.match(d.problems[2]!, /n5 publishes no WireGuard key/);
  });
});

describe('wgPeerArgs', () => {
  const desired = [
    { node: 'n2', publicKey: K('B'), endpoint: '192.168.0.2:51871', allowedIPs: ['10.2.0.0/24'], staged: false },
    { node: 'n3', publicKey: K('D'), endpoint: '192.168.0.3:51871', allowedIPs: ['10.3.0.0/24'], staged: false },
  ];
  const dump = (publicKey: string, endpoint: string, allowedIPs: string[]) => ({ publicKey, endpoint, allowedIPs, latestHandshake: 0, rxBytes: 0, txBytes: 0, persistentKeepalive: undefined });
  it('is undefined when nothing differs (idempotent)', () => {
    assert.equal(wgPeerArgs('wg0', [dump(K('B'), '192.168.0.2:51871', ['10.2.0.0/24']), dump(K('D'), '192.168.0.3:51871', ['10.3.0.0/24'])], desired), undefined);
  });
  it('moves CIDRs to a rotated key before removing the old key, in one transaction', () => {
    const args = wgPeerArgs('wg0', [dump(K('B'), '192.168.0.2:51871', ['10.2.0.0/24']), dump(K('C'), '192.168.0.3:51871', ['10.3.0.0/24']), dump(K('D'), '192.168.0.3:51871', [])], desired);
    assert.deepEqual(args, ['set', 'wg0', 'peer', K('D'), 'endpoint', '192.168.0.3:51871', 'allowed-ips', '10.3.0.0/24', 'peer', K('C'), 'remove']);
  });
  it('sets an empty AllowedIPs list explicitly for a staged key', () => {
    const args = wgPeerArgs('wg0', [], [{ node: 'n3', publicKey: K('E'), endpoint: '[fd00::3]:51871', allowedIPs: [], staged: true }]);
    assert.deepEqual(args, ['set', 'wg0', 'peer', K('E'), 'endpoint', '[fd00::3]:51871', 'allowed-ips', '']);
  });
});

describe('routeCommands', () => {
  it('adds missing routes with the tunnel MTU, fixes wrong MTUs, removes stale ones, leaves kernel routes', () => {
    const cmds = routeCommands(
      'wg0',
      [
        { dst: '10.2.0.0/24', metric: 10, metrics: [{ mtu: 1440 }] },
        { dst: '10.3.0.0/24', metric: 10, metrics: [{ mtu: 1500 }] },
        { dst: '10.9.0.0/24', metric: 10, metrics: [{ mtu: 1440 }] },
        { dst: 'fe80::/64', metric: 256, protocol: 'kernel' },
      ],
      ['10.2.0.0/24', '10.3.0.0/24', '10.4.0.0/24'],
      1440,
    );
    assert.deepEqual(cmds, [
      ['route', 'replace', '10.3.0.0/24', 'dev', 'wg0', 'metric', '10', 'mtu', '1440'],
      ['route', 'replace', '10.4.0.0/24', 'dev', 'wg0', 'metric', '10', 'mtu', '1440'],
      ['route', 'del', '10.9.0.0/24', 'dev', 'wg0', 'metric', '10'],
    ]);
    assert.deepEqual(routeCommands('wg0', [{ dst: '10.2.0.0/24', metric: 10, metrics: [{ mtu: 1440 }] }], ['10.2.0.0/24'], 1440), []);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeDoc } from '../../crds/src/node.js';
import { rotationDecision } from './agent.js';
import { desiredState } from './plan.js';

const K = (c: string) => `${c.repeat(43)}=`;
function node(name: string, key: string, opts: { next?: string; acks?: string[] } = {}): NodeDoc {
  return {
    apiVersion: 'nodemesh.io/v1alpha1',
    kind: 'Node',
    metadata: { name, namespace: '', labels: {}, annotations: {} },
    spec: { tunnelEndpoint: `192.168.0.${name.slice(1)}`, podCIDRs: [`10.${name.slice(1)}.0.0/24`], wireGuard: { publicKey: key, listenPort: 51871, ...(opts.next ? { nextPublicKey: opts.next } : {}) } },
    status: { wireGuardPeerKeys: opts.acks ?? [] },
  } as NodeDoc;
}

describe('rotationDecision', () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const at = (s: number) => new Date(t0.getTime() + s * 1000);
  const decide = (nodes: NodeDoc[], now = at(1)) =>
    rotationDecision({ self: 'n1', nextPublicKey: K('N'), desired: desiredState({ name: 'n1', podCIDRs: ['10.1.0.0/24'] }, nodes), nodes, startedAt: t0, now, timeoutMs: 30_000 });

  it('waits until its own Node publishes the next key, then until every peer acknowledges it', () => {
    assert.deepEqual(decide([node('n1', K('A')), node('n2', K('B'), { acks: [K('N')] })]), { action: 'wait', waitingFor: ['n1'] });
    assert.deepEqual(decide([node('n1', K('A'), { next: K('N') }), node('n2', K('B'), { acks: [K('A'), K('N')] }), node('n3', K('C'), { acks: [K('A')] })]), { action: 'wait', waitingFor: ['n3'] });
    assert.deepEqual(decide([node('n1', K('A'), { next: K('N') }), node('n2', K('B'), { acks: [K('N')] }), node('n3', K('C'), { acks: [K('N')] })]), { action: 'switch', peers: ['n2', 'n3'] });
  });
  it('switches at once without peers, and gives up after the timeout rather than cut a silent peer off', () => {
    assert.deepEqual(decide([node('n1', K('A'), { next: K('N') })]), { action: 'switch', peers: [] });
    assert.deepEqual(decide([node('n1', K('A'), { next: K('N') }), node('n2', K('B'))], at(31)), { action: 'abandon', waitingFor: ['n2'] });
  });
});

// Pre-authentication: which pairs the policy names (a pure function of the
// requirements and this node's identities), and how a pass drives them
// through authenticate() (bounded concurrency, one follow-up pass for changes
// during a pass, status). Real handshakes: src/agent.test.ts and
// e2e/auth-preauth.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthRequirementIR } from '../../xds-server/src/model/auth-policies.js';
import { createLogger } from '../../xds-server/src/log.js';
import type { AuthDecision, FlowKey } from './manager.js';
import { Preauthenticator, preauthPairs } from './preauth.js';

const id = (sa: string) => `spiffe://cluster.local/ns/shop/sa/${sa}`;
const req = (o: { dst: string; node: string; sources: string[] | 'any'; scope?: 'connection'; mode?: 'required' | 'disabled' }): AuthRequirementIR => ({
  destination: { namespace: 'shop', identity: id(o.dst), address: '10.0.0.1', node: o.node },
  ports: [],
  sources: { any: o.sources === 'any', identities: o.sources === 'any' ? [] : o.sources.map(id), ipBlocks: [] },
  mode: o.mode ?? 'required',
  ...(o.scope ? { scope: o.scope } : {}),
  policies: [{ kind: 'MeshPolicy', namespace: 'shop', name: 'p' }],
});
const key = (p: FlowKey) => `${p.localIdentity.split('/').pop()}→${p.remoteIdentity.split('/').pop()}@${p.remoteNode}`;
const quiet = createLogger({ write: () => {} });

describe('preauthPairs', () => {
  const local = new Set([id('frontend'), id('batch')]);

  it('a local identity among the sources of a required pair entry, once per destination identity and node, sorted', () => {
    const { pairs, dropped } = preauthPairs(
      [
        req({ dst: 'reviews', node: 'n1', sources: ['frontend', 'elsewhere'] }),
        req({ dst: 'reviews', node: 'n1', sources: ['frontend'] }), // another endpoint of the same identity on the same node
        req({ dst: 'reviews', node: 'n3', sources: ['frontend'] }),
        req({ dst: 'cache', node: 'n1', sources: 'any' }),
      ],
      local,
      100,
    );
    assert.deepEqual(pairs.map(key), ['batch→cache@n1', 'frontend→cache@n1', 'frontend→reviews@n1', 'frontend→reviews@n3']);
    assert.equal(dropped, 0);
  });

  it('not: per-connection entries, disabled entries, sources that are not local', () => {
    const { pairs } = preauthPairs(
      [
        req({ dst: 'ledger', node: 'n1', sources: ['frontend'], scope: 'connection' }),
        req({ dst: 'public', node: 'n1', sources: ['frontend'], mode: 'disabled' }),
        req({ dst: 'reviews', node: 'n1', sources: ['elsewhere'] }),
      ],
      local,
      100,
    );
    assert.deepEqual(pairs, []);
  });

  it('capped: the first `max` pairs in order, the rest counted', () => {
    const reqs = ['a', 'b', 'c', 'd'].map((d) => req({ dst: d, node: 'n1', sources: ['frontend'] }));
    const { pairs, dropped } = preauthPairs(reqs, local, 3);
    assert.deepEqual(pairs.map(key), ['frontend→a@n1', 'frontend→b@n1', 'frontend→c@n1']);
    assert.equal(dropped, 1);
    assert.deepEqual(preauthPairs(reqs, local, 0), { pairs: [], dropped: 4 });
  });
});

describe('Preauthenticator', () => {
  const pairs = (n: number): FlowKey[] => Array.from({ length: n }, (_, i) => ({ localIdentity: id('frontend'), remoteIdentity: id(`s${i}`), remoteNode: 'n1' }));

  it('authenticates every pair, at most `concurrency` at once, and reports the pass', async () => {
    let inFlight = 0;
    let peak = 0;
    const asked: string[] = [];
    const p = new Preauthenticator({
      logger: quiet,
      concurrency: 3,
      authenticate: async (f): Promise<AuthDecision> => {
        asked.push(key(f));
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return f.remoteIdentity.endsWith('s7')
          ? { allowed: false, reason: 'no_svid', by: 'peer', detail: 'x' }
          : { allowed: true, source: 'handshake', entry: {} as never };
      },
    });
    await p.update({ pairs: pairs(10), dropped: 2 });
    assert.equal(asked.length, 10);
    assert.equal(peak, 3);
    const s = p.status();
    assert.deepEqual([s.pairs, s.dropped, s.authenticated, s.refused], [10, 2, 9, 1]);
    assert.ok(s.lastPassAt);
    await p.stop();
  });

  it('the pairs a pass could not authenticate (a peer not up yet) are tried again, alone, until they are', async () => {
    const asked: string[] = [];
    let peerUp = false;
    const p = new Preauthenticator({
      logger: quiet,
      retryMs: 10,
      authenticate: async (f): Promise<AuthDecision> => {
        asked.push(key(f));
        return f.remoteIdentity.endsWith('s1') && !peerUp
          ? { allowed: false, reason: 'connect_failed', by: 'peer', detail: 'ECONNREFUSED' }
          : { allowed: true, source: 'handshake', entry: {} as never };
      },
    });
    await p.update({ pairs: pairs(3), dropped: 0 });
    assert.deepEqual([p.status().authenticated, p.status().refused], [2, 1]);
    await new Promise((r) => setTimeout(r, 35));
    assert.ok(asked.length >= 5, 'retried');
    assert.deepEqual(new Set(asked.slice(3)), new Set(['frontend→s1@n1']), 'only the refused pair');
    peerUp = true;
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual([p.status().authenticated, p.status().refused], [3, 0]);
    const n = asked.length;
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(asked.length, n, 'no retries once every pair is authenticated');
    await p.stop();
  });

  it('a new set during a pass is passed once more right after; nothing after stop', async () => {
    const asked: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = new Preauthenticator({
      logger: quiet,
      concurrency: 1,
      authenticate: async (f): Promise<AuthDecision> => {
        asked.push(key(f));
        await gate;
        return { allowed: true, source: 'cache', entry: {} as never };
      },
    });
    const first = p.update({ pairs: pairs(1), dropped: 0 });
    void p.update({ pairs: pairs(2), dropped: 0 });
    void p.update({ pairs: pairs(3), dropped: 0 });
    release();
    await first;
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(asked, ['frontend→s0@n1', 'frontend→s0@n1', 'frontend→s1@n1', 'frontend→s2@n1'], 'the first pass, then one pass of the latest set');
    await p.stop();
    await p.pass();
    assert.equal(asked.length, 4);
  });
});

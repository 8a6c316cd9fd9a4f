// `nodemesh auth explain` reads the pinned maps the programs read; each case
// here asks the kernel too (nm_auth_connect4's decision through
// BPF_PROG_TEST_RUN) and checks that the explanation says what the kernel
// does. Needs root and the built objects; skips with the reason otherwise.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuthDatapath, bootTimeNs, ensureAuthMaps } from '../../bpf/sockmap/src/auth-map.js';
import { AUTH_TYPE_SPIFFE_MTLS } from '../../bpf/sockmap/src/auth-structs.js';
import { testRun } from '../../bpf/sockmap/src/libbpf.js';
import { detach, loadWithPinnedMaps, type LoadedObject } from '../../bpf/sockmap/src/loader.js';
import { BPFFS, DEFAULT_OBJECTS_DIR, isBpffs, objectsMissing } from '../../bpf/sockmap/src/preflight.js';
import { COUNTERS } from '../../bpf/sockmap/src/structs.js';
import { explainFlow, formatExplanation, type FlowExplanation } from './explain.js';

const skip =
  process.getuid?.() !== 0
    ? 'needs root (BPF maps)'
    : !existsSync(BPFFS) || !isBpffs(BPFFS)
      ? `bpffs is not mounted at ${BPFFS}`
      : objectsMissing(DEFAULT_OBJECTS_DIR, ['auth_connect4', 'test_auth_connect4']);
if (skip) console.log(`# SKIPPED auth explain tests: ${skip}`);

const SERVER = '10.233.0.2';
const CLIENT = '10.233.1.2';
const S_ID = 'spiffe://cluster.local/ns/shop/sa/reviews';
const C_ID = 'spiffe://cluster.local/ns/shop/sa/frontend';
const be32 = (a: string) => BigInt(Buffer.from(a.split('.').map(Number)).readUInt32LE(0));
const KERNEL_TO_EXPLAIN: Record<string, FlowExplanation['connect']> = {
  auth_connect_not_required: 'not-required',
  auth_connect_authenticated: 'straight',
  auth_connect_held: 'held-by-gate',
  auth_connect_held_per_connection: 'held-by-gate',
  auth_connect_no_gate: 'refused-no-gate',
};

describe('nodemesh auth explain: what the kernel decides, and why', { skip }, () => {
  const pinRoot = join(BPFFS, `nmlab-${process.pid}-authexplain`);
  let obj: LoadedObject;
  let dp: AuthDatapath;

  before(() => {
    detach(pinRoot);
    ensureAuthMaps(pinRoot);
    obj = loadWithPinnedMaps(join(DEFAULT_OBJECTS_DIR, 'test_auth_connect4.o'), pinRoot);
    dp = AuthDatapath.open(pinRoot);
    dp.syncIpIdentities([
      { address: SERVER, spiffeId: S_ID, node: 'n1' },
      { address: CLIENT, spiffeId: C_ID, node: 'n2' },
    ]);
    dp.syncRequirements([{ spiffeId: S_ID, port: 8080 }]);
    dp.setGate({ address: '127.0.0.1', port: 15007 });
  });
  after(() => {
    dp?.close();
    obj?.close();
    detach(pinRoot);
  });

  const kernel = (port: number): FlowExplanation['connect'] => {
    const ctx = Buffer.alloc(24);
    ctx.writeBigUInt64LE(be32(CLIENT), 0);
    ctx.writeBigUInt64LE(be32(SERVER), 8);
    ctx.writeBigUInt64LE(BigInt(port), 16);
    return KERNEL_TO_EXPLAIN[COUNTERS[testRun(obj.programs.get('nm_test_auth_connect4')!, ctx)]!]!;
  };
  const explain = (port: number) => explainFlow(dp, CLIENT, { address: SERVER, port }, { bootNs: bootTimeNs(), ms: Date.now() });
  const setEntry = (role: 'initiator' | 'responder', expiresBootNs: bigint) => {
    const [local, remote, node] = role === 'initiator' ? [C_ID, S_ID, 'n1'] : [S_ID, C_ID, 'n2'];
    dp.setAuth(
      { localId: dp.identityId(local), remoteId: dp.identityId(remote), remoteNode: dp.nodeId(node), authType: AUTH_TYPE_SPIFFE_MTLS },
      { expiresBootNs, expiresMs: Date.parse('2026-11-22T06:00:00Z'), authenticatedMs: Date.parse('2026-11-22T05:00:00Z'), role, localSerial: 'aa01', remoteSerial: 'bb02' },
    );
  };

  it('no entry: held by the gate (as the kernel decides); the receiver would drop', () => {
    const e = explain(8080);
    assert.equal(e.connect, kernel(8080));
    assert.equal(e.connect, 'held-by-gate');
    assert.equal(e.receive, 'dropped-no-entry');
    assert.deepEqual([e.from.identity, e.from.node, e.to.identity, e.to.node, e.required], [C_ID, 'n2', S_ID, 'n1', true]);
  });

  it('with entries: straight and delivered; who authenticated, when, with which certificates', () => {
    setEntry('initiator', bootTimeNs() + 60_000_000_000n);
    setEntry('responder', bootTimeNs() + 60_000_000_000n);
    const e = explain(8080);
    assert.equal(e.connect, kernel(8080));
    assert.equal(e.connect, 'straight');
    assert.equal(e.receive, 'delivered');
    assert.deepEqual(e.initiatorEntry, { role: 'initiator', authenticatedAt: '2026-11-22T05:00:00.000Z', expiresAt: '2026-11-22T06:00:00.000Z', valid: true, localSerial: 'aa01', remoteSerial: 'bb02' });
    const text = formatExplanation(e);
    assert.match(text, /initiator entry: authenticated 2026-11-22T05:00:00.000Z by this node as initiator, valid until 2026-11-22T06:00:00.000Z; certificates: local serial aa01, remote serial bb02/);
    assert.match(text, /goes straight \(no handshake\)/);
  });

  it('expired entries: back to the gate; the receiver drops as expired', () => {
    setEntry('initiator', bootTimeNs() - 1n);
    setEntry('responder', bootTimeNs() - 1n);
    const e = explain(8080);
    assert.equal(e.connect, kernel(8080));
    assert.equal(e.connect, 'held-by-gate');
    assert.equal(e.receive, 'dropped-expired');
    assert.equal(e.initiatorEntry?.valid, false);
    assert.match(formatExplanation(e), /EXPIRED/);
  });

  it('no gate: refused; a port without a requirement: not required', () => {
    dp.setGate({ address: '0.0.0.0', port: 0 });
    try {
      assert.equal(explain(8080).connect, kernel(8080));
      assert.equal(explain(8080).connect, 'refused-no-gate');
    } finally {
      dp.setGate({ address: '127.0.0.1', port: 15007 });
    }
    assert.equal(explain(9090).connect, kernel(9090));
    assert.equal(explain(9090).connect, 'not-required');
    assert.equal(explain(9090).receive, 'not-required');
  });

  it('the tunnel check: a flow from another node is delivered only out of the tunnel; with the interface missing, dropped', () => {
    setEntry('responder', bootTimeNs() + 60_000_000_000n);
    try {
      dp.setTunnel({ required: true, ifindex: 12 });
      const e = explain(8080);
      assert.equal(e.receive, 'delivered');
      assert.equal(e.tunnelIfindex, 12);
      assert.match(formatExplanation(e), /delivered only out of the tunnel \(ifindex 12\)/);
      dp.setTunnel({ required: true, ifindex: 0 });
      assert.equal(explain(8080).receive, 'dropped-no-tunnel');
      assert.equal(explain(9090).tunnelIfindex, undefined, 'a port that requires nothing is not judged');
    } finally {
      dp.setTunnel({ required: false, ifindex: 0 });
    }
    assert.equal(explain(8080).tunnelIfindex, undefined);
  });

  it('a per-connection port: held even with a valid pair entry; its connection entries are listed by 4-tuple', () => {
    setEntry('initiator', bootTimeNs() + 60_000_000_000n);
    setEntry('responder', bootTimeNs() + 60_000_000_000n);
    dp.syncRequirements([{ spiffeId: S_ID, port: 8080, mode: 'per-connection' }]);
    try {
      dp.setConn(
        { saddr: CLIENT, daddr: SERVER, sport: 40001, dport: 8080 },
        { expiresBootNs: bootTimeNs() + 60_000_000_000n, boundSyn: 0n, localId: dp.identityId(S_ID), remoteId: dp.identityId(C_ID), remoteNode: dp.nodeId('n2'), authType: AUTH_TYPE_SPIFFE_MTLS, expiresMs: Date.parse('2026-11-22T06:00:00Z'), authenticatedMs: Date.parse('2026-11-22T05:00:00Z') },
      );
      const e = explain(8080);
      assert.equal(e.connect, kernel(8080));
      assert.equal(e.connect, 'held-by-gate', 'the pair entry does not count');
      assert.equal(e.scope, 'connection');
      assert.equal(e.receive, 'per-connection');
      assert.deepEqual(e.connectionEntries, [{ tuple: `${CLIENT}:40001 → ${SERVER}:8080`, authenticatedAt: '2026-11-22T05:00:00.000Z', expiresAt: '2026-11-22T06:00:00.000Z', valid: true, bound: false }]);
      assert.match(formatExplanation(e), /per connection[\s\S]*connection entries on this node \(1\):\n {4}10\.233\.1\.2:40001 → 10\.233\.0\.2:8080 +authenticated/);
    } finally {
      dp.syncRequirements([{ spiffeId: S_ID, port: 8080 }]);
    }
    assert.equal(explain(8080).scope, 'pair');
  });
});

// nm_auth_connect4's decision (include/auth_connect_decision.h), the
// initiating side of issue #6, run in the kernel through BPF_PROG_TEST_RUN
// (test/test_auth_connect4.bpf.c: cgroup/connect4 itself cannot be
// test-run) against maps written the way the agents write them. Each case
// asserts which way the connect goes: straight (entry valid, or nothing
// required), to the gate, or refused (no gate). The held path on real
// sockets is e2e/auth-gate.test.ts. Needs root and the built objects.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuthDatapath, bootTimeNs, ensureAuthMaps } from './auth-map.js';
import { AUTH_TYPE_SPIFFE_MTLS } from './auth-structs.js';
import { testRun } from './libbpf.js';
import { detach, loadWithPinnedMaps, type LoadedObject } from './loader.js';
import { BPFFS, DEFAULT_OBJECTS_DIR, isBpffs, objectsMissing } from './preflight.js';
import { COUNTERS, type CounterName } from './structs.js';

const skip =
  process.getuid?.() !== 0
    ? 'needs root (BPF)'
    : !existsSync(BPFFS) || !isBpffs(BPFFS)
      ? `bpffs is not mounted at ${BPFFS}`
      : objectsMissing(DEFAULT_OBJECTS_DIR, ['auth_connect4', 'test_auth_connect4']);
if (skip) console.log(`# SKIPPED nm_auth_connect4 kernel tests: ${skip}`);

const SERVER = '10.232.0.2';
const CLIENT = '10.232.1.2';
const S_ID = 'spiffe://cluster.local/ns/shop/sa/reviews';
const C_ID = 'spiffe://cluster.local/ns/shop/sa/frontend';
const be32 = (a: string) => BigInt(Buffer.from(a.split('.').map(Number)).readUInt32LE(0));

describe('nm_auth_connect4 decision in the kernel (BPF_PROG_TEST_RUN)', { skip }, () => {
  const pinRoot = join(BPFFS, `nmlab-${process.pid}-authconnect`);
  let obj: LoadedObject;
  let dp: AuthDatapath;

  before(() => {
    detach(pinRoot);
    ensureAuthMaps(pinRoot);
    obj = loadWithPinnedMaps(join(DEFAULT_OBJECTS_DIR, 'test_auth_connect4.o'), pinRoot);
    dp = AuthDatapath.open(pinRoot);
    dp.syncIpIdentities([
      { address: SERVER, spiffeId: S_ID, node: 'node-a' },
      { address: CLIENT, spiffeId: C_ID, node: 'node-b' },
    ]);
    dp.syncRequirements([{ spiffeId: S_ID, port: 8080 }]);
    dp.setGate({ address: '127.0.0.1', port: 15007 });
  });
  after(() => {
    dp?.close();
    obj?.close();
    detach(pinRoot);
    assert.ok(!existsSync(pinRoot), 'pins removed');
  });

  /** The decision for a connect from `src` (undefined: unbound socket) to dst:port. */
  const decide = (src: string | undefined, dst: string, port: number): CounterName => {
    const ctx = Buffer.alloc(24);
    ctx.writeBigUInt64LE(src ? be32(src) : 0n, 0);
    ctx.writeBigUInt64LE(be32(dst), 8);
    ctx.writeBigUInt64LE(BigInt(port), 16);
    const r = testRun(obj.programs.get('nm_test_auth_connect4')!, ctx);
    return COUNTERS[r] ?? (`unknown ${r}` as CounterName);
  };
  // The initiator's entry: local = the client, remote = the server on the server's node.
  const key = () => ({ localId: dp.identityId(C_ID), remoteId: dp.identityId(S_ID), remoteNode: dp.nodeId('node-a'), authType: AUTH_TYPE_SPIFFE_MTLS });
  const setEntry = (expiresBootNs: bigint) =>
    dp.setAuth(key(), { expiresBootNs, expiresMs: Date.now() + 1000, authenticatedMs: Date.now(), role: 'initiator', localSerial: '01', remoteSerial: '02' });

  it('auth required, no entry: to the gate', () => {
    assert.equal(decide(CLIENT, SERVER, 8080), 'auth_connect_held');
  });

  it('a valid entry: straight to the destination', () => {
    setEntry(bootTimeNs() + 60_000_000_000n);
    assert.equal(decide(CLIENT, SERVER, 8080), 'auth_connect_authenticated');
  });

  it('an expired entry (CLOCK_BOOTTIME): to the gate again', () => {
    setEntry(bootTimeNs() - 1n);
    assert.equal(decide(CLIENT, SERVER, 8080), 'auth_connect_held');
  });

  it("an entry for the same identity on another node does not count: the key holds the destination's node", () => {
    setEntry(bootTimeNs() + 60_000_000_000n);
    dp.setIpIdentity(SERVER, { identityId: dp.identityId(S_ID), nodeId: dp.nodeId('node-c') });
    try {
      assert.equal(decide(CLIENT, SERVER, 8080), 'auth_connect_held');
    } finally {
      dp.setIpIdentity(SERVER, { identityId: dp.identityId(S_ID), nodeId: dp.nodeId('node-a') });
    }
    assert.equal(decide(CLIENT, SERVER, 8080), 'auth_connect_authenticated');
  });

  it('an unbound socket or a source with no identity: to the gate (which refuses it with a reason), even when the pair has an entry', () => {
    assert.equal(decide(undefined, SERVER, 8080), 'auth_connect_held');
    assert.equal(decide('10.232.9.9', SERVER, 8080), 'auth_connect_held');
  });

  it('nothing required: a port without a requirement, a destination with no identity', () => {
    assert.equal(decide(CLIENT, SERVER, 9090), 'auth_connect_not_required');
    assert.equal(decide(CLIENT, '10.232.0.77', 8080), 'auth_connect_not_required');
  });

  it('port 0 in nm_auth_required covers every port of the destination', () => {
    dp.deleteAuth(key());
    dp.syncRequirements([{ spiffeId: S_ID, port: 0 }]);
    assert.equal(decide(CLIENT, SERVER, 9090), 'auth_connect_held');
    dp.syncRequirements([{ spiffeId: S_ID, port: 8080 }]);
  });

  it('a per-connection port: always to the gate (auth_connect_held_per_connection), a valid pair entry notwithstanding; no gate: refused', () => {
    dp.syncRequirements([
      { spiffeId: S_ID, port: 8080 },
      { spiffeId: S_ID, port: 8443, mode: 'per-connection' },
    ]);
    try {
      setEntry(bootTimeNs() + 60_000_000_000n);
      assert.equal(decide(CLIENT, SERVER, 8080), 'auth_connect_authenticated');
      assert.equal(decide(CLIENT, SERVER, 8443), 'auth_connect_held_per_connection');
      assert.equal(decide(undefined, SERVER, 8443), 'auth_connect_held_per_connection');
      // Every port per connection (port 0) wins over the pair port's own entry.
      dp.syncRequirements([
        { spiffeId: S_ID, port: 8080 },
        { spiffeId: S_ID, port: 0, mode: 'per-connection' },
      ]);
      assert.equal(decide(CLIENT, SERVER, 8080), 'auth_connect_held_per_connection');
      dp.setGate({ address: '0.0.0.0', port: 0 });
      assert.equal(decide(CLIENT, SERVER, 8080), 'auth_connect_no_gate');
    } finally {
      dp.setGate({ address: '127.0.0.1', port: 15007 });
      dp.deleteAuth(key());
      dp.syncRequirements([{ spiffeId: S_ID, port: 8080 }]);
    }
  });

  it('no gate (port 0: the auth agent withdrew it): refused, never let through', () => {
    dp.setGate({ address: '0.0.0.0', port: 0 });
    try {
      assert.equal(decide(CLIENT, SERVER, 8080), 'auth_connect_no_gate');
      assert.equal(decide(CLIENT, SERVER, 9090), 'auth_connect_not_required');
    } finally {
      dp.setGate({ address: '127.0.0.1', port: 15007 });
    }
    assert.deepEqual(dp.gate(), { address: '127.0.0.1', port: 15007 });
  });
});

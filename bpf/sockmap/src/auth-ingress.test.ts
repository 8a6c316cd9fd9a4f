// nm_auth_ingress (src/auth_ingress.bpf.c), the receive-side check of
// issue #6, run in the kernel with crafted packets through BPF_PROG_TEST_RUN
// (cgroup_skb implements it), against maps written the way the agents write
// them (AuthDatapath, and entries through BpfAuthMap's codecs). Each case
// asserts the verdict and which counter moved. Needs root and the built
// objects; skips with the reason otherwise. The pin root is named
// nmlab-<pid>-… (swept by the lab's leftover cleanup after a crash).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuthDatapath, bootTimeNs, ensureAuthMaps } from './auth-map.js';
import { AUTH_TYPE_SPIFFE_MTLS } from './auth-structs.js';
import { check, libbpf, type TestRunOpts } from './libbpf.js';
import { detach, loadWithPinnedMaps, type LoadedObject } from './loader.js';
import { BpfMap } from './maps.js';
import { BPFFS, DEFAULT_OBJECTS_DIR, isBpffs, objectsMissing } from './preflight.js';
import { COUNTERS, type CounterName } from './structs.js';

const skip =
  process.getuid?.() !== 0
    ? 'needs root (BPF)'
    : !existsSync(BPFFS) || !isBpffs(BPFFS)
      ? `bpffs is not mounted at ${BPFFS}`
      : objectsMissing(DEFAULT_OBJECTS_DIR, ['auth_ingress']);
if (skip) console.log(`# SKIPPED nm_auth_ingress kernel tests: ${skip}`);

/** An Ethernet + IPv4 + TCP (or UDP) packet, as BPF_PROG_TEST_RUN takes it for cgroup_skb (it strips the Ethernet header). */
function packet(o: { src: string; dst: string; sport: number; dport: number; proto?: number; flags?: number }): Buffer {
  const b = Buffer.alloc(14 + 20 + 20);
  b.writeUInt16BE(0x0800, 12);
  const ip = 14;
  b[ip] = 0x45;
  b.writeUInt16BE(40, ip + 2);
  b[ip + 8] = 64;
  b[ip + 9] = o.proto ?? 6;
  Buffer.from(o.src.split('.').map(Number)).copy(b, ip + 12);
  Buffer.from(o.dst.split('.').map(Number)).copy(b, ip + 16);
  const tcp = ip + 20;
  b.writeUInt16BE(o.sport, tcp);
  b.writeUInt16BE(o.dport, tcp + 2);
  b[tcp + 12] = 5 << 4;
  b[tcp + 13] = o.flags ?? 0x02; // SYN
  return b;
}

function run(progFd: number, data: Buffer): number {
  const opts: TestRunOpts = {
    sz: 80, data_in: data, data_out: null, data_size_in: data.length, data_size_out: 0,
    ctx_in: null, ctx_out: null, ctx_size_in: 0, ctx_size_out: 0,
    retval: 0, repeat: 0, duration: 0, flags: 0, cpu: 0, batch_size: 0,
  };
  check('BPF_PROG_TEST_RUN nm_auth_ingress', libbpf().prog_test_run_opts(progFd, opts));
  return opts.retval;
}

const SERVER = '10.231.0.2';
const CLIENT = '10.231.1.2';
const STRANGER = '10.231.9.9';
const S_ID = 'spiffe://cluster.local/ns/shop/sa/reviews';
const C_ID = 'spiffe://cluster.local/ns/shop/sa/frontend';

describe('nm_auth_ingress decision in the kernel (BPF_PROG_TEST_RUN)', { skip }, () => {
  const pinRoot = join(BPFFS, `nmlab-${process.pid}-authingress`);
  let obj: LoadedObject;
  let prog: number;
  let dp: AuthDatapath;
  let counters: BpfMap;

  before(() => {
    detach(pinRoot);
    ensureAuthMaps(pinRoot);
    obj = loadWithPinnedMaps(join(DEFAULT_OBJECTS_DIR, 'auth_ingress.o'), pinRoot);
    prog = obj.programs.get('nm_auth_ingress')!;
    assert.ok(prog > 0);
    dp = AuthDatapath.open(pinRoot);
    counters = BpfMap.openPinned(join(pinRoot, 'maps', 'nm_counters'));
    dp.syncIpIdentities([
      { address: SERVER, spiffeId: S_ID, node: 'node-a' },
      { address: CLIENT, spiffeId: C_ID, node: 'node-b' },
    ]);
    dp.syncRequirements([{ spiffeId: S_ID, port: 8080 }]);
  });
  after(() => {
    counters?.close();
    dp?.close();
    obj?.close();
    detach(pinRoot);
    assert.ok(!existsSync(pinRoot), 'pins removed');
  });

  const count = (name: CounterName): bigint => {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(COUNTERS.indexOf(name));
    const v = counters.lookup(key)!;
    let sum = 0n;
    for (let off = 0; off + 8 <= v.length; off += 8) sum += v.readBigUInt64LE(off);
    return sum;
  };
  /** Runs the packet; returns the verdict and the single counter that moved. */
  const decide = (p: Buffer): { verdict: 'pass' | 'drop'; counted: string[] } => {
    const before = COUNTERS.map(count);
    const r = run(prog, p);
    const counted = COUNTERS.filter((n, i) => count(n) !== before[i]);
    return { verdict: r === 1 ? 'pass' : 'drop', counted };
  };
  const key = () => ({ localId: dp.identityId(S_ID), remoteId: dp.identityId(C_ID), remoteNode: dp.nodeId('node-b'), authType: AUTH_TYPE_SPIFFE_MTLS });
  const setEntry = (expiresBootNs: bigint) =>
    dp.setAuth(key(), { expiresBootNs, expiresMs: Date.now() + 1000, authenticatedMs: Date.now(), role: 'responder', localSerial: '01', remoteSerial: '02' });
  const syn = (src: string, dport: number) => packet({ src, dst: SERVER, sport: 40000, dport });

  it('no auth entry for the pair: dropped (auth_drop_no_entry)', () => {
    assert.deepEqual(decide(syn(CLIENT, 8080)), { verdict: 'drop', counted: ['auth_drop_no_entry'] });
  });

  it('a valid entry: delivered (auth_ingress_allowed), every packet of the flow', () => {
    setEntry(bootTimeNs() + 60_000_000_000n);
    assert.deepEqual(decide(syn(CLIENT, 8080)), { verdict: 'pass', counted: ['auth_ingress_allowed'] });
    assert.deepEqual(decide(packet({ src: CLIENT, dst: SERVER, sport: 40000, dport: 8080, flags: 0x18 })), { verdict: 'pass', counted: ['auth_ingress_allowed'] });
  });

  it('an entry for another node of the same identity does not count', () => {
    dp.setIpIdentity(CLIENT, { identityId: dp.identityId(C_ID), nodeId: dp.nodeId('node-c') });
    try {
      assert.deepEqual(decide(syn(CLIENT, 8080)), { verdict: 'drop', counted: ['auth_drop_no_entry'] });
    } finally {
      dp.setIpIdentity(CLIENT, { identityId: dp.identityId(C_ID), nodeId: dp.nodeId('node-b') });
    }
  });

  it('an expired entry (CLOCK_BOOTTIME): dropped (auth_drop_expired), also mid-flow', () => {
    setEntry(bootTimeNs() - 1n);
    assert.deepEqual(decide(syn(CLIENT, 8080)), { verdict: 'drop', counted: ['auth_drop_expired'] });
    assert.deepEqual(decide(packet({ src: CLIENT, dst: SERVER, sport: 40000, dport: 8080, flags: 0x10 })), { verdict: 'drop', counted: ['auth_drop_expired'] });
  });

  it('a port that does not require authentication: delivered (auth_ingress_not_required)', () => {
    dp.deleteAuth(key());
    assert.deepEqual(decide(syn(CLIENT, 9090)), { verdict: 'pass', counted: ['auth_ingress_not_required'] });
    // A destination that is no workload identity at all.
    assert.deepEqual(decide(packet({ src: CLIENT, dst: '10.231.0.77', sport: 40000, dport: 8080 })), { verdict: 'pass', counted: ['auth_ingress_not_required'] });
  });

  it('a source address with no identity: dropped (auth_drop_unknown_identity)', () => {
    setEntry(bootTimeNs() + 60_000_000_000n);
    assert.deepEqual(decide(syn(STRANGER, 8080)), { verdict: 'drop', counted: ['auth_drop_unknown_identity'] });
  });

  it('port 0 in nm_auth_required covers every port of the identity; removing the requirement lets it through', () => {
    dp.deleteAuth(key());
    dp.syncRequirements([{ spiffeId: S_ID, port: 0 }]);
    assert.deepEqual(decide(syn(CLIENT, 9090)), { verdict: 'drop', counted: ['auth_drop_no_entry'] });
    dp.syncRequirements([]);
    assert.deepEqual(decide(syn(CLIENT, 8080)), { verdict: 'pass', counted: ['auth_ingress_not_required'] });
    dp.syncRequirements([{ spiffeId: S_ID, port: 8080 }]);
  });

  it('non-TCP packets are not judged (no counter)', () => {
    assert.deepEqual(decide(packet({ src: STRANGER, dst: SERVER, sport: 5353, dport: 8080, proto: 17 })), { verdict: 'pass', counted: [] });
  });
});

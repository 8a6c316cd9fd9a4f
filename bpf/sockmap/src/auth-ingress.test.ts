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
import { readCounter } from './counters.js';
import { COUNTERS, type CounterName } from './structs.js';

const skip =
  process.getuid?.() !== 0
    ? 'needs root (BPF)'
    : !existsSync(BPFFS) || !isBpffs(BPFFS)
      ? `bpffs is not mounted at ${BPFFS}`
      : objectsMissing(DEFAULT_OBJECTS_DIR, ['auth_ingress']);
if (skip) console.log(`# SKIPPED nm_auth_ingress kernel tests: ${skip}`);

/** An Ethernet + IPv4 + TCP (or UDP) packet, as BPF_PROG_TEST_RUN takes it for cgroup_skb (it strips the Ethernet header). */
function packet(o: { src: string; dst: string; sport: number; dport: number; proto?: number; flags?: number; seq?: number }): Buffer {
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
  b.writeUInt32BE(o.seq ?? 1000, tcp + 4);
  b[tcp + 12] = 5 << 4;
  b[tcp + 13] = o.flags ?? 0x02; // SYN
  return b;
}

/** The leading fields of struct __sk_buff up to ingress_ifindex (offset 36), the only one set: the kernel takes it as the skb's skb_iif. */
function skbContext(ingressIfindex: number): Buffer {
  const ctx = Buffer.alloc(40);
  ctx.writeUInt32LE(ingressIfindex, 36);
  return ctx;
}

function run(progFd: number, data: Buffer, ingressIfindex?: number): number {
  const ctx = ingressIfindex === undefined ? null : skbContext(ingressIfindex);
  const opts: TestRunOpts = {
    sz: 80, data_in: data, data_out: null, data_size_in: data.length, data_size_out: 0,
    ctx_in: ctx, ctx_out: null, ctx_size_in: ctx?.length ?? 0, ctx_size_out: 0,
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

  const count = (name: CounterName): bigint => readCounter(counters, name);
  /** Runs the packet; returns the verdict and the single counter that moved. */
  const decide = (p: Buffer, ingressIfindex?: number): { verdict: 'pass' | 'drop'; counted: string[] } => {
    const before = COUNTERS.map(count);
    const r = run(prog, p, ingressIfindex);
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

  describe('per-connection ports (nm_auth_required mode 2, nm_auth_conn)', () => {
    const tuple = (sport: number) => ({ saddr: CLIENT, daddr: SERVER, sport, dport: 8443 });
    const setConn = (sport: number, o: { expiresBootNs?: bigint; remoteNode?: string; remoteId?: string } = {}) =>
      dp.setConn(tuple(sport), {
        expiresBootNs: o.expiresBootNs ?? bootTimeNs() + 60_000_000_000n,
        boundSyn: 0n,
        localId: dp.identityId(S_ID),
        remoteId: dp.identityId(o.remoteId ?? C_ID),
        remoteNode: dp.nodeId(o.remoteNode ?? 'node-b'),
        authType: AUTH_TYPE_SPIFFE_MTLS,
        expiresMs: Date.now() + 60_000,
        authenticatedMs: Date.now(),
      });
    const pkt = (sport: number, flags = 0x02, seq = 1000, src = CLIENT) => packet({ src, dst: SERVER, sport, dport: 8443, flags, seq });
    before(() => {
      dp.syncRequirements([
        { spiffeId: S_ID, port: 8080 },
        { spiffeId: S_ID, port: 8443, mode: 'per-connection' },
      ]);
      // The strongest pair entry there is: it must not count on a per-connection port.
      setEntry(bootTimeNs() + 60_000_000_000n);
    });
    after(() => {
      for (const { tuple: t } of dp.listConn()) dp.deleteConn(t);
      dp.deleteAuth(key());
      dp.syncRequirements([{ spiffeId: S_ID, port: 8080 }]);
    });

    it('a valid pair entry alone: dropped (auth_drop_no_conn_entry)', () => {
      assert.deepEqual(decide(pkt(41000)), { verdict: 'drop', counted: ['auth_drop_no_conn_entry'] });
      assert.deepEqual(decide(pkt(41000, 0x10)), { verdict: 'drop', counted: ['auth_drop_no_conn_entry'] });
      // The pair port next to it still takes the pair entry.
      assert.deepEqual(decide(syn(CLIENT, 8080)), { verdict: 'pass', counted: ['auth_ingress_allowed'] });
    });

    it('an entry for exactly this 4-tuple: delivered (auth_ingress_conn_allowed); another source port is not covered', () => {
      setConn(41001);
      assert.deepEqual(decide(pkt(41001)), { verdict: 'pass', counted: ['auth_ingress_conn_allowed'] });
      assert.deepEqual(decide(pkt(41001, 0x18)), { verdict: 'pass', counted: ['auth_ingress_conn_allowed'] });
      assert.deepEqual(decide(pkt(41002)), { verdict: 'drop', counted: ['auth_drop_no_conn_entry'] });
      assert.deepEqual(decide(packet({ src: CLIENT, dst: SERVER, sport: 41001, dport: 8444, seq: 1000 })), { verdict: 'pass', counted: ['auth_ingress_not_required'] });
    });

    it('the entry binds to the first SYN: its retransmit passes, a new SYN on the same tuple is dropped (auth_drop_conn_reused)', () => {
      setConn(41003);
      assert.deepEqual(decide(pkt(41003, 0x02, 7777)), { verdict: 'pass', counted: ['auth_ingress_conn_allowed'] });
      assert.equal(dp.getConn(tuple(41003))?.boundSyn, (1n << 32n) | 7777n);
      assert.deepEqual(decide(pkt(41003, 0x02, 7777)), { verdict: 'pass', counted: ['auth_ingress_conn_allowed'] });
      assert.deepEqual(decide(pkt(41003, 0x10, 7778)), { verdict: 'pass', counted: ['auth_ingress_conn_allowed'] });
      assert.deepEqual(decide(pkt(41003, 0x02, 9999)), { verdict: 'drop', counted: ['auth_drop_conn_reused'] });
    });

    it('an expired entry: dropped (auth_drop_conn_expired)', () => {
      setConn(41004, { expiresBootNs: bootTimeNs() - 1n });
      assert.deepEqual(decide(pkt(41004, 0x10)), { verdict: 'drop', counted: ['auth_drop_conn_expired'] });
    });

    it('an entry made for other identities or another node does not count', () => {
      setConn(41005, { remoteNode: 'node-c' });
      assert.deepEqual(decide(pkt(41005)), { verdict: 'drop', counted: ['auth_drop_no_conn_entry'] });
      setConn(41006, { remoteId: 'spiffe://cluster.local/ns/shop/sa/other' });
      assert.deepEqual(decide(pkt(41006)), { verdict: 'drop', counted: ['auth_drop_no_conn_entry'] });
      assert.deepEqual(decide(pkt(41001, 0x02, 1000, STRANGER)), { verdict: 'drop', counted: ['auth_drop_unknown_identity'] });
    });

    it('per-connection on port 0 (every port) wins over a pair entry for the port itself', () => {
      dp.syncRequirements([
        { spiffeId: S_ID, port: 8080 },
        { spiffeId: S_ID, port: 0, mode: 'per-connection' },
      ]);
      try {
        assert.equal(dp.portMode(S_ID, 8080), 'per-connection');
        assert.deepEqual(decide(syn(CLIENT, 8080)), { verdict: 'drop', counted: ['auth_drop_no_conn_entry'] });
      } finally {
        dp.syncRequirements([
          { spiffeId: S_ID, port: 8080 },
          { spiffeId: S_ID, port: 8443, mode: 'per-connection' },
        ]);
      }
      assert.equal(dp.portMode(S_ID, 8080), 'required');
      assert.equal(dp.portMode(S_ID, 8443), 'per-connection');
      assert.equal(dp.portMode(S_ID, 9090), undefined);
    });
  });

  describe('a sender on another node counts only out of the tunnel (nm_auth_tunnel)', () => {
    const TUNNEL = 41;
    const UNDERLAY = 7;
    const LOCAL_CLIENT = '10.231.0.3';
    before(() => {
      dp.syncRequirements([
        { spiffeId: S_ID, port: 8080 },
        { spiffeId: S_ID, port: 8443, mode: 'per-connection' },
      ]);
      setEntry(bootTimeNs() + 60_000_000_000n);
      dp.setIpIdentity(LOCAL_CLIENT, { identityId: dp.identityId(C_ID), nodeId: dp.nodeId('node-a') });
      dp.setAuth(
        { localId: dp.identityId(S_ID), remoteId: dp.identityId(C_ID), remoteNode: dp.nodeId('node-a'), authType: AUTH_TYPE_SPIFFE_MTLS },
        { expiresBootNs: bootTimeNs() + 60_000_000_000n, expiresMs: Date.now() + 60_000, authenticatedMs: Date.now(), role: 'responder', localSerial: '01', remoteSerial: '03' },
      );
    });
    after(() => {
      dp.syncRequirements([{ spiffeId: S_ID, port: 8080 }]);
      dp.setTunnel({ required: false, ifindex: 0 });
      dp.deleteIpIdentity(LOCAL_CLIENT);
      dp.deleteAuth({ localId: dp.identityId(S_ID), remoteId: dp.identityId(C_ID), remoteNode: dp.nodeId('node-a'), authType: AUTH_TYPE_SPIFFE_MTLS });
      dp.deleteAuth(key());
    });

    it('not required (no encryption configured): the entry alone decides, whatever the interface', () => {
      assert.deepEqual(dp.tunnel(), { required: false, ifindex: 0 });
      assert.deepEqual(decide(syn(CLIENT, 8080), UNDERLAY), { verdict: 'pass', counted: ['auth_ingress_allowed'] });
    });

    it('required: out of the tunnel delivered; the same packet on another interface dropped (auth_drop_outside_tunnel), before any entry is consulted', () => {
      dp.setTunnel({ required: true, ifindex: TUNNEL });
      assert.deepEqual(decide(syn(CLIENT, 8080), TUNNEL), { verdict: 'pass', counted: ['auth_ingress_allowed'] });
      assert.deepEqual(decide(packet({ src: CLIENT, dst: SERVER, sport: 40000, dport: 8080, flags: 0x18 }), TUNNEL), { verdict: 'pass', counted: ['auth_ingress_allowed'] });
      assert.deepEqual(decide(syn(CLIENT, 8080), UNDERLAY), { verdict: 'drop', counted: ['auth_drop_outside_tunnel'] });
      assert.deepEqual(decide(packet({ src: CLIENT, dst: SERVER, sport: 40000, dport: 8080, flags: 0x18 }), UNDERLAY), { verdict: 'drop', counted: ['auth_drop_outside_tunnel'] });
      // Per-connection ports too.
      assert.deepEqual(decide(packet({ src: CLIENT, dst: SERVER, sport: 40001, dport: 8443 }), UNDERLAY), { verdict: 'drop', counted: ['auth_drop_outside_tunnel'] });
    });

    it('required with no tunnel interface at the moment (ifindex 0): every such packet dropped, fail closed', () => {
      dp.setTunnel({ required: true, ifindex: 0 });
      assert.deepEqual(decide(syn(CLIENT, 8080), TUNNEL), { verdict: 'drop', counted: ['auth_drop_outside_tunnel'] });
      assert.deepEqual(decide(syn(CLIENT, 8080), 0), { verdict: 'drop', counted: ['auth_drop_outside_tunnel'] });
    });

    it('a sender on this node never crosses the tunnel: its entry decides; ports that require nothing are not judged', () => {
      dp.setTunnel({ required: true, ifindex: TUNNEL });
      assert.deepEqual(decide(syn(LOCAL_CLIENT, 8080), 1), { verdict: 'pass', counted: ['auth_ingress_allowed'] });
      assert.deepEqual(decide(syn(CLIENT, 9090), UNDERLAY), { verdict: 'pass', counted: ['auth_ingress_not_required'] });
    });
  });

  it('non-TCP packets are not judged (no counter)', () => {
    assert.deepEqual(decide(packet({ src: STRANGER, dst: SERVER, sport: 5353, dport: 8080, proto: 17 })), { verdict: 'pass', counted: [] });
  });
});

// Issue #7 end to end: WireGuard between nodes managed by the encryption
// agent, on the netns lab (e2e/lab/encryption-lab.ts: 3-4 nodes joined by an
// underlay bridge, one pod namespace per node, agents as `nodemesh encryption
// agent` processes in the node namespaces). The claims are checked on a
// packet capture of the underlay, not on the agent's own view.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import { tunnelMtu } from '../encryption/src/mtu.js';
import { parseWgDump, type WgDump } from '../encryption/src/wg-dump.js';
import { EncryptionLab, encryptionLabUnavailable, NODEMESH_BIN, waitFor, WG_PORT, type EncNode } from './lab/encryption-lab.js';
import type { CapturedPacket } from './lab/pcap.js';

const why = encryptionLabUnavailable();
if (why) console.log(`# SKIP e2e/encryption.test.ts: ${why}`);

const ECHO_PORT = 7000;
const marker = (what: string) => `NODEMESH-MARKER-${what}-${randomBytes(4).toString('hex')}`;
const EXPECTED_MTU = tunnelMtu(1500, 'IPv4'); // veths default to 1500

function dump(n: EncNode): WgDump {
  return parseWgDump(n.node.exec('wg', ['show', n.ifname, 'dump']));
}
function tunnelRoutes(n: EncNode): Array<{ dst: string; metric?: number; metrics?: Array<{ mtu?: number }> }> {
  return JSON.parse(n.node.exec('ip', ['-j', '-4', 'route', 'show', 'dev', n.ifname])) as Array<{ dst: string; metric?: number; metrics?: Array<{ mtu?: number }> }>;
}
function nodeObject(lab: EncryptionLab, name: string): { spec: { wireGuard: { publicKey: string; nextPublicKey?: string } } } {
  return parse(readFileSync(join(lab.configDir, `node-${name}.yaml`), 'utf8')) as { spec: { wireGuard: { publicKey: string; nextPublicKey?: string } } };
}
const hasMarker = (pkts: CapturedPacket[], m: string) => pkts.some((p) => p.raw.includes(m));
/** Frames that are neither ARP nor UDP to/from the WireGuard port. */
const notWireGuard = (pkts: CapturedPacket[]) => pkts.filter((p) => p.ether !== 'arp' && !(p.ether === 'ipv4' && p.proto === 'udp' && (p.sport === WG_PORT || p.dport === WG_PORT)));
const describePkt = (p: CapturedPacket) => `${p.ether} ${String(p.proto)} ${p.src}:${p.sport} > ${p.dst}:${p.dport}`;

function strictDrops(n: EncNode): number {
  const out = JSON.parse(n.node.exec('nft', ['-j', 'list', 'counter', 'inet', 'nodemesh_encryption', 'unencrypted_drops'])) as { nftables: Array<{ counter?: { packets: number } }> };
  return out.nftables.find((e) => e.counter)?.counter?.packets ?? 0;
}

describe('transparent encryption between nodes (WireGuard)', { skip: why ?? false }, () => {
  let lab: EncryptionLab;
  const servers: Array<{ kill: () => void }> = [];

  before(async () => {
    lab = EncryptionLab.create('enc', 3);
    for (const i of [1, 2, 3]) servers.push(await lab.serve(i, ECHO_PORT));
  });
  after(() => {
    const failedLogs = [...lab.nodes.values()].map((n) => `--- ${n.name}\n${n.agentLog.slice(-30).join('\n')}`).join('\n');
    if (process.env.NODEMESH_E2E_VERBOSE) console.log(failedLogs);
    lab?.cleanup();
  });

  it('without encryption, the marker crosses the underlay in clear (so the capture can catch a leak)', async () => {
    const cap = await lab.capture('plaintext');
    const m = marker('plain');
    const r = await lab.traffic(1, ['transfer', lab.get(2).podIP, String(ECHO_PORT), String(200_000), m, '1000']);
    const pkts = await cap.stop();
    assert.equal(r.ok, true, String(r.error));
    assert.ok(hasMarker(pkts, m), 'the plaintext marker is visible on the underlay');
    assert.ok(pkts.some((p) => p.proto === 'tcp' && p.dport === ECHO_PORT), 'pod TCP is on the wire, unwrapped');
  });

  it('agents bring up WireGuard: each node peers with exactly the others, AllowedIPs = their pod CIDRs, routes with the computed MTU', async () => {
    await Promise.all([1, 2, 3].map((i) => lab.startAgent(i)));
    for (const i of [1, 2, 3]) {
      const n = lab.get(i);
      const others = [1, 2, 3].filter((j) => j !== i).map((j) => lab.get(j));
      await waitFor(`${n.name} peers`, () => dump(n).peers.length === 2 && tunnelRoutes(n).length === 2);
      const d = dump(n);
      assert.deepEqual(
        d.peers.map((p) => [p.endpoint, p.allowedIPs]).sort(),
        others.map((o) => [`${o.endpoint}:${WG_PORT}`, [o.podCIDR]]).sort(),
      );
      const [link] = JSON.parse(n.node.exec('ip', ['-j', 'link', 'show', 'dev', n.ifname])) as Array<{ mtu: number }>;
      assert.equal(link!.mtu, EXPECTED_MTU, 'tunnel MTU = underlay 1500 − 60');
      for (const r of tunnelRoutes(n)) {
        assert.equal(r.metrics?.[0]?.mtu, EXPECTED_MTU, `route ${r.dst} carries the tunnel MTU`);
        assert.equal(r.metric, 10);
      }
      assert.deepEqual(tunnelRoutes(n).map((r) => r.dst).sort(), others.map((o) => o.podCIDR).sort());
      // The private key: 0600, and nowhere else — not in any Node object, not in the agent's logs.
      const keyFile = join(n.stateDir, 'wireguard.key');
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      assert.equal(statSync(n.stateDir).mode & 0o777, 0o700);
      const priv = readFileSync(keyFile, 'utf8').trim();
      for (const f of readdirSync(lab.configDir)) assert.ok(!readFileSync(join(lab.configDir, f), 'utf8').includes(priv), `private key of ${n.name} in ${f}`);
      assert.ok(!n.agentLog.join('\n').includes(priv), `private key of ${n.name} in its log`);
      assert.ok(!readFileSync(join(n.stateDir, 'agent.json'), 'utf8').includes(priv));
      assert.equal(nodeObject(lab, n.name).spec.wireGuard.publicKey, d.iface.publicKey);
    }
  });

  it('encrypted: the underlay carries only UDP to/from the WireGuard port and never the marker; 1 MB+ transfers succeed', async () => {
    const cap = await lab.capture('encrypted');
    const m = marker('enc');
    const results = await Promise.all([
      // Paced over 3 s, so that the capture keeps up with every packet.
      lab.traffic(1, ['transfer', lab.get(2).podIP, String(ECHO_PORT), String(2 * 1024 * 1024), m, '3000']),
      lab.traffic(2, ['transfer', lab.get(3).podIP, String(ECHO_PORT), String(1024 * 1024), m, '3000']),
      lab.traffic(3, ['transfer', lab.get(1).podIP, String(ECHO_PORT), String(1024 * 1024), m, '3000']),
      lab.traffic(1, ['udp', lab.get(3).podIP, String(ECHO_PORT), '20', m]),
    ]);
    const pkts = await cap.stop();
    for (const r of results) assert.equal(r.ok, true, String(r.error));
    const wgPackets = pkts.filter((p) => p.proto === 'udp' && (p.sport === WG_PORT || p.dport === WG_PORT));
    assert.ok(wgPackets.length > 500, `tunnel traffic captured (${wgPackets.length} packets)`);
    assert.deepEqual(notWireGuard(pkts).map(describePkt), [], 'nothing but WireGuard (and ARP) on the underlay');
    assert.ok(!hasMarker(pkts, m), 'the marker never appears on the underlay');
    // The MTU is right: full-size tunnel packets, none fragmented on the underlay.
    assert.deepEqual(wgPackets.filter((p) => p.fragment).length, 0, 'no underlay fragments');
    const largest = Math.max(...wgPackets.map((p) => p.ipLength ?? 0));
    assert.ok(largest <= 1500 && largest > 1400, `largest tunnel packet ${largest} bytes: full-size and within the underlay MTU`);
  });

  it('nodemesh encryption status shows mode, peers, handshakes, bytes and MTU', () => {
    const n = lab.get(1);
    const r = spawnSync('ip', ['netns', 'exec', n.node.netns, process.execPath, NODEMESH_BIN, 'encryption', 'status', '--state-dir', n.stateDir, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { mode: string; implementation: string; mtu: number; strict: boolean; peers: Array<{ node: string; role: string; latestHandshake?: string; rxBytes: number; txBytes: number; allowedIPs: string[] }> };
    assert.equal(s.mode, 'wireguard');
    assert.ok(['kernel', 'wireguard-go'].includes(s.implementation));
    assert.equal(s.mtu, EXPECTED_MTU);
    assert.deepEqual(s.peers.map((p) => [p.node, p.role, p.allowedIPs]).sort(), [['n2', 'active', ['10.2.0.0/24']], ['n3', 'active', ['10.3.0.0/24']]]);
    for (const p of s.peers) {
      assert.ok(p.latestHandshake, `handshake with ${p.node}`);
      assert.ok(p.rxBytes > 0 && p.txBytes > 0, `bytes with ${p.node}`);
    }
    const text = spawnSync('ip', ['netns', 'exec', n.node.netns, process.execPath, NODEMESH_BIN, 'encryption', 'status', '--state-dir', n.stateDir], { encoding: 'utf8' });
    assert.match(text.stdout, new RegExp(`^mtu: +${EXPECTED_MTU} \\(underlay 1500\\)$`, 'm'));
    console.log(text.stdout.replace(/^/gm, '# '));
  });

  it('adding a node adds its peer and routes on every node; removing it removes them', async () => {
    const n4 = lab.addNode(4);
    servers.push(await lab.serve(4, ECHO_PORT));
    await lab.startAgent(4);
    for (const i of [1, 2, 3]) {
      const n = lab.get(i);
      await waitFor(`${n.name} peers with n4`, () => dump(n).peers.some((p) => p.allowedIPs.join() === '10.4.0.0/24' && p.endpoint === `${n4.endpoint}:${WG_PORT}`));
      await waitFor(`${n.name} routes 10.4.0.0/24 through the tunnel`, () => tunnelRoutes(n).some((r) => r.dst === '10.4.0.0/24' && r.metrics?.[0]?.mtu === EXPECTED_MTU));
    }
    await waitFor('n4 peers with all', () => dump(n4).peers.length === 3);
    const cap = await lab.capture('added');
    const m = marker('added');
    const r = await lab.traffic(1, ['transfer', n4.podIP, String(ECHO_PORT), String(300_000), m, '1000']);
    const pkts = await cap.stop();
    assert.equal(r.ok, true, String(r.error));
    assert.ok(!hasMarker(pkts, m));
    assert.deepEqual(notWireGuard(pkts).map(describePkt), []);

    // Node 4 leaves: its agent stops, its Node object is deleted.
    const n4Key = dump(n4).iface.publicKey;
    await lab.stopAgent(4);
    n4.node.exec('ip', ['link', 'del', n4.ifname]);
    unlinkSync(join(lab.configDir, 'node-n4.yaml'));
    for (const i of [1, 2, 3]) {
      const n = lab.get(i);
      await waitFor(`${n.name} drops n4`, () => !dump(n).peers.some((p) => p.publicKey === n4Key) && !tunnelRoutes(n).some((r) => r.dst === '10.4.0.0/24'));
      assert.equal(dump(n).peers.length, 2);
    }
  });

  it('an agent restart (even a crash) keeps the tunnel and an established connection', async () => {
    const n1 = lab.get(1);
    const ifindexBefore = (JSON.parse(n1.node.exec('ip', ['-j', 'link', 'show', 'dev', n1.ifname])) as Array<{ ifindex: number }>)[0]!.ifindex;
    const m = marker('restart');
    const transfer = lab.traffic(1, ['transfer', lab.get(2).podIP, String(ECHO_PORT), String(3 * 1024 * 1024), m, '6000']);
    await new Promise((r) => setTimeout(r, 1000));
    await lab.stopAgent(1, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    await lab.startAgent(1);
    assert.ok(n1.agentLog.some((l) => l.includes('reusing existing WireGuard interface')), n1.agentLog.join('\n'));
    const r = await transfer;
    assert.equal(r.ok, true, String(r.error));
    const ifindexAfter = (JSON.parse(n1.node.exec('ip', ['-j', 'link', 'show', 'dev', n1.ifname])) as Array<{ ifindex: number }>)[0]!.ifindex;
    assert.equal(ifindexAfter, ifindexBefore, 'the same interface, not a new one');
    assert.equal(dump(n1).peers.length, 2);
    // The restarted agent changed nothing: no peer or route commands logged.
    assert.ok(!n1.agentLog.some((l) => l.includes('reconciled peers and routes')), 'restart reconcile was a no-op');
  });

  it('key rotation on demand during running transfers: no error, no reset; peers end with only the new key', async () => {
    const n1 = lab.get(1);
    const oldKey = dump(n1).iface.publicKey!;
    const m = marker('rotate');
    const transfers = [
      lab.traffic(1, ['transfer', lab.get(2).podIP, String(ECHO_PORT), String(3 * 1024 * 1024), m, '8000']),
      lab.traffic(3, ['transfer', n1.podIP, String(ECHO_PORT), String(3 * 1024 * 1024), m, '8000']),
    ];
    await new Promise((r) => setTimeout(r, 1500));
    const cli = spawnSync(process.execPath, [NODEMESH_BIN, 'encryption', 'rotate', '--state-dir', n1.stateDir], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    const newKey = await waitFor('n1 switched to a new key', () => {
      const w = nodeObject(lab, 'n1').spec.wireGuard;
      return w.publicKey !== oldKey && w.nextPublicKey === undefined ? w.publicKey : undefined;
    });
    for (const i of [2, 3]) {
      const n = lab.get(i);
      await waitFor(`${n.name} has only n1's new key, owning 10.1.0.0/24`, () => {
        const peers = dump(n).peers;
        return peers.some((p) => p.publicKey === newKey && p.allowedIPs.join() === '10.1.0.0/24') && !peers.some((p) => p.publicKey === oldKey);
      });
    }
    assert.equal(dump(n1).iface.publicKey, newKey);
    const results = await Promise.all(transfers);
    for (const r of results) assert.equal(r.ok, true, String(r.error));
    assert.ok(n1.agentLog.some((l) => l.includes('every peer had acknowledged')));
    // The new key is really in use: fresh handshakes with it on both peers.
    for (const i of [2, 3]) assert.ok(dump(lab.get(i)).peers.find((p) => p.publicKey === newKey)!.latestHandshake > 0);
  });

  it('key rotation on a schedule, also during a transfer', async () => {
    const n3 = lab.get(3);
    const oldKey = dump(n3).iface.publicKey!;
    await lab.stopAgent(3);
    const m = marker('scheduled');
    const transfer = lab.traffic(2, ['transfer', n3.podIP, String(ECHO_PORT), String(2 * 1024 * 1024), m, '6000']);
    // The key file is older than 1 s by now, so the restarted agent rotates at once.
    await lab.startAgent(3, ['--rotate-every-s', '1']);
    await waitFor('n3 rotated on schedule', () => nodeObject(lab, 'n3').spec.wireGuard.publicKey !== oldKey);
    await lab.stopAgent(3);
    await lab.startAgent(3);
    const r = await transfer;
    assert.equal(r.ok, true, String(r.error));
    await waitFor('peers follow n3', () => [1, 2].every((i) => dump(lab.get(i)).peers.some((p) => p.publicKey === dump(n3).iface.publicKey && p.allowedIPs.join() === '10.3.0.0/24')));
  });

  it('strict mode drops and counts a deliberately unencrypted path (and without it, that path leaks)', async () => {
    const n1 = lab.get(1);
    await lab.stopAgent(1);
    await lab.startAgent(1, ['--strict']);
    assert.equal(strictDrops(n1), 0);
    // Break the tunnel path for node 2's pods while the agent is down (so it
    // cannot repair it): traffic now falls back to the native, plaintext route.
    await lab.stopAgent(1);
    n1.node.exec('ip', ['route', 'del', '10.2.0.0/24', 'dev', n1.ifname]);
    assert.match(n1.node.exec('ip', ['route', 'get', '10.2.0.2', 'from', '10.1.0.2', 'iif', 'pod0']), /via 192\.168\.77\.2 dev eth0/);

    let cap = await lab.capture('strict');
    const m = marker('strict');
    const [udp, viaTunnel] = await Promise.all([
      lab.traffic(1, ['udp', lab.get(2).podIP, String(ECHO_PORT), '20', m]),
      // Node 3 is still behind the tunnel: proof the capture was recording.
      lab.traffic(1, ['transfer', lab.get(3).podIP, String(ECHO_PORT), String(100_000), m, '1000']),
    ]);
    let pkts = await cap.stop();
    assert.equal(udp.ok, true, String(udp.error));
    assert.equal(viaTunnel.ok, true, String(viaTunnel.error));
    assert.ok(pkts.some((p) => p.proto === 'udp' && p.dport === WG_PORT), 'the capture recorded the tunnel traffic to node 3');
    assert.ok(strictDrops(n1) >= 20, `strict drops counted: ${strictDrops(n1)}`);
    assert.ok(!hasMarker(pkts, m), 'strict mode: the marker never reaches the underlay');
    // The status command reports the drops (even with the agent down: it reads the live counter).
    const st = spawnSync('ip', ['netns', 'exec', n1.node.netns, process.execPath, NODEMESH_BIN, 'encryption', 'status', '--state-dir', n1.stateDir, '--json'], { encoding: 'utf8' });
    assert.equal(st.status, 0, st.stderr);
    const status = JSON.parse(st.stdout) as { strict: boolean; strictDrops?: { packets: number } };
    assert.equal(status.strict, true);
    assert.ok((status.strictDrops?.packets ?? 0) >= 20, `status shows the drops: ${st.stdout}`);
    assert.deepEqual(notWireGuard(pkts).map(describePkt), []);

    // Control: the same path without strict mode really is unencrypted.
    n1.node.exec('nft', ['delete', 'table', 'inet', 'nodemesh_encryption']);
    cap = await lab.capture('strict-off');
    const m2 = marker('leak');
    assert.equal((await lab.traffic(1, ['udp', lab.get(2).podIP, String(ECHO_PORT), '5', m2])).ok, true);
    pkts = await cap.stop();
    assert.ok(hasMarker(pkts, m2), 'without strict mode the broken path leaks the marker');

    // The agent comes back: tunnel route restored, strict rules back, traffic encrypted again.
    await lab.startAgent(1, ['--strict']);
    await waitFor('tunnel route restored', () => tunnelRoutes(n1).some((r) => r.dst === '10.2.0.0/24'));
    cap = await lab.capture('strict-restored');
    const m3 = marker('restored');
    const r = await lab.traffic(1, ['transfer', lab.get(2).podIP, String(ECHO_PORT), String(200_000), m3, '1000']);
    pkts = await cap.stop();
    assert.equal(r.ok, true, String(r.error));
    assert.ok(!hasMarker(pkts, m3));
    assert.deepEqual(notWireGuard(pkts).map(describePkt), []);
    const s = spawnSync('ip', ['netns', 'exec', n1.node.netns, process.execPath, NODEMESH_BIN, 'encryption', 'status', '--state-dir', n1.stateDir], { encoding: 'utf8' });
    assert.match(s.stdout, /^strict mode: on, 0 packets/m, 'a fresh table after the control step');
  });
});

// BpfAuthMap under the real AuthManager: two nodes on loopback, each with its
// own pinned auth maps (a pin root per node, as on two machines). Asserts
// from the pins themselves (fresh file descriptors, raw codecs), not through
// the map under test: entries the manager writes are there with the right
// ids, CLOCK_BOOTTIME expiry and serials; expiry hides and gc removes them;
// revocation deletes them. Needs root, bpffs and the built objects; skips
// with the reason otherwise. Pin roots are named nmlab-<pid>-… so a crashed
// run's pins are removed by the lab's leftover sweep.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AuthDatapath, AUTH_MAPS, bootTimeNs } from '../../../bpf/sockmap/src/auth-map.js';
import { AUTH_CONN_INFO, AUTH_CONN_KEY, AUTH_INFO, AUTH_KEY, NAME } from '../../../bpf/sockmap/src/auth-structs.js';
import { detach } from '../../../bpf/sockmap/src/loader.js';
import { BpfMap } from '../../../bpf/sockmap/src/maps.js';
import { BPFFS, DEFAULT_OBJECTS_DIR, isBpffs, objectsMissing } from '../../../bpf/sockmap/src/preflight.js';
import { createLogger } from '../../../xds-server/src/log.js';
import { X509Authority } from '../certs/authority.js';
import { EmbeddedCertificateProvider } from '../certs/embedded.js';
import { TrustStore } from '../certs/trust.js';
import { AuthServer } from '../handshake/server.js';
import { AuthManager } from '../manager.js';
import { workloadSpiffeId } from '../spiffe/id.js';
import { serialOf } from '../testing/fixtures.js';
import { BpfAuthMap } from './bpf.js';
import type { AuthKey } from './types.js';

const skip =
  process.getuid?.() !== 0
    ? 'needs root (BPF maps)'
    : !existsSync(BPFFS) || !isBpffs(BPFFS)
      ? `bpffs is not mounted at ${BPFFS}`
      : objectsMissing(DEFAULT_OBJECTS_DIR, ['auth_ingress']);
if (skip) console.log(`# SKIPPED BpfAuthMap tests: ${skip}`);

const TD = 'cluster.local';
const L = workloadSpiffeId(TD, 'shop', 'frontend');
const R = workloadSpiffeId(TD, 'shop', 'reviews');
const silent = createLogger({ write: () => {} });

/** The raw pinned nm_auth entry for `key`, read through a fresh fd and the pinned id tables. */
function rawEntry(pinRoot: string, key: AuthKey) {
  const open = (m: string) => BpfMap.openPinned(join(pinRoot, 'maps', m));
  const ids = open('nm_identities');
  const nodes = open('nm_nodes');
  const auth = open('nm_auth');
  try {
    const idOf = (table: BpfMap, name: string) => {
      for (const k of table.keys()) if (NAME.decode(table.lookup(k)!) === name) return k.readUInt32LE(0);
      return undefined;
    };
    const localId = idOf(ids, key.localIdentity);
    const remoteId = idOf(ids, key.remoteIdentity);
    const remoteNode = idOf(nodes, key.remoteNode);
    if (localId === undefined || remoteId === undefined || remoteNode === undefined) return undefined;
    const v = auth.lookup(AUTH_KEY.encode({ localId, remoteId, remoteNode, authType: 1 }));
    return v && { ids: { localId, remoteId, remoteNode }, info: AUTH_INFO.decode(v) };
  } finally {
    ids.close();
    nodes.close();
    auth.close();
  }
}

describe('BpfAuthMap: the AuthManager writing through the pinned nm_auth map', { skip }, () => {
  const pinA = join(BPFFS, `nmlab-${process.pid}-authmap-a`);
  const pinB = join(BPFFS, `nmlab-${process.pid}-authmap-b`);
  const closers: (() => Promise<void> | void)[] = [];
  let mapA: BpfAuthMap;
  let mapB: BpfAuthMap;
  let managerA: AuthManager;
  let providerA: EmbeddedCertificateProvider;
  let providerB: EmbeddedCertificateProvider;
  let wallShift = 0;

  before(async () => {
    for (const p of [pinA, pinB]) detach(p);
    closers.push(() => detach(pinA), () => detach(pinB));
    const authority = await X509Authority.createEmbedded({ trustDomain: TD });
    const trust = new TrustStore(TD);
    trust.setBundle(TD, authority.bundlePem);
    const ports = new Map<string, number>();
    const make = async (name: string, pinRoot: string) => {
      const provider = new EmbeddedCertificateProvider({ authority, trust, logger: silent });
      const map = BpfAuthMap.open(pinRoot);
      const server = new AuthServer({ nodeName: name, provider, trust, authMap: map, logger: silent });
      ports.set(name, (await server.listen(0, '127.0.0.1')).port);
      const manager = new AuthManager({
        nodeName: name, provider, trust, authMap: map, logger: silent, gcIntervalMs: 0,
        now: () => Date.now() + wallShift,
        resolveNode: (n) => (ports.has(n) ? { host: '127.0.0.1', port: ports.get(n)! } : undefined),
      });
      manager.start();
      closers.unshift(async () => {
        await manager.stop();
        await provider.close();
        await server.close();
        map.datapath.close();
      });
      return { provider, map, manager };
    };
    const a = await make('node-a', pinA);
    const b = await make('node-b', pinB);
    await a.provider.addIdentity(L);
    await b.provider.addIdentity(R);
    mapA = a.map;
    mapB = b.map;
    managerA = a.manager;
    providerA = a.provider;
    providerB = b.provider;
  });
  after(async () => {
    for (const c of closers) await c();
    assert.ok(!existsSync(pinA) && !existsSync(pinB), 'pins removed');
  });

  test('the maps are pinned by name, with the layout of auth_map.h', () => {
    for (const m of AUTH_MAPS) assert.ok(existsSync(join(pinA, 'maps', m)), m);
    const auth = BpfMap.openPinned(join(pinA, 'maps', 'nm_auth'));
    try {
      assert.equal(auth.info.keySize, AUTH_KEY.size);
      assert.equal(auth.info.valueSize, AUTH_INFO.size);
      assert.equal(auth.info.type, 1, 'BPF_MAP_TYPE_HASH');
    } finally {
      auth.close();
    }
  });

  test("a handshake's entries are in both nodes' pinned maps: ids, boot-time expiry, serials, role", async () => {
    const d = await managerA.authenticate({ localIdentity: L, remoteIdentity: R, remoteNode: 'node-b' });
    assert.ok(d.allowed, JSON.stringify(d));
    const keyA: AuthKey = { localIdentity: L, remoteIdentity: R, remoteNode: 'node-b', authType: 'spiffe-mtls' };
    const entry = await mapA.get(keyA, Date.now());
    assert.ok(entry);
    const raw = rawEntry(pinA, keyA);
    assert.ok(raw, 'the initiator entry is in node-a pins');
    assert.ok(raw.ids.localId > 0 && raw.ids.remoteId > 0 && raw.ids.localId !== raw.ids.remoteId && raw.ids.remoteNode > 0);
    assert.equal(raw.info.role, 'initiator');
    assert.equal(raw.info.expiresMs, entry.expiresAt);
    assert.equal(raw.info.localSerial, serialOf(providerA.getSvid(L)!.certPem));
    assert.equal(raw.info.remoteSerial, serialOf(providerB.getSvid(R)!.certPem));
    // Boot-time expiry: what is left of the wall-clock lifetime, ± 2 s of scheduling.
    const leftNs = raw.info.expiresBootNs - bootTimeNs();
    const wantNs = BigInt(entry.expiresAt - Date.now()) * 1_000_000n;
    assert.ok(leftNs > 0n && (leftNs - wantNs < 0n ? wantNs - leftNs : leftNs - wantNs) < 2_000_000_000n, `boot expiry off by ${leftNs - wantNs} ns`);
    const rawB = rawEntry(pinB, { localIdentity: R, remoteIdentity: L, remoteNode: 'node-a', authType: 'spiffe-mtls' });
    assert.ok(rawB, 'the responder entry is in node-b pins');
    assert.equal(rawB.info.role, 'responder');
    // The ids are the pins': a second opener (the bpf agent, a restarted auth agent) sees the same.
    const other = AuthDatapath.open(pinA);
    try {
      assert.equal(other.identityId(L), raw.ids.localId);
      assert.equal(other.nodeId('node-b'), raw.ids.remoteNode);
      assert.equal(other.spiffeId(raw.ids.remoteId), R);
      const again = new BpfAuthMap({ datapath: other });
      assert.deepEqual(await again.list(), await mapA.list(), 'list() is whole from the pin alone');
    } finally {
      other.close();
    }
  });

  test('an expired entry: invisible to get(), past in CLOCK_BOOTTIME, removed by gc from the pin', async () => {
    const key: AuthKey = { localIdentity: L, remoteIdentity: workloadSpiffeId(TD, 'shop', 'short'), remoteNode: 'node-b', authType: 'spiffe-mtls' };
    const now = Date.now();
    await mapA.set({ ...key, expiresAt: now + 300, authenticatedAt: now, role: 'initiator', localSerial: 'aa', remoteSerial: 'bb' });
    assert.ok(await mapA.get(key, Date.now()));
    assert.ok(rawEntry(pinA, key)!.info.expiresBootNs > bootTimeNs(), 'not expired for the programs yet');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await mapA.get(key, Date.now()), undefined);
    assert.ok(rawEntry(pinA, key)!.info.expiresBootNs <= bootTimeNs(), 'expired for the programs (bpf_ktime_get_boot_ns)');
    // The manager's own view: two hours on, the handshake entry has expired too, and its gc empties the pin.
    wallShift = 2 * 3600_000;
    try {
      assert.equal(await managerA.gc(), 2);
      assert.equal(rawEntry(pinA, key), undefined);
      assert.equal(rawEntry(pinA, { localIdentity: L, remoteIdentity: R, remoteNode: 'node-b', authType: 'spiffe-mtls' }), undefined);
    } finally {
      wallShift = 0;
    }
  });

  test("a per-connection handshake: the responder's nm_auth_conn entry for exactly the tuple (raw pin), no pair entry; gc removes it", async () => {
    const tuple = { sourceAddress: '10.0.2.10', sourcePort: 40001, destinationAddress: '10.0.1.10', destinationPort: 8080 };
    const pairsB = (await mapB.list()).length;
    const d = await managerA.authenticateConnection({ localIdentity: L, remoteIdentity: R, remoteNode: 'node-b' }, tuple);
    assert.ok(d.allowed, JSON.stringify(d));
    const conn = BpfMap.openPinned(join(pinB, 'maps', 'nm_auth_conn'));
    try {
      assert.equal(conn.info.type, 9, 'BPF_MAP_TYPE_LRU_HASH');
      assert.deepEqual(conn.keys().map((k) => AUTH_CONN_KEY.decode(k)), [{ saddr: '10.0.2.10', daddr: '10.0.1.10', sport: 40001, dport: 8080 }]);
      const raw = AUTH_CONN_INFO.decode(conn.lookup(conn.keys()[0]!)!);
      assert.equal(raw.boundSyn, 0n, 'unbound until its SYN arrives');
      assert.equal(raw.expiresMs, d.entry.expiresAt);
      assert.ok(raw.expiresBootNs > bootTimeNs());
      assert.equal(mapB.datapath.spiffeId(raw.localId), R);
      assert.equal(mapB.datapath.spiffeId(raw.remoteId), L);
      assert.equal(mapB.datapath.nodeName(raw.remoteNode), 'node-a');
    } finally {
      conn.close();
    }
    assert.equal((await mapB.list()).length, pairsB, 'no pair entry written for a connection');
    assert.deepEqual(await mapA.listConnections(), [], 'the initiator caches nothing');
    const [e] = await mapB.listConnections();
    assert.deepEqual([e?.tuple, e?.localIdentity, e?.remoteIdentity, e?.remoteNode], [tuple, R, L, 'node-a']);
    assert.ok(await mapB.getConnection(tuple, Date.now()));
    assert.equal(await mapB.getConnection({ ...tuple, sourcePort: 40002 }, Date.now()), undefined);
    // A renewal (the connection is open) keeps the binding to its SYN; a new handshake for the tuple starts unbound.
    const ids = { localId: mapB.datapath.identityId(R), remoteId: mapB.datapath.identityId(L), remoteNode: mapB.datapath.nodeId('node-a') };
    const k = { saddr: tuple.sourceAddress, daddr: tuple.destinationAddress, sport: tuple.sourcePort, dport: tuple.destinationPort };
    mapB.datapath.setConn(k, { ...mapB.datapath.getConn(k)!, boundSyn: (1n << 32n) | 42n });
    await mapB.setConnection({ ...e!, expiresAt: e!.expiresAt + 1000, renewal: true });
    assert.deepEqual([mapB.datapath.getConn(k)?.boundSyn, mapB.datapath.getConn(k)?.expiresMs, mapB.datapath.getConn(k)?.localId], [(1n << 32n) | 42n, e!.expiresAt + 1000, ids.localId]);
    await mapB.setConnection({ ...e!, expiresAt: e!.expiresAt });
    assert.equal(mapB.datapath.getConn(k)?.boundSyn, 0n);
    assert.equal(await mapB.gc(e!.expiresAt), 1 + pairsB);
    assert.deepEqual(await mapB.listConnections(), []);
  });

  test('revocation deletes the entries from the pin', async () => {
    const keyA: AuthKey = { localIdentity: L, remoteIdentity: R, remoteNode: 'node-b', authType: 'spiffe-mtls' };
    assert.ok((await managerA.authenticate({ localIdentity: L, remoteIdentity: R, remoteNode: 'node-b' })).allowed);
    assert.ok(rawEntry(pinA, keyA));
    providerB.removeIdentity(R); // revokes R's serial in the shared trust store
    await managerA.idle();
    assert.equal(rawEntry(pinA, keyA), undefined, 'deleted on node-a (revoked peer)');
    assert.equal(rawEntry(pinB, { localIdentity: R, remoteIdentity: L, remoteNode: 'node-a', authType: 'spiffe-mtls' }), undefined, 'deleted on node-b (removed identity)');
    assert.deepEqual(await mapA.list(), []);
  });
});

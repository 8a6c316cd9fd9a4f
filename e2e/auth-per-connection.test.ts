// Issue #6's per-connection mode end to end on real TCP in the netns lab:
// reviews (n1) requires per-connection authentication on TCP 8080 (MeshPolicy
// authentication.scope: connection) and cache (n1) on 6379 (NetworkPolicy
// nodemesh.io/mtls: required-per-connection); reviews 8081 stays per pair.
// Every connection from frontend (n2) to a per-connection port is steered to
// n2's gate, which picks the upstream source port, authenticates that very
// 4-tuple with n1's auth service (n1 writes an nm_auth_conn entry for it
// before answering ok) and connects from exactly that port.
//
// Asserted from the receiving workload's reports, the flow logs, the agents'
// status, the pinned maps and the programs' counters:
// - N new connections: N held, N handshakes, each echoed, one nm_auth_conn
//   entry per connection (bound to its SYN), no pair entry anywhere;
// - a pair port next to it works as before (one handshake, then straight);
// - with valid pair entries for the identity pair on both nodes, a
//   per-connection port still holds every connection;
// - a connection that bypasses the gate (a process of frontend's address
//   outside the mesh cgroup, so no connect hook) gets nothing delivered on
//   the per-connection port although n1 holds a valid pair entry — which does
//   let the same raw connection through on the pair port;
// - a closed connection's tuple, reused by a raw connection, is refused:
//   the entry is bound to the first connection's SYN.
// Needs root, cgroup v2 and the built objects; skips with the reason otherwise.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_OBJECTS_DIR, objectsMissing } from '../bpf/sockmap/src/preflight.js';
import { AuthLab, spiffe, type AuthLabWorkload, type LabClient } from './lab/auth-lab.js';
import type { Lines } from './lab/json-lines.js';
import { respCommand } from './lab/auth-workloads.js';
import { labUnavailable } from './lab/lab.js';

const skip = labUnavailable() ?? objectsMissing(DEFAULT_OBJECTS_DIR, ['auth_ingress', 'auth_connect4']);
if (skip) console.log(`# SKIPPED auth per-connection e2e: ${skip}`);

const REVIEWS = '10.244.1.10';
const CACHE = '10.244.1.11';
const FRONTEND = '10.244.2.10';

const WORKLOADS: AuthLabWorkload[] = [
  { name: 'reviews-1', sa: 'reviews', address: REVIEWS, node: 'n1', app: 'reviews' },
  { name: 'cache-1', sa: 'cache', address: CACHE, node: 'n1', app: 'cache' },
  { name: 'frontend-1', sa: 'frontend', address: FRONTEND, node: 'n2', app: 'frontend' },
];
const POLICIES = `apiVersion: nodemesh.io/v1alpha1
kind: MeshPolicy
metadata: { name: reviews-per-connection, namespace: shop }
spec:
  endpointSelector: { matchLabels: { app: reviews } }
  ingress:
    - fromEndpoints: [{ matchLabels: { app: frontend } }]
      toPorts: [{ ports: [{ port: "8080", protocol: TCP }, { port: "8082", protocol: TCP }] }]
      authentication: { mode: required, scope: connection }
    - fromEndpoints: [{ matchLabels: { app: frontend } }]
      toPorts: [{ ports: [{ port: "8081", protocol: TCP }] }]
      authentication: { mode: required }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: cache-per-connection
  namespace: shop
  annotations: { nodemesh.io/mtls: required-per-connection }
spec:
  podSelector: { matchLabels: { app: cache } }
  ingress:
    - from: [{ podSelector: { matchLabels: { app: frontend } } }]
      ports: [{ port: 6379, protocol: TCP }]
`;

interface ConnEntry {
  tuple: { saddr: string; daddr: string; sport: number; dport: number };
  info: { boundSyn: bigint; expiresMs: number; localId: number; remoteId: number; remoteNode: number };
}

describe('auth per-connection mode: each connection authenticated, bound to its 4-tuple — real TCP across two lab nodes', { skip }, () => {
  let al: AuthLab;
  let server: Lines;
  let client: LabClient;
  let raw: LabClient;

  before(async () => {
    al = await AuthLab.create({ tag: 'authpc', workloads: WORKLOADS, policies: POLICIES });
    server = await al.startServer(`${REVIEWS}:8080:echo,${REVIEWS}:8081:echo,${REVIEWS}:8082:echo1,${CACHE}:6379:resp`);
    client = await al.startClient('mesh/clients', 'c');
    // Same node, same workload address, but outside the mesh cgroup: nm_auth_connect4 never sees its connects.
    raw = await al.startClient('system/raw', 'r');
  });
  after(() => al?.teardown());

  const accepted = (port: number) => server.lines.filter((l) => l.event === 'accepted' && l.port === port);
  const received = (port: number) => server.lines.filter((l) => l.event === 'data' && l.port === port).reduce((n, l) => n + Number(l.bytes), 0);
  const flows = () => al.n2.auth!.lines.filter((l) => l.msg === 'auth flow');
  const responderOk = () => (al.authStatus(al.n1) as { handshakes: { responderOk: number } }).handshakes.responderOk;
  const conns = (dport: number): ConnEntry[] => al.n1.dp.listConn().filter((c) => c.tuple.saddr === FRONTEND && c.tuple.daddr === REVIEWS && c.tuple.dport === dport);
  const pairEntries = (n: typeof al.n1) => (al.authStatus(n).entries as { localIdentity: string; remoteIdentity: string }[]).filter((e) => [e.localIdentity, e.remoteIdentity].sort().join() === [spiffe('frontend'), spiffe('reviews')].sort().join());

  it('the datapath carries the mode: nm_auth_required says per-connection for 8080 and 6379, required for 8081', () => {
    for (const n of [al.n1, al.n2]) {
      assert.equal(n.dp.portMode(spiffe('reviews'), 8080), 'per-connection');
      assert.equal(n.dp.portMode(spiffe('reviews'), 8081), 'required');
      assert.equal(n.dp.portMode(spiffe('cache'), 6379), 'per-connection');
    }
  });

  it('N new connections: N held, N handshakes, each echoed, one bound nm_auth_conn entry per connection, no pair entry', async () => {
    const N = 5;
    const held = al.count(al.n2, 'auth_connect_held');
    const heldPc = al.count(al.n2, 'auth_connect_held_per_connection');
    const allowed = al.count(al.n1, 'auth_ingress_conn_allowed');
    const hs = responderOk();
    const flowsBefore = flows().length;
    for (let i = 0; i < N; i++) {
      const r = await client.send({ op: 'open', id: `pc${i}`, host: REVIEWS, port: 8080, local: FRONTEND, send: `hello${i}`, expect: `hello${i}` });
      assert.equal(r.result, 'reply', JSON.stringify(r));
      assert.ok(Number(r.ms) < 900, `held, authenticated and echoed in ${String(r.ms)} ms`);
    }
    assert.equal(al.count(al.n2, 'auth_connect_held') - held, BigInt(N));
    assert.equal(al.count(al.n2, 'auth_connect_held_per_connection') - heldPc, BigInt(N));
    assert.equal(responderOk() - hs, N, 'one handshake per connection');
    assert.ok(al.count(al.n1, 'auth_ingress_conn_allowed') - allowed >= BigInt(N * 2), 'SYN and data of each went through nm_auth_conn');
    // The echoes can reach the client before the receiver's reports reach this process (two pipes).
    await server.wait(() => accepted(8080).length >= N, 10_000);
    const acc = accepted(8080);
    assert.equal(acc.length, N);
    assert.ok(acc.every((a) => a.remote === FRONTEND));
    // The receiver saw each connection from the port the gate authenticated, and holds a bound entry for exactly that tuple.
    const entries = conns(8080);
    for (const a of acc) {
      const e = entries.find((c) => c.tuple.sport === a.remotePort);
      assert.ok(e, `an nm_auth_conn entry for ${FRONTEND}:${String(a.remotePort)} → ${REVIEWS}:8080 (${JSON.stringify(entries.map((c) => c.tuple))})`);
      assert.ok(e.info.boundSyn > 0n, 'bound to its SYN');
      assert.ok(e.info.expiresMs > Date.now());
      assert.equal(al.n1.dp.spiffeId(e.info.localId), spiffe('reviews'));
      assert.equal(al.n1.dp.spiffeId(e.info.remoteId), spiffe('frontend'));
      assert.equal(al.n1.dp.nodeName(e.info.remoteNode), 'n2');
    }
    assert.equal(entries.length, N);
    assert.equal((al.authStatus(al.n1) as { connections: number }).connections, N, 'nodemesh auth status counts them');
    // The flow log: per connection, with the tuple the receiver saw.
    const fl = flows().slice(flowsBefore);
    assert.equal(fl.length, N);
    for (const f of fl) {
      assert.equal(f.verdict, 'forwarded');
      assert.equal(f.scope, 'connection');
      assert.equal(f.source, 'handshake');
      assert.equal(f.remoteIdentity, spiffe('reviews'));
      assert.match(String(f.connection), new RegExp(`^${FRONTEND.replace(/\./g, '\\.')}:(\\d+)>${REVIEWS.replace(/\./g, '\\.')}:8080$`));
      assert.ok(acc.some((a) => String(f.connection).startsWith(`${FRONTEND}:${String(a.remotePort)}>`)));
    }
    assert.deepEqual(pairEntries(al.n1), [], 'no pair entry on the receiver');
    assert.deepEqual(pairEntries(al.n2), [], 'no pair entry on the initiator');
    // Still usable.
    assert.equal((await client.send({ op: 'send', id: 'pc0', send: 'more', expect: 'more' })).result, 'reply');
  });

  it('concurrent new connections: every one its own handshake', async () => {
    const hs = responderOk();
    const held = al.count(al.n2, 'auth_connect_held_per_connection');
    const r = await client.send({ op: 'burst', id: 'burst', host: REVIEWS, port: 8080, locals: [FRONTEND], perLocal: 40, send: 'b', expect: 'b', timeoutMs: 20_000 });
    assert.deepEqual(r.outcomes, { reply: 40 }, JSON.stringify(r));
    assert.equal(responderOk() - hs, 40);
    assert.equal(al.count(al.n2, 'auth_connect_held_per_connection') - held, 40n);
  });

  it('a Redis-like protocol to a NetworkPolicy with nodemesh.io/mtls: required-per-connection', async () => {
    const hs = responderOk();
    for (const id of ['resp1', 'resp2']) {
      const r = await client.send({ op: 'open', id, host: CACHE, port: 6379, local: FRONTEND, send: respCommand('SET', 'k', id) + respCommand('GET', 'k'), expect: `$5\r\n${id}\r\n` });
      assert.equal(r.result, 'reply', JSON.stringify(r));
    }
    assert.equal(responderOk() - hs, 2);
    assert.equal(flows().filter((f) => f.dst === `${CACHE}:6379` && f.scope === 'connection' && f.verdict === 'forwarded').length, 2);
  });

  it('the pair port next to it: one handshake, then straight (pair mode unchanged); now both nodes hold pair entries', async () => {
    const direct = al.count(al.n2, 'auth_connect_authenticated');
    const hs = responderOk();
    assert.equal((await client.send({ op: 'open', id: 'pair1', host: REVIEWS, port: 8081, local: FRONTEND, send: 'p1', expect: 'p1' })).result, 'reply');
    assert.equal((await client.send({ op: 'open', id: 'pair2', host: REVIEWS, port: 8081, local: FRONTEND, send: 'p2', expect: 'p2' })).result, 'reply');
    assert.equal(responderOk() - hs, 1);
    assert.equal(al.count(al.n2, 'auth_connect_authenticated') - direct, 1n);
    assert.equal(flows().filter((f) => f.dst === `${REVIEWS}:8081`)[0]?.scope, 'pair');
    assert.equal(pairEntries(al.n1).length, 1);
    assert.equal(pairEntries(al.n2).length, 1);
  });

  it('with valid pair entries on both nodes, a per-connection port still holds every connection (never the pair fast path)', async () => {
    assert.equal(pairEntries(al.n2).length, 1);
    const held = al.count(al.n2, 'auth_connect_held_per_connection');
    const direct = al.count(al.n2, 'auth_connect_authenticated');
    const hs = responderOk();
    assert.equal((await client.send({ op: 'open', id: 'afterpair', host: REVIEWS, port: 8080, local: FRONTEND, send: 'ap', expect: 'ap' })).result, 'reply');
    assert.equal(al.count(al.n2, 'auth_connect_held_per_connection') - held, 1n);
    assert.equal(al.count(al.n2, 'auth_connect_authenticated'), direct);
    assert.equal(responderOk() - hs, 1);
  });

  it('a connection that bypasses the gate gets nothing delivered on the per-connection port, though a pair entry is valid (which lets it through on the pair port)', async () => {
    assert.equal(pairEntries(al.n1).length, 1, 'n1 holds a valid pair entry reviews ← frontend');
    const acc = accepted(8080).length;
    const bytes = received(8080);
    const drops = al.count(al.n1, 'auth_drop_no_conn_entry');
    const r = await raw.send({ op: 'open', id: 'bypass', host: REVIEWS, port: 8080, local: FRONTEND, send: 'sneak', expect: 'sneak', connectTimeoutMs: 1500 });
    assert.equal(r.result, 'timeout', JSON.stringify(r));
    assert.equal(accepted(8080).length, acc, 'the receiver accepted nothing');
    assert.equal(received(8080), bytes, 'and received nothing');
    assert.ok(al.count(al.n1, 'auth_drop_no_conn_entry') > drops, 'dropped by nm_auth_ingress: no nm_auth_conn entry for its tuple');
    // The same raw path on the pair port is let through by the pair entry: the per-connection port is what refused it.
    const ok = await raw.send({ op: 'open', id: 'bypass-pair', host: REVIEWS, port: 8081, local: FRONTEND, send: 'ok', expect: 'ok', connectTimeoutMs: 3000 });
    assert.equal(ok.result, 'reply', JSON.stringify(ok));
  });

  it("a closed connection's tuple, reused by another connection, is refused: the entry is bound to the first one's SYN", async () => {
    // 8082 (per connection) closes from the receiver's side after one echo, so the initiator's node keeps no TIME_WAIT for the tuple.
    const r = await client.send({ op: 'open', id: 'once', host: REVIEWS, port: 8082, local: FRONTEND, send: 'one', expect: 'one' });
    assert.equal(r.result, 'reply', JSON.stringify(r));
    const first = await server.wait((l) => l.event === 'accepted' && l.port === 8082, 5000);
    await server.wait(() => received(8082) >= 3, 5000);
    const sport = Number(first.remotePort);
    const e = conns(8082).find((c) => c.tuple.sport === sport);
    assert.ok(e && e.info.boundSyn > 0n && e.info.expiresMs > Date.now(), 'its entry is still there, unexpired and bound');
    await new Promise((res) => setTimeout(res, 300));
    const reused = al.count(al.n1, 'auth_drop_conn_reused');
    const bytes = received(8082);
    const again = await raw.send({ op: 'open', id: 'reuse', host: REVIEWS, port: 8082, local: FRONTEND, localPort: sport, send: 'two', expect: 'two', connectTimeoutMs: 1500 });
    assert.notEqual(again.result, 'reply', JSON.stringify(again));
    assert.equal(accepted(8082).length, 1, 'no second connection accepted');
    assert.equal(received(8082), bytes);
    assert.ok(al.count(al.n1, 'auth_drop_conn_reused') > reused, `dropped as a reuse (${JSON.stringify(again)})`);
  });

  it('an open connection outlives its first entry: the gate renews it with rotated certificates, the receiver keeps it bound', async () => {
    // Short-lived SVIDs (8 s, rotated at about half-life) on both nodes.
    for (const n of [al.n1, al.n2]) {
      await al.stopAuth(n);
      await al.startAuth(n, ['--svid-ttl-s', '8']);
    }
    const r = await client.send({ op: 'open', id: 'long', host: REVIEWS, port: 8080, local: FRONTEND, send: 'l1', expect: 'l1' });
    assert.equal(r.result, 'reply', JSON.stringify(r));
    const flow = al.n2.auth!.lines.filter((l) => l.msg === 'auth flow' && l.verdict === 'forwarded').at(-1)!;
    const sport = Number(/:(\d+)>/.exec(String(flow.connection))![1]);
    const first = conns(8080).find((c) => c.tuple.sport === sport)!;
    assert.ok(first && first.info.expiresMs - Date.now() < 9000, 'a short entry');
    await new Promise((res) => setTimeout(res, first.info.expiresMs - Date.now() + 2000));
    assert.equal((await client.send({ op: 'send', id: 'long', send: 'l2', expect: 'l2' })).result, 'reply', 'still delivered after the first entry would have expired');
    const now = conns(8080).find((c) => c.tuple.sport === sport)!;
    assert.ok(now.info.expiresMs > first.info.expiresMs, 'renewed on the receiver');
    assert.equal(now.info.boundSyn, first.info.boundSyn, 'still bound to the same SYN');
    assert.ok(al.n2.auth!.lines.some((l) => l.msg === 'auth flow' && l.verdict === 'renewed' && l.connection === flow.connection));
  });
});

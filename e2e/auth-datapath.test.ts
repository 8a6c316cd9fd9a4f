// The receive side of issue #6's datapath on real TCP in the netns lab:
// nm_auth_ingress (bpf/sockmap/src/auth_ingress.bpf.c) attached to node n1's
// mesh cgroup, where a server workload (identity reviews, 10.244.1.10)
// listens on 8080 (auth required, nm_auth_required) and 9090 (not); a client
// workload (identity frontend, 10.244.2.10) in node n2 connects over the
// lab's veth link. `nodemesh bpf agent --auth-datapath` runs for n1 on a
// configuration directory holding both Workloads and a MeshPolicy requiring
// authentication on reviews' TCP 8080: it attaches the program and writes
// nm_ip_identity and nm_auth_required from the model. The entry is written
// through BpfAuthMap, as the auth agent does after a handshake.
//
// What is asserted, from the server's own report of accepted connections
// and received bytes, and from the programs' counters:
// - without an entry the server accepts no connection and receives no byte:
//   the SYN is dropped (auth_drop_no_entry) and the client times out. Only
//   n1 runs an agent here, so nothing holds the connection on n2's side:
//   this is the receive side alone, as an initiator without nodemesh (or a
//   spoofed one) meets it. The held path is e2e/auth-gate.test.ts;
// - the port that requires nothing works without an entry;
// - with the entry written through BpfAuthMap the connection works
//   (auth_ingress_allowed), and a connect already retrying completes on its
//   next SYN retransmit (≈ 1 s: the cost the gate removes on nodemesh nodes);
// - deleting the entry (revocation) stops an established flow's next bytes;
// - removing the MeshPolicy from the directory removes the requirement (the
//   agent resyncs) and the port opens without an entry.
// Needs root, a cgroup v2 hierarchy and the built objects; skips otherwise.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BpfAuthMap } from '../auth/src/authmap/bpf.js';
import type { AuthKey } from '../auth/src/authmap/types.js';
import { AuthDatapath } from '../bpf/sockmap/src/auth-map.js';
import { BpfMap } from '../bpf/sockmap/src/maps.js';
import { DEFAULT_OBJECTS_DIR, objectsMissing } from '../bpf/sockmap/src/preflight.js';
import { readCounter } from '../bpf/sockmap/src/counters.js';
import type { CounterName } from '../bpf/sockmap/src/structs.js';
import { jsonLines, type Lines } from './lab/json-lines.js';
import { Lab, labUnavailable, type LabNode } from './lab/lab.js';
import { NODEMESH, runNodemesh } from './lab/mesh.js';

const skip = labUnavailable() ?? objectsMissing(DEFAULT_OBJECTS_DIR, ['auth_ingress']);
if (skip) console.log(`# SKIPPED auth datapath e2e: ${skip}`);

const SERVER = '10.244.1.10';
const CLIENT = '10.244.2.10';
const S_ID = 'spiffe://cluster.local/ns/shop/sa/reviews';
const C_ID = 'spiffe://cluster.local/ns/shop/sa/frontend';

const WORKLOADS = `apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: reviews-1, namespace: shop }
spec: { address: ${SERVER}, labels: { app: reviews }, serviceAccount: reviews, node: n1 }
---
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: frontend-1, namespace: shop }
spec: { address: ${CLIENT}, labels: { app: frontend }, serviceAccount: frontend, node: n2 }
`;
const POLICY = `apiVersion: nodemesh.io/v1alpha1
kind: MeshPolicy
metadata: { name: reviews-auth, namespace: shop }
spec:
  endpointSelector:
    matchLabels: { app: reviews }
  ingress:
    - fromEndpoints: [{ matchLabels: { app: frontend } }]
      toPorts: [{ ports: [{ port: "8080", protocol: TCP }] }]
      authentication: { mode: required }
`;

// Reports every accepted connection and every received chunk (one JSON line each), echoes.
const SERVER_JS = `
const net = require('node:net');
for (const port of [8080, 9090]) {
  net.createServer((s) => {
    console.log(JSON.stringify({ event: 'accepted', port }));
    s.on('data', (d) => { console.log(JSON.stringify({ event: 'data', port, bytes: d.length })); s.write(d); });
    s.on('error', () => {});
  }).listen(port, process.env.HOST, () => console.log(JSON.stringify({ event: 'listening', port })));
}`;

// Connects from CLIENT to HOST:PORT, sends "one" and waits for its echo; then
// on each stdin line sends that line and waits for its echo. Every outcome is
// a JSON line; a step that gets nothing within TIMEOUT_MS reports timeout.
const CLIENT_JS = `
const net = require('node:net');
const t0 = Date.now();
const timeout = Number(process.env.TIMEOUT_MS);
const say = (o) => console.log(JSON.stringify({ ...o, ms: Date.now() - t0 }));
let timer = setTimeout(() => { say({ step: 'connect', result: 'timeout' }); process.exit(0); }, timeout);
const s = net.connect({ host: process.env.HOST, port: Number(process.env.PORT), localAddress: process.env.LOCAL });
s.on('error', (e) => { say({ step: 'error', result: e.code }); process.exit(0); });
let waiting = 'one';
s.on('connect', () => { clearTimeout(timer); say({ step: 'connect', result: 'ok' }); send('one'); });
function send(p) {
  waiting = p; s.write(p);
  timer = setTimeout(() => say({ step: p, result: 'timeout' }), timeout);
}
let got = '';
s.on('data', (d) => { got += d; if (got.endsWith(waiting)) { clearTimeout(timer); say({ step: waiting, result: 'echoed' }); got = ''; } });
require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => l === 'exit' ? process.exit(0) : send(l));`;

describe('auth datapath, receive side: nm_auth_ingress on real TCP in the lab', { skip }, () => {
  let lab: Lab;
  let n1: LabNode;
  let n2: LabNode;
  let server: Lines;
  let dp: AuthDatapath;
  let authMap: BpfAuthMap;
  let counters: BpfMap;
  let agent: Lines;
  let configDir: string;
  const entryKey: AuthKey = { localIdentity: S_ID, remoteIdentity: C_ID, remoteNode: 'n2', authType: 'spiffe-mtls' };

  before(async () => {
    lab = Lab.create('authdp');
    n1 = lab.addNode('n1');
    n2 = lab.addNode('n2');
    const link = lab.link(n1, n2);
    n1.addLocalAddresses([SERVER]);
    n2.addLocalAddresses([CLIENT]);
    n1.route(`${CLIENT}/32`, link.b);
    n2.route(`${SERVER}/32`, link.a);
    configDir = mkdtempSync(join(tmpdir(), 'nm-authdp-'));
    writeFileSync(join(configDir, 'workloads.yaml'), WORKLOADS);
    writeFileSync(join(configDir, 'policy.yaml'), POLICY);
    const child = spawn(
      NODEMESH,
      ['bpf', 'agent', '--cgroup', n1.cgroupDir, '--pin-root', lab.pinRoot, '--config', configDir, '--mesh-cgroup', n1.cgroup('mesh'), '--admin', 'off', '--auth-datapath'],
      { stdio: ['ignore', 'inherit', 'pipe'] },
    );
    lab.children.add(child);
    agent = jsonLines(child, child.stderr!);
    const attached = await agent.wait((l) => l.msg === 'auth datapath attached', 60_000);
    assert.deepEqual(attached.links, [
      { program: 'nm_auth_ingress', cgroup: n1.cgroup('mesh'), link: 'created' },
      { program: 'nm_auth_connect4', cgroup: n1.cgroup('mesh'), link: 'created' },
    ]);
    const synced = await agent.wait((l) => l.msg === 'auth datapath synced', 30_000);
    assert.equal(synced.identities, 2);
    assert.equal(synced.requirements, 1, JSON.stringify(synced));
    dp = AuthDatapath.open(lab.pinRoot);
    authMap = new BpfAuthMap({ datapath: dp });
    counters = BpfMap.openPinned(join(lab.pinRoot, 'maps', 'nm_counters'));
    // What the agent wrote, read back by name through the shared id tables.
    assert.deepEqual(dp.requirements(), [{ identityId: dp.identityId(S_ID), port: 8080 }]);
    assert.deepEqual(
      dp.ipIdentities().sort((a, b) => a.address.localeCompare(b.address)),
      [
        { address: SERVER, identity: { identityId: dp.identityId(S_ID), nodeId: dp.nodeId('n1') } },
        { address: CLIENT, identity: { identityId: dp.identityId(C_ID), nodeId: dp.nodeId('n2') } },
      ],
    );
    server = jsonLines(n1.spawn(process.execPath, ['-e', SERVER_JS], { cgroup: 'mesh/reviews', env: { HOST: SERVER } }));
    await server.wait((l) => l.event === 'listening' && l.port === 8080);
    await server.wait((l) => l.event === 'listening' && l.port === 9090);
  });
  after(() => {
    counters?.close();
    dp?.close();
    lab?.teardown();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  const count = (name: CounterName): bigint => readCounter(counters, name);
  const client = (port: number, timeoutMs: number) => {
    const child = n2.spawn(process.execPath, ['-e', CLIENT_JS], { cgroup: 'mesh/frontend', env: { HOST: SERVER, PORT: String(port), LOCAL: CLIENT, TIMEOUT_MS: String(timeoutMs) } });
    return { child, out: jsonLines(child) };
  };
  const accepted = (port: number) => server.lines.filter((l) => l.event === 'accepted' && l.port === port).length;
  const received = (port: number) => server.lines.filter((l) => l.event === 'data' && l.port === port).reduce((n, l) => n + Number(l.bytes), 0);
  // The echo can reach the client before the server's report of the bytes reaches this process (two
  // pipes): wait for the report before counting on it.
  const receivedAtLeast = async (port: number, n: number) => {
    await server.wait(() => received(port) >= n, 5000);
    return received(port);
  };

  it('without an entry: the SYN is dropped, the server accepts nothing and receives no byte, the client times out', async () => {
    const drops = count('auth_drop_no_entry');
    const c = client(8080, 3000);
    const r = await c.out.wait((l) => l.step === 'connect');
    assert.equal(r.result, 'timeout', 'the initiator sees no SYN-ACK (retransmits, then our timeout): no gate holds it on n2');
    c.child.kill();
    assert.equal(accepted(8080), 0);
    assert.equal(received(8080), 0);
    assert.ok(count('auth_drop_no_entry') - drops >= 2n, `the first SYN and its retransmit(s) dropped (${count('auth_drop_no_entry') - drops})`);
  });

  it('a port that requires no authentication works without an entry', async () => {
    const before = count('auth_ingress_not_required');
    const c = client(9090, 5000);
    assert.equal((await c.out.wait((l) => l.step === 'one')).result, 'echoed');
    c.child.stdin!.write('exit\n');
    assert.equal(await receivedAtLeast(9090, 3), 3);
    assert.equal(accepted(9090), 1);
    assert.ok(count('auth_ingress_not_required') > before);
  });

  it('a connect already retrying completes on its next SYN retransmit once the entry is written through BpfAuthMap', async () => {
    const allowed = count('auth_ingress_allowed');
    const c = client(8080, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(accepted(8080), 0);
    const now = Date.now();
    await authMap.set({ ...entryKey, expiresAt: now + 3600_000, authenticatedAt: now, role: 'responder', localSerial: '0a', remoteSerial: '0b' });
    const r = await c.out.wait((l) => l.step === 'connect');
    assert.equal(r.result, 'ok');
    assert.ok(Number(r.ms) >= 900, `completed at ${String(r.ms)} ms: on a SYN retransmit, not the first SYN`);
    assert.equal((await c.out.wait((l) => l.step === 'one')).result, 'echoed');
    c.child.stdin!.write('exit\n');
    assert.equal(await receivedAtLeast(8080, 3), 3);
    assert.equal(accepted(8080), 1);
    assert.ok(count('auth_ingress_allowed') - allowed >= 3n, 'SYN, ACK and data allowed');
  });

  it('with the entry, new connections work at once; deleting it (revocation) stops the established flow', async () => {
    const c = client(8080, 2000);
    const r = await c.out.wait((l) => l.step === 'connect');
    assert.equal(r.result, 'ok');
    assert.ok(Number(r.ms) < 900, `connected in ${String(r.ms)} ms, no retransmit`);
    assert.equal((await c.out.wait((l) => l.step === 'one')).result, 'echoed');
    const bytes = await receivedAtLeast(8080, 6);
    assert.equal(bytes, 6, 'the earlier connection\'s "one" and this one\'s');
    assert.equal(await authMap.delete(entryKey), true);
    const drops = count('auth_drop_no_entry');
    c.child.stdin!.write('two\n');
    assert.equal((await c.out.wait((l) => l.step === 'two')).result, 'timeout');
    c.child.kill();
    assert.equal(received(8080), bytes, 'not a byte after the entry went');
    assert.ok(count('auth_drop_no_entry') > drops, 'the data segment (and its retransmits) dropped');
  });

  it('removing the MeshPolicy from the directory removes the requirement: the port opens without an entry', async () => {
    assert.equal(await authMap.get(entryKey, Date.now()), undefined, 'no entry (deleted above)');
    const seen = agent.lines.filter((l) => l.msg === 'auth datapath synced').length;
    rmSync(join(configDir, 'policy.yaml'));
    const synced = await agent.wait((l) => l.msg === 'auth datapath synced' && agent.lines.filter((x) => x.msg === 'auth datapath synced').indexOf(l) >= seen);
    assert.equal(synced.requirements, 0);
    assert.equal(synced.requirementsRemoved, 1);
    assert.deepEqual(dp.requirements(), []);
    const before = count('auth_ingress_not_required');
    const c = client(8080, 3000);
    assert.equal((await c.out.wait((l) => l.step === 'one')).result, 'echoed');
    c.child.stdin!.write('exit\n');
    assert.ok(count('auth_ingress_not_required') > before);
  });

  it('nodemesh bpf status shows the auth link, the auth maps and the auth counters', () => {
    const s = JSON.parse(runNodemesh(['bpf', 'status', '--pin-root', lab.pinRoot, '--json'])) as {
      links: { program: string; cgroup?: string; attachType: string }[];
      counters: Record<string, number>;
      auth?: { maps: { name: string; entries: number }[] };
    };
    assert.ok(s.links.some((l) => l.program === 'nm_auth_ingress' && l.cgroup === n1.cgroup('mesh') && l.attachType === 'inet_ingress'), JSON.stringify(s.links));
    const entries = Object.fromEntries((s.auth?.maps ?? []).map((m) => [m.name, m.entries]));
    assert.deepEqual(entries, { nm_auth: 0, nm_ip_identity: 2, nm_identities: 2, nm_nodes: 2, nm_auth_required: 0, nm_auth_gate: 1, nm_auth_tunnel: 1, nm_auth_conn: 0 });
    assert.ok(s.counters.auth_drop_no_entry! >= 2 && s.counters.auth_ingress_allowed! >= 3 && s.counters.auth_ingress_not_required! >= 1, JSON.stringify(s.counters));
    assert.equal(s.counters.auth_drop_unknown_identity, 0);
    const text = runNodemesh(['bpf', 'status', '--pin-root', lab.pinRoot]);
    assert.match(text, /auth maps \(issue #6\):\n  nm_auth +0 \/ 524288/);
    assert.match(text, /auth_drop_no_entry\s+\d+/);
  });
});

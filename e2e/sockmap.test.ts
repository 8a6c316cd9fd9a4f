// eBPF steering (bpf/sockmap, issue #5) on the real kernel, with no
// iptables/nftables rules: a mesh workload's connection to a service VIP is
// redirected by cgroup/connect4 (connect6 for a dual-stack socket) into the
// node proxy (the embedded engine, run as `nodemesh node-proxy` with
// `nodemesh xds-server`), which reads the original destination back with
// getsockopt(SO_ORIGINAL_DST) answered by cgroup/getsockopt, and the local
// hop's bytes move through sk_msg/sockhash. Lab (e2e/lab): node n1 runs
// everything, in one cgroup per role; node n2, joined by veth, hosts one
// backend. The agent is `nodemesh bpf attach`, run again for the restart case;
// cgroup/getpeername4 makes the workload see the VIP as its peer. The second
// suite runs the long-running `nodemesh bpf agent` (see its header).
// Needs root, a cgroup v2 hierarchy and the built objects; skips with the
// reason otherwise.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Steering } from '../bpf/sockmap/src/loader.js';
import { objectsMissing } from '../bpf/sockmap/src/preflight.js';
import type { Counters } from '../bpf/sockmap/src/structs.js';
import { Lab, labUnavailable, type LabNode } from './lab/lab.js';
import { runNodemesh, startBpfAgent, startNodeProxy, startWorkload, startXdsServer, waitHttpOk, type BpfAgent, type WorkloadClient } from './lab/mesh.js';

const skip = labUnavailable() ?? objectsMissing();
if (skip) console.log(`# SKIPPED sockmap e2e: ${skip}`);

// web: HTTP to two local backends; db: TCP echo; legacy: a service whose
// endpoint is another service's VIP:port (10.96.0.20:80), so the proxy's own
// upstream connection goes to a steered address and must not be redirected;
// remote: a backend on a second node, reached over the lab's veth link.
const WEB = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec:
  clusterIP: 10.96.0.20
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: 8080, appProtocol: http }]
---
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: web-1, namespace: default }
spec: { address: 10.244.1.10, labels: { app: web } }
`;
const DB = `apiVersion: v1
kind: Service
metadata: { name: db, namespace: default }
spec:
  clusterIP: 10.96.0.30
  selector: { app: db }
  ports: [{ name: tcp, port: 5432 }]
---
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: db-0, namespace: default }
spec: { address: 10.244.1.20, labels: { app: db } }
`;
const CONFIG = `${WEB}---
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: web-2, namespace: default }
spec: { address: 10.244.1.11, labels: { app: web } }
---
${DB}---
apiVersion: v1
kind: Service
metadata: { name: legacy, namespace: default }
spec:
  clusterIP: 10.96.0.40
  selector: { app: legacy }
  ports: [{ name: http, port: 9000, targetPort: 80, appProtocol: http }]
---
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: legacy-vip, namespace: default }
spec: { address: 10.96.0.20, labels: { app: legacy } }
---
apiVersion: v1
kind: Service
metadata: { name: remote, namespace: default }
spec:
  clusterIP: 10.96.0.50
  selector: { app: remote }
  ports: [{ name: http, port: 80, targetPort: 8080, appProtocol: http }]
---
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: remote-1, namespace: default }
spec: { address: 10.244.2.10, labels: { app: remote } }
`;

interface AttachJson {
  maps: { name: string; reused: boolean }[];
  programs: { name: string; link: 'created' | 'updated' }[];
  services: { added: number; removed: number; unchanged: number };
}

function delta(before: Counters, after: Counters): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(after) as (keyof Counters)[]) {
    const d = Number(after[k] - before[k]);
    if (d) out[k] = d;
  }
  return out;
}

describe('eBPF steering (connect4 + sockops + getsockopt + sk_msg) on the real kernel', { skip }, () => {
  let lab: Lab;
  let node: LabNode;
  let mesh: WorkloadClient;
  let outside: WorkloadClient;
  const dir = mkdtempSync(join(tmpdir(), 'nodemesh-sockmap-'));
  const counters = (): Counters => {
    const s = Steering.open(lab.pinRoot);
    try {
      return s.counters();
    } finally {
      s.close();
    }
  };
  const agent = (): AttachJson => {
    const args = ['bpf', 'attach', '--cgroup', node.cgroupDir, '--pin-root', lab.pinRoot, '--config', dir, '--json'];
    args.push('--mesh-cgroup', node.cgroup('mesh'), '--proxy-cgroup', node.cgroup('proxy'));
    return JSON.parse(runNodemesh(args)) as AttachJson;
  };

  before(async () => {
    writeFileSync(join(dir, 'mesh.yaml'), CONFIG);
    lab = Lab.create('sockmap');
    node = lab.addNode('n1');
    node.addLocalAddresses(['10.244.1.10', '10.244.1.11', '10.244.1.20', '10.96.0.20']);
    const n2 = lab.addNode('n2');
    const link = lab.link(node, n2);
    node.route('10.244.2.0/24', link.b);
    n2.addLocalAddresses(['10.244.2.10']);
    const remote = startWorkload(n2, 'remote', 'backends');
    await remote.send({ op: 'serve-http', host: '10.244.2.10', port: 8080, name: 'remote-1' });
    const backends = startWorkload(node, 'backends', 'backends');
    await backends.send({ op: 'serve-http', host: '10.244.1.10', port: 8080, name: 'web-1' });
    await backends.send({ op: 'serve-http', host: '10.244.1.11', port: 8080, name: 'web-2' });
    await backends.send({ op: 'serve-echo', host: '10.244.1.20', port: 5432 });
    // What answers at the VIP itself when a connection is NOT redirected.
    await backends.send({ op: 'serve-http', host: '10.96.0.20', port: 80, name: 'direct' });
    const socket = join(dir, 'xds.sock');
    startXdsServer(node, { cgroup: 'control', configDir: dir, socket });
    startNodeProxy(node, { cgroup: 'proxy', socket, admin: '127.0.0.1:15000' });
    mesh = startWorkload(node, 'mesh-client', 'mesh/client');
    outside = startWorkload(node, 'outside-client', 'plain/client');
    await waitHttpOk(outside, 'http://127.0.0.1:15000/ready');
    const first = agent();
    assert.ok(first.programs.every((p) => p.link === 'created'), JSON.stringify(first.programs));
    assert.ok(first.maps.every((m) => !m.reused), JSON.stringify(first.maps));
    assert.deepEqual(first.services, { added: 4, removed: 0, unchanged: 0 });
  });

  after(() => {
    lab?.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('no iptables or nftables rules are installed, in the node or on the host', () => {
    for (const where of [node.netns, undefined]) {
      const exec = (cmd: string, args: string[]) =>
        spawnSync(where ? 'ip' : cmd, where ? ['netns', 'exec', where, cmd, ...args] : args, { encoding: 'utf8' });
      const nft = exec('nft', ['list', 'ruleset']);
      if (nft.error) console.log(`# nft not installed (${where ?? 'host'}): no nftables rules possible`);
      else assert.equal(nft.stdout.trim(), '', `nft ruleset in ${where ?? 'host'}`);
      for (const save of ['iptables-save', 'iptables-legacy-save', 'ip6tables-save']) {
        const r = exec(save, []);
        if (r.error) continue;
        assert.deepEqual(r.stdout.split('\n').filter((l) => l.startsWith('-A')), [], `${save} in ${where ?? 'host'}`);
      }
    }
  });

  it('a mesh workload reaches a service VIP through the node proxy, and the local hop uses the sockmap', async () => {
    const c0 = counters();
    const seen: Record<string, number> = {};
    for (let i = 0; i < 20; i++) {
      const r = await mesh.send<{ status: number; body: string }>({ op: 'http', url: `http://10.96.0.20/req-${i}` });
      assert.equal(r.status, 200);
      const [who, path] = r.body.split(' ');
      assert.equal(path, `/req-${i}`);
      seen[who!] = (seen[who!] ?? 0) + 1;
    }
    // Served by the backends through the proxy's web cluster, never by what listens at the VIP.
    assert.deepEqual(Object.keys(seen).sort(), ['web-1', 'web-2'], JSON.stringify(seen));
    const d = delta(c0, counters());
    assert.equal(d.connect_redirected, 20, JSON.stringify(d));
    assert.equal(d.sockops_pair_stored, 20, JSON.stringify(d));
    assert.equal(d.getsockopt_answered, 20, JSON.stringify(d));
    assert.equal(d.sockops_sockhash_added, 40, `both local sockets of each connection: ${JSON.stringify(d)}`);
    // At least every response (proxy → workload) went socket to socket.
    assert.ok((d.msg_redirect_hit ?? 0) >= 20, JSON.stringify(d));
    assert.equal(d.connect_orig_store_failed, undefined);
    assert.equal(d.sockops_sockhash_failed, undefined);
  });

  it('a dual-stack IPv6 socket dialing the service as ::ffff:VIP is steered the same way (connect6)', async () => {
    const c0 = counters();
    const opened = await mesh.send<{ remoteAddress: string; remotePort: number }>({ op: 'open', conn: 'db6', host: '::ffff:10.96.0.30', port: 5432 });
    // An AF_INET6 socket, connected to the capture listener in mapped form, yet
    // getpeername6 reports the service it dialed.
    assert.deepEqual([opened.remoteAddress, opened.remotePort], ['::ffff:10.96.0.30', 5432]);
    const r = await mesh.send<{ echoed: boolean }>({ op: 'echo', conn: 'db6', payload: 'over a dual-stack socket' });
    assert.equal(r.echoed, true);
    await mesh.send({ op: 'close', conn: 'db6' });
    const d = delta(c0, counters());
    assert.equal(d.connect_redirected, 1, JSON.stringify(d));
    assert.equal(d.getsockopt_answered, 1, JSON.stringify(d));
    assert.equal(d.getpeername_answered, 1, JSON.stringify(d));
    assert.equal(d.sockops_sockhash_added, 2, JSON.stringify(d));
    assert.ok((d.msg_redirect_hit ?? 0) >= 1, JSON.stringify(d));
  });

  it('a workload outside the mesh cgroup is not redirected', async () => {
    const c0 = counters();
    const r = await outside.send<{ status: number; body: string }>({ op: 'http', url: 'http://10.96.0.20/x' });
    assert.equal(r.body, 'direct /x');
    const d = delta(c0, counters());
    assert.equal(d.connect_not_mesh, 1, JSON.stringify(d));
    assert.equal(d.connect_redirected, undefined, JSON.stringify(d));
  });

  it("the node proxy's own upstream connection to a steered address is not redirected (no loop)", async () => {
    const c0 = counters();
    const r = await mesh.send<{ status: number; body: string }>({ op: 'http', url: 'http://10.96.0.40:9000/y' });
    // mesh → (redirected) proxy → legacy's endpoint 10.96.0.20:80, reached directly.
    assert.equal(r.status, 200);
    assert.equal(r.body, 'direct /y');
    const d = delta(c0, counters());
    assert.equal(d.connect_redirected, 1, JSON.stringify(d));
    assert.equal(d.connect_from_proxy, 1, JSON.stringify(d));
  });

  it('a service whose backend runs on another node is reached over the veth link', async () => {
    const c0 = counters();
    const r = await mesh.send<{ status: number; body: string }>({ op: 'http', url: 'http://10.96.0.50/z' });
    assert.equal(r.body, 'remote-1 /z');
    const d = delta(c0, counters());
    assert.equal(d.connect_redirected, 1, JSON.stringify(d));
    // The proxy's upstream to 10.244.2.10 is no service: left alone.
    assert.equal(d.connect_not_service, 1, JSON.stringify(d));
  });

  it('an agent restart keeps an established connection on the sockmap path; new connections still work', async () => {
    const p0 = counters().getpeername_answered;
    const opened = await mesh.send<{ remoteAddress: string; remotePort: number }>({ op: 'open', conn: 'db', host: '10.96.0.30', port: 5432 });
    // cgroup/getpeername4: the workload sees the service it dialed as its peer, not the capture listener.
    assert.deepEqual([opened.remoteAddress, opened.remotePort], ['10.96.0.30', 5432]);
    assert.equal(counters().getpeername_answered - p0, 1n);
    assert.equal((await mesh.send<{ echoed: boolean }>({ op: 'echo', conn: 'db', payload: 'before restart' })).echoed, true);
    const c0 = counters();
    const again = agent();
    assert.ok(again.programs.every((p) => p.link === 'updated'), JSON.stringify(again.programs));
    assert.ok(again.maps.every((m) => m.reused), JSON.stringify(again.maps));
    assert.deepEqual(again.services, { added: 0, removed: 0, unchanged: 4 });
    const payload = 'x'.repeat(50_000);
    const r = await mesh.send<{ echoed: boolean; bytes: number }>({ op: 'echo', conn: 'db', payload });
    assert.equal(r.echoed, true);
    assert.equal(r.bytes, payload.length);
    const d1 = delta(c0, counters());
    assert.ok((d1.msg_redirect_hit ?? 0) >= 2, `the old connection still goes socket to socket: ${JSON.stringify(d1)}`);
    await mesh.send({ op: 'open', conn: 'db2', host: '10.96.0.30', port: 5432 });
    const r2 = await mesh.send<{ echoed: boolean }>({ op: 'echo', conn: 'db2', payload: 'after restart' });
    assert.equal(r2.echoed, true);
    const d2 = delta(c0, counters());
    assert.equal(d2.connect_redirected, 1, JSON.stringify(d2));
    assert.equal(d2.getsockopt_answered, 1, JSON.stringify(d2));
  });

  it('nodemesh bpf status shows the links per cgroup, the maps and the counters', () => {
    const s = JSON.parse(runNodemesh(['bpf', 'status', '--pin-root', lab.pinRoot, '--json'])) as {
      links: { program: string; cgroup?: string; attachType: string }[];
      counters: Record<string, number>;
      maps: { name: string; entries: number }[];
      cgroups: { path?: string; role: string }[];
    };
    const onNode = s.links.filter((l) => l.cgroup === node.cgroupDir).map((l) => `${l.program}:${l.attachType}`);
    assert.deepEqual(onNode.sort(), ['nm_connect4:connect4', 'nm_connect6:connect6', 'nm_getpeername4:getpeername4', 'nm_getpeername6:getpeername6', 'nm_getsockopt:getsockopt', 'nm_sockops:sock_ops']);
    assert.ok(s.links.some((l) => l.program === 'nm_sk_msg' && l.attachType === 'sk_msg_verdict'));
    // 20 web + 1 dual-stack + 1 legacy + 1 remote + db + db2
    assert.equal(s.counters.connect_redirected, 25, JSON.stringify(s.counters));
    const entries = (name: string) => s.maps.find((m) => m.name === name)?.entries;
    assert.equal(entries('nm_services'), 4);
    // Of the 25 redirected connections only db and db2 are open: closed ones left the maps.
    assert.equal(entries('nm_orig_pair'), 2);
    assert.equal(entries('nm_sockhash'), 4);
    assert.equal(entries('nm_orig_cookie'), 0);
    assert.deepEqual(
      s.cgroups.map((c) => `${c.role} ${c.path}`).sort(),
      [`mesh ${node.cgroup('mesh')}`, `proxy ${node.cgroup('proxy')}`],
    );
    // The human form prints the same counters.
    assert.match(runNodemesh(['bpf', 'status', '--pin-root', lab.pinRoot]), /connect_redirected\s+\d+/);
  });
});

// The long-running agent (`nodemesh bpf agent`): it follows the configuration
// directory (FileProvider + Kubernetes translator) and syncs nm_services on
// every change, without a restart; SIGTERM leaves pins and links. The
// xds-server runs with --access-log, so the node proxy's access log shows
// each steered connection's original destination (the service VIP:port).
describe('nodemesh bpf agent: follows the configuration directory; SIGTERM leaves the datapath in place', { skip }, () => {
  let lab: Lab;
  let node: LabNode;
  let mesh: WorkloadClient;
  let agent: BpfAgent;
  const dir = mkdtempSync(join(tmpdir(), 'nodemesh-bpf-agent-'));
  const configDir = join(dir, 'config');
  const accessLog = join(dir, 'access.log');
  const counters = (): Counters => {
    const s = Steering.open(lab.pinRoot);
    try {
      return s.counters();
    } finally {
      s.close();
    }
  };
  const steered = (): string[] => {
    const s = Steering.open(lab.pinRoot);
    try {
      return s.services().map((k) => `${k.address}:${k.port}`).sort();
    } finally {
      s.close();
    }
  };
  const start = () => startBpfAgent(node, { pinRoot: lab.pinRoot, configDir, meshCgroup: node.cgroup('mesh'), proxyCgroup: node.cgroup('proxy'), admin: '127.0.0.1:0' });
  const synced = (a: BpfAgent, fields: Record<string, unknown>) =>
    a.waitLog((l) => l.msg === 'services synced' && Object.entries(fields).every(([k, v]) => l[k] === v));
  /**
   * The access log entries whose field `key` is `value`, once one satisfies
   * `until` (the file is written asynchronously, a TCP line when the
   * connection closes: polled).
   */
  const accessLogEntries = async (key: string, value: string, until: (e: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>[]> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const lines = existsSync(accessLog) ? readFileSync(accessLog, 'utf8').split('\n').filter(Boolean) : [];
      const hits = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e[key] === value);
      if (hits.some(until) || Date.now() > deadline) return hits;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  /** A TCP echo through the proxy, retried until the proxy has the (new) listener. */
  const echoUntilServed = async (conn: string, host: string, port: number): Promise<void> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const opened = await mesh.attempt({ op: 'open', conn, host, port });
      const r = opened.ok ? await mesh.attempt({ op: 'echo', conn, payload: 'hello db' }) : opened;
      if (r.ok && r.echoed) return;
      await mesh.attempt({ op: 'close', conn });
      if (Date.now() > deadline) throw new Error(`${host}:${port} never echoed: ${JSON.stringify(r)}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  };

  before(async () => {
    mkdirSync(configDir);
    writeFileSync(join(configDir, 'web.yaml'), WEB);
    lab = Lab.create('agent');
    node = lab.addNode('n1');
    node.addLocalAddresses(['10.244.1.10', '10.244.1.20', '10.96.0.20']);
    const backends = startWorkload(node, 'backends', 'backends');
    await backends.send({ op: 'serve-http', host: '10.244.1.10', port: 8080, name: 'web-1' });
    await backends.send({ op: 'serve-echo', host: '10.244.1.20', port: 5432 });
    await backends.send({ op: 'serve-http', host: '10.96.0.20', port: 80, name: 'direct' });
    const socket = join(dir, 'xds.sock');
    startXdsServer(node, { cgroup: 'control', configDir, socket, accessLog });
    startNodeProxy(node, { cgroup: 'proxy', socket, admin: '127.0.0.1:15000' });
    mesh = startWorkload(node, 'mesh-client', 'mesh/client');
    await waitHttpOk(mesh, 'http://127.0.0.1:15000/ready');
    agent = start();
    const first = await agent.waitLog((l) => l.msg === 'steering attached');
    assert.ok((first.programs as { link: string }[]).every((p) => p.link === 'created'), JSON.stringify(first.programs));
    await synced(agent, { generation: 1, steered: 1, added: 1 });
  });

  after(() => {
    lab?.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('steers the services it started with; the access log shows the original destination', async () => {
    assert.deepEqual(steered(), ['10.96.0.20:80']);
    const c0 = counters();
    const r = await mesh.send<{ status: number; body: string }>({ op: 'http', url: 'http://10.96.0.20/first' });
    assert.equal(r.body, 'web-1 /first');
    assert.equal(delta(c0, counters()).connect_redirected, 1);
    const [entry] = await accessLogEntries('path', '/first');
    assert.ok(entry, `no access log line for /first in ${accessLog}`);
    // The workload's socket was connected to 127.0.0.1:15001; the proxy logs what it dialed.
    assert.equal(entry.downstream_local_address, '10.96.0.20:80', JSON.stringify(entry));
    assert.equal(entry.upstream_host, '10.244.1.10:8080', JSON.stringify(entry));
    assert.equal(entry.response_code, 200, JSON.stringify(entry));
    // getpeername4 rewrites only the workload's end: the proxy still sees the workload's real address.
    assert.match(String(entry.downstream_remote_address), /^127\.0\.0\.1:\d+$/, JSON.stringify(entry));
  });

  it('a service added to the directory is steered without restarting the agent', async () => {
    const c0 = counters();
    writeFileSync(join(configDir, 'db.yaml'), DB);
    await synced(agent, { generation: 2, steered: 2, added: 1, removed: 0 });
    assert.deepEqual(steered(), ['10.96.0.20:80', '10.96.0.30:5432']);
    await echoUntilServed('db-added', '10.96.0.30', 5432);
    await mesh.send({ op: 'close', conn: 'db-added' });
    const d = delta(c0, counters());
    assert.ok((d.connect_redirected ?? 0) >= 1, JSON.stringify(d));
    assert.ok((d.getsockopt_answered ?? 0) >= 1, JSON.stringify(d));
    const served = (e: Record<string, unknown>) => e.upstream_host === '10.244.1.20:5432' && e.upstream_cluster === 'outbound|5432||db.default.svc.cluster.local' && e.protocol === null;
    const tcp = await accessLogEntries('downstream_local_address', '10.96.0.30:5432', served);
    assert.ok(
      tcp.some(served),
      `a tcp_proxy line for the db connection: ${JSON.stringify(tcp)}`,
    );
    // The agent's own metrics, and the programs' counters, on its admin port.
    const started = await agent.waitLog((l) => l.msg === 'nodemesh bpf agent started');
    const text = await (await fetch(`http://${String(started.admin)}/metrics`)).text();
    assert.match(text, /^nodemesh_bpf_agent_syncs_total 2$/m);
    assert.match(text, /^nodemesh_bpf_agent_services_added_total 2$/m);
    assert.match(text, /^nodemesh_bpf_agent_services_steered 2$/m);
    assert.match(text, /^nodemesh_bpf_program_events\{reason="connect_redirected"\} [1-9]\d*$/m);
  });

  it('a service removed from the directory stops being steered', async () => {
    rmSync(join(configDir, 'web.yaml'));
    await synced(agent, { generation: 3, steered: 1, added: 0, removed: 1 });
    assert.deepEqual(steered(), ['10.96.0.30:5432']);
    const c0 = counters();
    const r = await mesh.send<{ status: number; body: string }>({ op: 'http', url: 'http://10.96.0.20/gone' });
    // Not redirected: what listens at the address itself answers.
    assert.equal(r.body, 'direct /gone');
    const d = delta(c0, counters());
    assert.equal(d.connect_redirected, undefined, JSON.stringify(d));
    assert.equal(d.connect_not_service, 1, JSON.stringify(d));
  });

  it('SIGTERM leaves pins and links: an established connection keeps its path through a restart, and new ones are steered meanwhile', async () => {
    await mesh.send({ op: 'open', conn: 'db', host: '10.96.0.30', port: 5432 });
    assert.equal((await mesh.send<{ echoed: boolean }>({ op: 'echo', conn: 'db', payload: 'before' })).echoed, true);
    assert.equal(await agent.stop(), 0);
    assert.ok(agent.logs.some((l) => l.msg === 'stopping; pins and links stay (nodemesh bpf detach uninstalls)'));
    const s = Steering.open(lab.pinRoot);
    try {
      assert.equal(s.linkPins().length, 7, s.linkPins().join(', '));
    } finally {
      s.close();
    }
    const c0 = counters();
    // No agent running: the datapath is the pins'.
    assert.equal((await mesh.send<{ echoed: boolean }>({ op: 'echo', conn: 'db', payload: 'while stopped' })).echoed, true);
    await mesh.send({ op: 'open', conn: 'db-down', host: '10.96.0.30', port: 5432 });
    assert.equal((await mesh.send<{ echoed: boolean }>({ op: 'echo', conn: 'db-down', payload: 'new while stopped' })).echoed, true);
    await mesh.send({ op: 'close', conn: 'db-down' });
    agent = start();
    const attached = await agent.waitLog((l) => l.msg === 'steering attached');
    assert.ok((attached.programs as { link: string }[]).every((p) => p.link === 'updated'), JSON.stringify(attached.programs));
    assert.equal(attached.mapsReused, attached.maps);
    await synced(agent, { generation: 1, steered: 1, added: 0, removed: 0, unchanged: 1 });
    const payload = 'y'.repeat(50_000);
    const r = await mesh.send<{ echoed: boolean; bytes: number }>({ op: 'echo', conn: 'db', payload });
    assert.deepEqual([r.echoed, r.bytes], [true, payload.length]);
    const d = delta(c0, counters());
    assert.equal(d.connect_redirected, 1, `the connection opened while no agent ran: ${JSON.stringify(d)}`);
    assert.ok((d.msg_redirect_hit ?? 0) >= 4, `the old connection still goes socket to socket: ${JSON.stringify(d)}`);
    await mesh.send({ op: 'close', conn: 'db' });
  });
});

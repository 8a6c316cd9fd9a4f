// npm run bench:routes -- [--routes 500,5000] [--runs 5] [--changes 5] [--debounce 100] [--shape host|path] [--profile]
//
// Programs N HTTPRoutes on one Gateway and measures, for each N:
//   translation alone   loadDirectory's Resources → translateResources →
//                       translateGatewayApi → XdsTranslator, in this process;
//                       the first run (new process, JIT cold), then the median
//                       of --runs with a new translator (nothing to reuse) and
//                       with the same one (everything reused by content), and
//                       one route changed; then a full publish (+ PGV checks).
//   end to end          a ControlPlane watching a temp config dir (N Services,
//                       each a Workload on loopback, one GatewayClass +
//                       Gateway with an HTTP listener on 127.0.0.1, no routes),
//                       and the embedded engine in a child process
//                       (bench/routes-proxy.ts) connected over real gRPC. The
//                       routes file is then written (in place, one write) and
//                       the time is taken until (a) the proxy has ACKed the
//                       RouteConfiguration of the published version (the
//                       control plane's stream registry) and (b) a request
//                       through the gateway for the last route is answered by
//                       the backend, with the x-route header that route sets.
//                       Then --changes single-route edits (one route's path) with
//                       all N present, each timed the same way.
//   memory and size     the control plane's RSS (its own process: the proxy
//                       and the backend are in the child) and the size of the
//                       encoded RouteConfiguration.
//
// Every route: a distinct hostname (--shape host, one virtual host per route)
// or a distinct path on one hostname (--shape path, one virtual host with
// 2N routes), two matches (a PathPrefix, and an Exact path with a header),
// a RequestHeaderModifier, and a backendRef to its own Service. All Services'
// Workloads are one echo backend (in the child process).
//
// Temp dirs and the child are removed/stopped on exit, failure and Ctrl-C.
// --profile: a CPU profile of the control plane (this process, inspector)
// during the N-route write, and of the proxy process (--cpu-prof), summarised.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TypeUrl } from '../api/src/type-urls.js';
import { SnapshotCache } from '../xds-server/src/cache/snapshot-cache.js';
import { ControlPlane } from '../xds-server/src/control-plane.js';
import { createLogger, silentLogger } from '../xds-server/src/log.js';
import { XdsMetrics } from '../xds-server/src/metrics.js';
import { loadDirectory } from '../xds-server/src/provider/file/index.js';
import { SnapshotPublisher } from '../xds-server/src/publisher.js';
import { translateGatewayApi } from '../xds-server/src/translate/gateway-api/index.js';
import { translateResources } from '../xds-server/src/translate/kubernetes/index.js';
import { gatewayRouteName } from '../xds-server/src/xds/names.js';
import { XdsTranslator } from '../xds-server/src/xds/translator.js';
import { summarizeProfile } from './proxy-profile.js';
import { freePort } from '../tools/free-port.js';

const { values: args } = parseArgs({
  options: {
    routes: { type: 'string', default: '500,5000' },
    runs: { type: 'string', default: '5' },
    changes: { type: 'string', default: '5' },
    // The file provider's default (the CLI's `nodemesh xds-server` uses it).
    debounce: { type: 'string', default: '100' },
    shape: { type: 'string', default: 'host' },
    profile: { type: 'boolean', default: false },
  },
});
const SIZES = args.routes!.split(',').map(Number);
const RUNS = Number(args.runs);
const CHANGES = Number(args.changes);
const DEBOUNCE = Number(args.debounce);
const SHAPE = args.shape === 'path' ? 'path' : 'host';
const HERE = dirname(fileURLToPath(import.meta.url));
const NS = 'bench';
const GOAL_MS = 1000;
const ACK_TIMEOUT_MS = Number(process.env.BENCH_ROUTES_TIMEOUT_MS ?? 120_000);

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// ---- cleanup: temp dirs and the child, on exit, failure and Ctrl-C ----

const dirs = new Set<string>();
const children = new Set<ChildProcess>();
function cleanup(): void {
  for (const c of children) c.kill('SIGTERM');
  children.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping`);
    cleanup();
    process.exit(130);
  });
}

// ---- config ----

const yamlServices = (n: number, echoPort: number): string => {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    docs.push(`apiVersion: v1
kind: Service
metadata: { name: svc-${i}, namespace: ${NS} }
spec:
  clusterIP: None
  selector: { app: svc-${i} }
  ports: [{ name: http, port: 8080, appProtocol: http }]
---
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: svc-${i}-1, namespace: ${NS} }
spec: { address: 127.0.0.1, ports: { http: ${echoPort} }, labels: { app: svc-${i} } }
`);
  }
  return docs.join('---\n');
};

const yamlGateway = (port: number) => `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: nodemesh }
spec: { controllerName: nodemesh.io/gateway-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: ${NS} }
spec:
  gatewayClassName: nodemesh
  addresses: [{ type: IPAddress, value: 127.0.0.1 }]
  listeners:
    - { name: http, protocol: HTTP, port: ${port} }
`;

/** Where route i answers: host and path prefix (its Exact match is `${prefix}/exact` with a header). */
function routeTarget(i: number, version = 0): { host: string; prefix: string } {
  const v = version ? `-v${version}` : '';
  return SHAPE === 'host' ? { host: `r-${i}.bench.test`, prefix: `/api${v}` } : { host: 'bench.test', prefix: `/r-${i}/api${v}` };
}

function yamlRoute(i: number, version = 0): string {
  const { host, prefix } = routeTarget(i, version);
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r-${i}, namespace: ${NS} }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [${host}]
  rules:
    - matches:
        - path: { type: PathPrefix, value: ${prefix} }
        - path: { type: Exact, value: ${prefix}/exact }
          headers: [{ name: x-bench, value: "1" }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: x-route, value: r-${i} }] }
      backendRefs: [{ name: svc-${i}, port: 8080 }]
`;
}

/** All N routes, route `edited` at path version `version`. */
const yamlRoutes = (n: number, edited = -1, version = 0) => Array.from({ length: n }, (_, i) => yamlRoute(i, i === edited ? version : 0)).join('---\n');

/**
 * Written in place, not renamed into place: Node 20's recursive fs.watch on
 * Linux loses a file once it has been replaced by a rename (its watch stays on
 * the old inode), so the provider would miss every later change to it. A
 * single write(2) of the whole text, well inside the debounce, is seen whole.
 */
function writeConfig(dir: string, file: string, text: string): void {
  writeFileSync(join(dir, file), text);
}

// ---- helpers ----

const now = () => performance.timeOrigin + performance.now();
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};
const fmt = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(1) : n.toFixed(0)) : 'n/a');
const mib = (b: number) => (b / 1048576).toFixed(0);
const sizeOf = (b: number) => (b >= 1048576 ? `${(b / 1048576).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
const counter = (version: string | undefined) => Number(version?.split('-').pop() ?? NaN);

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (c ?? '').padEnd(w[i]!)).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The proxy process and a way to wait for its next message of a kind. */
function startProxy(profileDir?: string) {
  const child = fork(join(HERE, 'routes-proxy.ts'), [], {
    execArgv: ['--import', 'tsx', ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  const queue: Record<string, unknown>[] = [];
  let waiter: (() => void) | undefined;
  let exited: string | undefined;
  child.on('message', (m: Record<string, unknown>) => {
    queue.push(m);
    waiter?.();
  });
  child.on('exit', (code, sig) => {
    children.delete(child);
    exited = `the proxy process exited (${code ?? sig})`;
    waiter?.();
  });
  const next = async <T>(op: string, timeoutMs = 300_000): Promise<T> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const failed = queue.findIndex((m) => m.op === 'failed');
      if (failed >= 0) throw new Error(`proxy: ${String(queue[failed]!.error)}`);
      const i = queue.findIndex((m) => m.op === op);
      if (i >= 0) return queue.splice(i, 1)[0] as T;
      if (exited) throw new Error(exited);
      if (Date.now() > end) throw new Error(`no '${op}' from the proxy after ${timeoutMs / 1000} s`);
      await new Promise<void>((r) => {
        waiter = r;
        setTimeout(r, 1000).unref();
      });
    }
  };
  const drop = (op: string) => {
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.op === op) queue.splice(i, 1);
  };
  const stopped = () => new Promise<void>((r) => (child.exitCode !== null || child.signalCode ? r() : child.once('exit', () => r())));
  return { child, next, drop, stopped };
}

// ---- translation alone ----

interface TranslationResult {
  first: Stages;
  cold: Stages;
  warm: Stages;
  oneChanged: Stages;
  publishColdMs: number;
  publishOneChangedMs: number;
  routeConfigBytes: number;
  virtualHosts: number;
  envoyRoutes: number;
}
interface Stages {
  k8s: number;
  gatewayApi: number;
  xds: number;
  total: number;
}

async function translation(dir: string, n: number): Promise<TranslationResult> {
  const { resources, errors } = await loadDirectory(dir);
  if (errors.length) throw new Error(`config errors: ${errors.slice(0, 3).map((e) => e.message).join('; ')}`);
  const opts = { trustDomain: 'cluster.local', clusterDomain: 'cluster.local' };
  const xopts = { outboundAddress: '127.0.0.1', outboundPort: 15001 };
  const run = (translator: XdsTranslator, res = resources): Stages => {
    let t = performance.now();
    const { model } = translateResources(res, opts);
    const k8s = performance.now() - t;
    t = performance.now();
    const gw = translateGatewayApi(res, model);
    model.gateways = gw.gateways;
    const gatewayApi = performance.now() - t;
    if (gw.errors.length) throw new Error(`gateway API errors: ${gw.errors.slice(0, 3).map((e) => e.message).join('; ')}`);
    t = performance.now();
    translator.translate(model);
    const xds = performance.now() - t;
    return { k8s, gatewayApi, xds, total: k8s + gatewayApi + xds };
  };
  const med = (rs: Stages[]): Stages => ({
    k8s: median(rs.map((r) => r.k8s)),
    gatewayApi: median(rs.map((r) => r.gatewayApi)),
    xds: median(rs.map((r) => r.xds)),
    total: median(rs.map((r) => r.total)),
  });
  const first = run(new XdsTranslator(xopts));
  const cold = med(Array.from({ length: RUNS }, () => run(new XdsTranslator(xopts))));
  const shared = new XdsTranslator(xopts);
  run(shared);
  const warm = med(Array.from({ length: RUNS }, () => run(shared)));
  // One route edited: its HTTPRoute object replaced, everything else the same objects.
  const edited = (k: number) => {
    const i = resources.httpRoutes.findIndex((r) => r.metadata.name === `r-${Math.floor(n / 2)}`);
    const routes = [...resources.httpRoutes];
    const r = structuredClone(routes[i]!);
    const m = r.spec.rules![0]!.matches![0]!;
    m.path = { ...m.path!, value: routeTarget(Math.floor(n / 2), 100 + k).prefix };
    routes[i] = r;
    return { ...resources, httpRoutes: routes };
  };
  const oneChanged = med(Array.from({ length: RUNS }, (_, k) => run(shared, edited(k))));

  // What the control plane's publisher adds: model validation, snapshots, PGV rules of every new resource.
  const publisher = new SnapshotPublisher(new SnapshotCache(() => 'envoy'), { ...xopts, log: silentLogger, metrics: new XdsMetrics() });
  const model = (res = resources) => {
    const { model } = translateResources(res, opts);
    model.gateways = translateGatewayApi(res, model).gateways;
    return model;
  };
  const p0 = publisher.publish(model());
  if (!p0.published) throw new Error(`publish failed: ${p0.problems.slice(0, 3).join('; ')}`);
  const p1 = publisher.publish(model(edited(RUNS)));
  const gwIr = model().gateways![0]!;
  const vhs = gwIr.ports[0]!.virtualHosts;
  const routeRes = [...publisher.snapshots().get('envoy')!.resources(TypeUrl.RouteConfiguration).values()].find((r) => r.name.startsWith(`gateway|${NS}/edge|`));
  return {
    first,
    cold,
    warm,
    oneChanged,
    publishColdMs: p0.durationMs,
    publishOneChangedMs: p1.durationMs,
    routeConfigBytes: routeRes?.body.length ?? NaN,
    virtualHosts: vhs.length,
    envoyRoutes: vhs.reduce((a, v) => a + v.routes.length, 0),
  };
}

// ---- end to end ----

interface Timing {
  /** ms from the write: provider scan done (applyResources called), published, RDS ACKed, probe answered. */
  scanned: number;
  published: number;
  acked: number;
  probed: number;
  applyMs: number;
  publishMs: number;
}
interface EndToEnd {
  initialSyncMs: number;
  add: Timing;
  changes: Timing[];
  cpRssBaseline: number;
  cpRssAfter: number;
  cpPeakRss: number;
  proxyRss: number;
  proxyPeakRss: number;
  routeConfigBytes: number;
  profile?: string;
  proxyProfile?: string;
}

async function endToEnd(dir: string, n: number): Promise<EndToEnd> {
  const profDir = args.profile ? join(dir, '.prof') : undefined;
  if (profDir) mkdirSync(profDir);
  const proxy = startProxy(profDir);
  const { port: echoPort } = await proxy.next<{ port: number }>('echo');
  const gwPort = await freePort();
  writeFileSync(join(dir, 'services.yaml'), yamlServices(n, echoPort));
  writeFileSync(join(dir, 'gateway.yaml'), yamlGateway(gwPort));

  gc();
  const cpRssBaseline = process.memoryUsage().rss;
  const cp = new ControlPlane({ configDir: dir, listen: ['127.0.0.1:0'], log: process.env.BENCH_ROUTES_DEBUG ? createLogger() : silentLogger, debounceMs: DEBOUNCE });
  // Observe the control plane's stages without changing them: applyResources
  // is what the provider's change event runs (translate + publish).
  const applies: { start: number; end: number; version?: string; published: boolean; publishMs: number }[] = [];
  const apply = cp.applyResources.bind(cp);
  cp.applyResources = (resources, errors) => {
    const start = now();
    const o = apply(resources, errors);
    applies.push({ start, end: now(), version: o.version, published: o.published, publishMs: o.durationMs });
    if (!o.published) console.error(`  publish rejected: ${o.problems.slice(0, 5).join('; ')}`);
    return o;
  };
  try {
    const t0 = now();
    await cp.start();
    proxy.child.send({ op: 'start', xds: cp.addresses.xds[0] });
    await proxy.next('ready');
    const initialSyncMs = now() - t0;
    const stream = () => cp.registry.list().find((s) => s.node?.id === 'bench-routes');
    const rds = () => stream()?.types.rds;

    let probeId = 0;
    /** Writes, then waits for the publish, the RDS ACK of its version, and the probe's answer. */
    const measure = async (write: () => void, probe: { host: string; path: string; expect: string }): Promise<Timing> => {
      const id = ++probeId;
      proxy.drop('probed');
      const before = applies.length;
      let acked = NaN;
      let nack: string | undefined;
      let resolveAck!: () => void;
      const ackDone = new Promise<void>((r) => (resolveAck = r));
      const check = () => {
        const a = applies.slice(before).find((x) => x.published);
        const t = rds();
        if (!a || !t) return;
        if (t.nack && counter(t.nack.version) >= counter(a.version)) nack = t.nack.message;
        if (nack || (t.ackedVersion && counter(t.ackedVersion) >= counter(a.version))) {
          acked = now();
          resolveAck();
        }
      };
      const off = cp.registry.onUpdate(check);
      const timer = setInterval(check, 50); // also catches a publish that follows its ACK in the same tick
      try {
        const probed = proxy.next<{ at: number; error?: string; id: number }>('probed', 120_000);
        const start = now();
        write();
        proxy.child.send({ op: 'probe', id, port: gwPort, ...probe });
        const deadline = new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no RDS ACK within ${ACK_TIMEOUT_MS / 1000} s; publishes since the write: ${JSON.stringify(applies.slice(before))}; stream: ${JSON.stringify(stream()?.types)}`)), 120_000).unref());
        await Promise.race([ackDone, deadline]);
        if (nack) throw new Error(`the proxy NACKed the RouteConfiguration: ${nack.slice(0, 500)}`);
        const p = await probed;
        if (p.error) throw new Error(`probe for ${probe.host}${probe.path} failed: ${p.error}`);
        const a = applies.slice(before).find((x) => x.published)!;
        return { scanned: a.start - start, published: a.end - start, acked: acked - start, probed: p.at - start, applyMs: a.end - a.start, publishMs: a.publishMs };
      } finally {
        off();
        clearInterval(timer);
      }
    };

    // All N routes at once, to the empty gateway.
    const last = routeTarget(n - 1);
    const session = args.profile ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 500 });
      await session.post('Profiler.start');
    }
    const add = await measure(() => writeConfig(dir, 'routes.yaml', yamlRoutes(n)), { host: last.host, path: `${last.prefix}/x`, expect: `r-${n - 1}` });
    let profile: string | undefined;
    if (session) {
      const { profile: p } = await session.post('Profiler.stop');
      session.disconnect();
      const file = join(profDir!, 'control-plane.cpuprofile');
      writeFileSync(file, JSON.stringify(p));
      profile = summarizeProfile(file, 20);
    }
    await new Promise((r) => setTimeout(r, 500));

    // One route's path edited, N routes present.
    const changes: Timing[] = [];
    const k = Math.floor(n / 2);
    for (let c = 1; c <= CHANGES; c++) {
      const t = routeTarget(k, c);
      changes.push(await measure(() => writeConfig(dir, 'routes.yaml', yamlRoutes(n, k, c)), { host: t.host, path: `${t.prefix}/x`, expect: `r-${k}` }));
      await new Promise((r) => setTimeout(r, 300));
    }

    gc();
    const cpRssAfter = process.memoryUsage().rss;
    const cpPeakRss = process.resourceUsage().maxRSS * 1024;
    proxy.child.send({ op: 'stats' });
    const ps = await proxy.next<{ rssBytes: number; peakRssBytes: number }>('stats');
    const snap = cp.cache.getSnapshot('envoy')!;
    const rc = snap.resources(TypeUrl.RouteConfiguration).get(gatewayRouteName({ namespace: NS, name: 'edge' }, gwPort));
    let proxyProfile: string | undefined;
    await cp.stop();
    proxy.child.disconnect();
    await proxy.stopped();
    if (profDir) {
      const [file] = readdirSync(profDir).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
      proxyProfile = file ? summarizeProfile(join(profDir, file), 20) : '(no profile was written)';
    }
    return {
      initialSyncMs,
      add,
      changes,
      cpRssBaseline,
      cpRssAfter,
      cpPeakRss,
      proxyRss: ps.rssBytes,
      proxyPeakRss: ps.peakRssBytes,
      routeConfigBytes: rc?.body.length ?? NaN,
      profile,
      proxyProfile,
    };
  } finally {
    await cp.stop().catch(() => {});
    if (proxy.child.connected) proxy.child.disconnect();
  }
}

// ---- the run ----

async function main(): Promise<void> {
  const cpu = os.cpus();
  console.log(`# nodemesh routes benchmark: N HTTPRoutes on one Gateway, file change → proxy`);
  console.log(
    `\nMachine: ${cpu[0]?.model ?? '?'}, ${cpu.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}; node ${process.version}. ` +
      `Routes: ${SIZES.join(', ')}; shape: ${SHAPE === 'host' ? 'one hostname per route' : 'one path per route, one hostname'}; ` +
      `each route: 2 matches, a RequestHeaderModifier, a backendRef to its own Service (N Services, N Workloads). ` +
      `File provider debounce ${DEBOUNCE} ms. Translation medians of ${RUNS}; ${CHANGES} single-route changes.`,
  );

  const results: { n: number; tr: TranslationResult; e2e: EndToEnd }[] = [];
  for (const n of SIZES) {
    const dir = mkdtempSync(join(os.tmpdir(), 'nodemesh-bench-routes-'));
    dirs.add(dir);
    console.error(`  N=${n}: end to end…`);
    const e2e = await endToEnd(dir, n);
    console.error(`  N=${n}: translation…`);
    const tr = await translation(dir, n);
    rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
    results.push({ n, tr, e2e });
  }

  const cols = results.map((r) => `${r.n.toLocaleString('en-US')} routes`);
  const stages = (s: Stages) => `${fmt(s.total)} ms (${fmt(s.k8s)} + ${fmt(s.gatewayApi)} + ${fmt(s.xds)})`;
  const row = (name: string, f: (r: (typeof results)[number]) => string) => [name, ...results.map(f)];

  console.log(`\n## Translation alone (ms; total (translateResources + translateGatewayApi + XdsTranslator))\n`);
  console.log(
    table(
      ['measure', ...cols],
      [
        row('first run in the process (JIT cold, new translator)', (r) => stages(r.tr.first)),
        row(`cold: new XdsTranslator, median of ${RUNS}`, (r) => stages(r.tr.cold)),
        row(`warm: same translator, nothing changed, median of ${RUNS}`, (r) => stages(r.tr.warm)),
        row(`warm: same translator, 1 route changed, median of ${RUNS}`, (r) => stages(r.tr.oneChanged)),
        row('publisher: first publish (validate model, translate, PGV rules, snapshots)', (r) => `${fmt(r.tr.publishColdMs)} ms`),
        row('publisher: 1 route changed', (r) => `${fmt(r.tr.publishOneChangedMs)} ms`),
        row('gateway RouteConfiguration: virtual hosts / routes / encoded size', (r) => `${r.tr.virtualHosts} / ${r.tr.envoyRoutes} / ${sizeOf(r.tr.routeConfigBytes)}`),
      ],
    ),
  );

  const timing = (t: Timing) => `${fmt(t.probed)} ms`;
  const breakdown = (t: Timing) => `${fmt(t.scanned)} / ${fmt(t.published)} / ${fmt(t.acked)} / ${fmt(t.probed)}`;
  const medT = (ts: Timing[]): Timing => ({
    scanned: median(ts.map((t) => t.scanned)),
    published: median(ts.map((t) => t.published)),
    acked: median(ts.map((t) => t.acked)),
    probed: median(ts.map((t) => t.probed)),
    applyMs: median(ts.map((t) => t.applyMs)),
    publishMs: median(ts.map((t) => t.publishMs)),
  });
  console.log(`\n## End to end: control plane watching the dir → embedded engine (child process) over gRPC\n`);
  console.log(
    table(
      ['measure', ...cols],
      [
        row('initial sync: N Services + empty Gateway, control plane start → engine LIVE', (r) => `${fmt(r.e2e.initialSyncMs)} ms`),
        row('**add all N routes: file written → RDS ACKed**', (r) => `${fmt(r.e2e.add.acked)} ms`),
        row('**add all N routes: file written → last route answers**', (r) => `**${timing(r.e2e.add)}**`),
        row('  scan done / published / ACKed / answered (ms after the write)', (r) => breakdown(r.e2e.add)),
        row('  of which: control plane apply (k8s + gateway API + status file + publish) / publish', (r) => `${fmt(r.e2e.add.applyMs)} / ${fmt(r.e2e.add.publishMs)} ms`),
        row(`1 route's path changed: written → RDS ACKed, median of ${CHANGES}`, (r) => `${fmt(medT(r.e2e.changes).acked)} ms`),
        row(`1 route's path changed: written → answers on the new path, median (max) of ${CHANGES}`, (r) => `${timing(medT(r.e2e.changes))} (${fmt(Math.max(...r.e2e.changes.map((t) => t.probed)))} ms)`),
        row('  scan done / published / ACKed / answered, median', (r) => breakdown(medT(r.e2e.changes))),
        row('  of which: control plane apply / publish, median', (r) => `${fmt(medT(r.e2e.changes).applyMs)} / ${fmt(medT(r.e2e.changes).publishMs)} ms`),
        row('control plane RSS: before start / after N routes (after GC) / peak', (r) => `${mib(r.e2e.cpRssBaseline)} / ${mib(r.e2e.cpRssAfter)} / ${mib(r.e2e.cpPeakRss)} MiB`),
        row('proxy process RSS: end / peak', (r) => `${mib(r.e2e.proxyRss)} / ${mib(r.e2e.proxyPeakRss)} MiB`),
        row('RouteConfiguration served (encoded)', (r) => sizeOf(r.e2e.routeConfigBytes)),
      ],
    ),
  );
  console.log(
    `\nTimes are from the write of the complete routes file (one writeFileSync, in place) in the watched dir. "scan done" includes fs.watch latency and the ${DEBOUNCE} ms debounce. ` +
      `"RDS ACKed": the proxy's ACK of the RouteConfiguration of the published version, from the control plane's stream registry. ` +
      `"answers": a request through the gateway for the last route (or the edited one) is answered by the backend with that route's x-route header. ` +
      `The control plane shares its process with this harness (the translation runs come after its measurements; RSS peaks accumulate across sizes).`,
  );

  const r500 = results.find((r) => r.n === 500);
  console.log(`\n## Goal: 500 routes in < ${GOAL_MS} ms end to end\n`);
  if (r500) {
    const met = r500.e2e.add.probed < GOAL_MS;
    console.log(`- ${met ? '**met**' : '**not met**'}: 500 routes written → RDS ACKed in ${fmt(r500.e2e.add.acked)} ms, last route answering in ${fmt(r500.e2e.add.probed)} ms (goal < ${GOAL_MS} ms, debounce ${DEBOUNCE} ms included).`);
  } else console.log('- not measured (run with 500 in --routes)');

  for (const r of results) {
    if (r.e2e.profile) console.log(`\n## Control plane CPU profile while adding ${r.n} routes (inspector, 0.5 ms sampling)\n\n${r.e2e.profile}`);
    if (r.e2e.proxyProfile) console.log(`\n## Proxy process CPU profile, ${r.n} routes (--cpu-prof, whole life of the process)\n\n${r.e2e.proxyProfile}`);
  }
  process.exit(0);
}

main().catch((err: Error) => {
  console.error(`bench:routes failed: ${err.stack ?? err.message}`);
  process.exit(1);
});

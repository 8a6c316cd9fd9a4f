// npm run bench:xds -- [--services 10000] [--endpoints 10] [--clients 1000] [--sotw-clients 100] [--changes 50] [--protocols delta,sotw]
//
// Translation time, initial push, propagation of one endpoint change to every
// client, bytes per client per update and peak RSS, for Delta and SotW clients
// in the same run. Clients are real gRPC streams over the server's Unix
// socket, run in a second process (bench/clients.ts) so that the control
// plane's memory and CPU are its own; they skim responses and ACK them as a
// proxy would.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TypeUrl } from '../api/src/type-urls.js';
import { SnapshotCache } from '../xds-server/src/cache/snapshot-cache.js';
import { silentLogger } from '../xds-server/src/log.js';
import { XdsMetrics } from '../xds-server/src/metrics.js';
import type { Endpoint, MeshModel, Service } from '../xds-server/src/model/types.js';
import { SnapshotPublisher } from '../xds-server/src/publisher.js';
import { FlowControl, XdsGrpcServer } from '../xds-server/src/server/grpc-server.js';
import { StreamRegistry } from '../xds-server/src/server/stream-status.js';
import { XdsTranslator } from '../xds-server/src/xds/translator.js';

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '10000' },
    endpoints: { type: 'string', default: '10' },
    clients: { type: 'string', default: '1000' },
    changes: { type: 'string', default: '50' },
    protocols: { type: 'string', default: 'delta,sotw' },
    // SotW clients resend every subscribed name with each ACK (10,000 EDS
    // names here), so they are run at a smaller count by default.
    'sotw-clients': { type: 'string', default: '100' },
  },
});
const S = Number(args.services);
const E = Number(args.endpoints);
const CLIENTS = Number(args.clients);
const CHANGES = Number(args.changes);
const PROTOCOLS = args.protocols!.split(',') as ('delta' | 'sotw')[];

const ip = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

function endpointsFor(s: number, salt = 0): Endpoint[] {
  return Array.from({ length: E }, (_, e) => ({
    address: ip(s * E + e + 1),
    ports: { grpc: 9000 + salt },
    node: `node-${e % 50}`,
    locality: { region: 'r1', zone: `z${e % 3}`, subzone: '' },
    identity: `spiffe://cluster.local/ns/ns-${s % 100}/sa/svc-${s}`,
    health: 'healthy' as const,
    weight: 1,
    source: { kind: 'Workload', namespace: `ns-${s % 100}`, name: `svc-${s}-${e}` },
  }));
}

function makeModel(): MeshModel {
  const services: Service[] = [];
  for (let s = 0; s < S; s++) {
    const namespace = `ns-${s % 100}`;
    services.push({
      namespace,
      name: `svc-${s}`,
      hostname: `svc-${s}.${namespace}.svc.cluster.local`,
      vips: [`172.${16 + ((s >> 16) & 15)}.${(s >> 8) & 255}.${s & 255}`],
      ports: [{ name: 'grpc', port: 50051, protocol: 'TCP', appProtocol: 'grpc' }],
      endpoints: endpointsFor(s),
      lbPolicy: 'ROUND_ROBIN',
      source: { kind: 'Service', namespace, name: `svc-${s}` },
    });
  }
  return { trustDomain: 'cluster.local', clusterDomain: 'cluster.local', services };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const mb = (bytes: number) => (bytes / 1048576).toFixed(0);
const now = () => performance.timeOrigin + performance.now();

let onStuck: ((ids: number[]) => void) | undefined;

/** The clients' process (bench/clients.ts) and a way to wait for its next message. */
function startClients() {
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), 'clients.ts'), [], {
    execArgv: ['--import', 'tsx', '--max-old-space-size=8192'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const queue: Record<string, unknown>[] = [];
  let waiter: (() => void) | undefined;
  child.on('message', (m: Record<string, unknown>) => {
    if (m.op === 'stuck') onStuck?.(m.ids as number[]);
    queue.push(m);
    waiter?.();
  });
  const next = async <T>(op: string): Promise<T> => {
    for (;;) {
      const i = queue.findIndex((m) => m.op === op);
      if (i >= 0) return queue.splice(i, 1)[0] as T;
      await new Promise<void>((r) => (waiter = r));
    }
  };
  return { child, next };
}

async function main(): Promise<void> {
  console.log(
    `nodemesh xDS benchmark: ${S} services × ${E} endpoints, ${CLIENTS} Delta / ${args['sotw-clients']} SotW clients, ${CHANGES} endpoint changes; node ${process.version}`,
  );
  let t = performance.now();
  const model = makeModel();
  const genMs = performance.now() - t;

  t = performance.now();
  new XdsTranslator({ outboundAddress: '127.0.0.1', outboundPort: 15001 }).translate(model);
  const translateMs = performance.now() - t;

  const log = silentLogger;
  const metrics = new XdsMetrics();
  const cache = new SnapshotCache(() => 'envoy');
  const registry = new StreamRegistry(log, metrics);
  const publisher = new SnapshotPublisher(cache, { outboundAddress: '127.0.0.1', outboundPort: 15001, log, metrics });
  t = performance.now();
  const first = publisher.publish(model);
  const firstPublishMs = performance.now() - t;
  if (!first.published) throw new Error(`initial publish failed: ${first.problems.slice(0, 5).join('; ')}`);
  const envoySnap = cache.getSnapshot('envoy')!;

  // Incremental: one endpoint changed, everything else reused.
  const incr: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = (i * 7919) % S;
    model.services[s] = { ...model.services[s]!, endpoints: endpointsFor(s, i + 1) };
    const o = publisher.publish(model);
    incr.push(o.durationMs);
  }

  const dir = mkdtempSync(join(tmpdir(), 'nodemesh-bench-'));
  const server = new XdsGrpcServer({ cache, registry, log, listen: [`unix:${join(dir, 'xds.sock')}`] });
  const [address] = await server.start();

  const rows: string[][] = [];
  const row = (k: string, v: string, goal = '') => rows.push([k, v, goal]);
  row('model generation', `${genMs.toFixed(0)} ms`);
  row('full translation (cold, encode + hash)', `${translateMs.toFixed(0)} ms`, '< 2000 ms');
  row('first publish (translate + PGV-validate all + snapshot)', `${firstPublishMs.toFixed(0)} ms`);
  row('incremental publish, 1 endpoint changed (p50 of 5)', `${pct(incr, 50).toFixed(1)} ms`);
  const counts = envoySnap.counts();
  row('resources per client', Object.entries(counts).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(', '));

  const clusters = [...envoySnap.resources(TypeUrl.ClusterLoadAssignment).keys()];
  const routes = [...envoySnap.resources(TypeUrl.RouteConfiguration).keys()];
  const routeByListener = Object.fromEntries(model.services.map((s) => [`${s.vips[0]}_50051`, `${s.hostname}:50051`]));
  let changeCounter = 0;
  onStuck = (ids) => {
    console.error(`  stuck clients ${ids.join(',')}: flow control ${JSON.stringify(FlowControl.stats())}`);
    for (const s of registry.list().filter((x) => ids.some((id) => x.node?.id.endsWith(`-${id}`))))
      console.error(`    ${s.node?.id} ${s.protocol}: ${JSON.stringify(s.types)}`);
    const snap = cache.getSnapshot('envoy')!;
    console.error(`    snapshot ${snap.version}`);
  };
  for (const protocol of PROTOCOLS) {
    const { child, next } = startClients();
    const C = protocol === 'sotw' ? Number(args['sotw-clients']) : CLIENTS;
    child.send({ op: 'connect', address, protocol, clients: C, clusters, routes, routeByListener });
    const progress = setInterval(() => {
      const f = FlowControl.stats();
      const streams = registry.list();
      const synced = streams.filter((s) => ['cds', 'eds', 'lds', 'rds'].every((t) => s.types[t]?.ackedVersion && s.types[t]?.ackedVersion === s.types[t]?.sentVersion)).length;
      console.error(
        `  [${protocol}] initial push: ${synced}/${streams.length} streams ACKed everything sent, ${mb(f.inflightBytes)} MiB queued, ${f.waitingStreams} streams waiting for budget, control plane RSS ${mb(process.memoryUsage().rss)} MiB`,
      );
    }, 10_000);
    const initial = await next<{ ms: number; bytesPerClient: number }>('initial');
    clearInterval(progress);
    console.error(`  [${protocol}] initial push done in ${(initial.ms / 1000).toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, 2000)); // let the last ACKs settle before measuring updates

    const allTimes: number[] = [];
    const lastTimes: number[] = [];
    const bytes: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const s = (i * 104729 + 13) % S;
      // A salt never used before, so every change really changes the assignment.
      model.services[s] = { ...model.services[s]!, endpoints: endpointsFor(s, 100 + changeCounter++) };
      // The clients must expect the change before it can reach them.
      child.send({ op: 'arm' });
      await next('armed');
      // Wall-clock ms, comparable across the two processes.
      const start = now();
      publisher.publish(model);
      const r = await next<{ at: number[]; bytes: number[] }>('changed');
      const times = r.at.map((t) => t - start);
      allTimes.push(...times);
      lastTimes.push(Math.max(...times));
      bytes.push(...r.bytes);
      await new Promise((res) => setTimeout(res, 20));
    }
    child.send({ op: 'close' });
    const closed = await next<{ peakRssBytes: number }>('closed');
    child.kill();
    row(`[${protocol}] initial push to all ${C} clients`, `${(initial.ms / 1000).toFixed(1)} s (${mb(initial.bytesPerClient)} MiB per client)`);
    row(`[${protocol}] 1 endpoint change → each client, p50 / p99`, `${pct(allTimes, 50).toFixed(1)} / ${pct(allTimes, 99).toFixed(1)} ms`);
    row(`[${protocol}] 1 endpoint change → all ${C} clients, p50 / p99`, `${pct(lastTimes, 50).toFixed(1)} / ${pct(lastTimes, 99).toFixed(1)} ms`, protocol === 'delta' ? 'p99 < 100 ms' : '');
    row(`[${protocol}] bytes per client per endpoint update`, `${pct(bytes, 50)} B`, protocol === 'delta' ? '< 5 KB' : '');
    row(`[${protocol}] peak RSS: control plane / clients process`, `${mb(process.resourceUsage().maxRSS * 1024)} / ${mb(closed.peakRssBytes)} MiB`, 'control plane < 1536 MiB');
    await new Promise((r) => setTimeout(r, 1000));
  }
  await server.stop();
  rmSync(dir, { recursive: true, force: true });

  const w0 = Math.max(...rows.map((r) => r[0]!.length));
  const w1 = Math.max(...rows.map((r) => r[1]!.length));
  console.log(`\n| ${'measure'.padEnd(w0)} | ${'result'.padEnd(w1)} | goal |`);
  console.log(`|${'-'.repeat(w0 + 2)}|${'-'.repeat(w1 + 2)}|------|`);
  for (const [k, v, g] of rows) console.log(`| ${k!.padEnd(w0)} | ${v!.padEnd(w1)} | ${g} |`);
  process.exit(0);
}

await main();

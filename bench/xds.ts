// npm run bench:xds -- [--services 10000] [--endpoints 10] [--clients 1000] [--changes 50] [--protocols delta,sotw]
//
// Translation time, initial push, propagation of one endpoint change to every
// client, bytes per client per update and peak RSS, for Delta and SotW clients
// in the same run. Clients are real gRPC streams over a Unix socket in this
// process; they skim responses and ACK them as a proxy would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TypeUrl } from '../api/src/type-urls.js';
import { SnapshotCache } from '../xds-server/src/cache/snapshot-cache.js';
import { silentLogger } from '../xds-server/src/log.js';
import { XdsMetrics } from '../xds-server/src/metrics.js';
import type { Endpoint, MeshModel, Service } from '../xds-server/src/model/types.js';
import { SnapshotPublisher } from '../xds-server/src/publisher.js';
import { XdsGrpcServer } from '../xds-server/src/server/grpc-server.js';
import { StreamRegistry } from '../xds-server/src/server/stream-status.js';
import { XdsTranslator } from '../xds-server/src/xds/translator.js';
import { newAdsClient, type AdsClientInstance, type Skimmed } from './ads-client.js';

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '10000' },
    endpoints: { type: 'string', default: '10' },
    clients: { type: 'string', default: '1000' },
    changes: { type: 'string', default: '50' },
    protocols: { type: 'string', default: 'delta,sotw' },
  },
});
const S = Number(args.services);
const E = Number(args.endpoints);
const C = Number(args.clients);
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
const rssMb = () => mb(process.resourceUsage().maxRSS * 1024);

interface Client {
  close(): void;
}

/** A client that subscribes as Envoy does: wildcard CDS and LDS, EDS and RDS by name. */
function connect(
  address: string,
  protocol: 'delta' | 'sotw',
  id: number,
  onResponse: (id: number, r: Skimmed) => void,
): Client {
  const client: AdsClientInstance = newAdsClient(address);
  const node = { id: `bench-${protocol}-${id}`, cluster: 'bench', user_agent_name: 'envoy' };
  const edsNames: string[] = [];
  const rdsNames: string[] = [];
  const stream =
    protocol === 'delta'
      ? (client as unknown as { DeltaAggregatedResources(): import('@grpc/grpc-js').ClientDuplexStream<object, Skimmed> }).DeltaAggregatedResources()
      : (client as unknown as { StreamAggregatedResources(): import('@grpc/grpc-js').ClientDuplexStream<object, Skimmed> }).StreamAggregatedResources();
  const req = (type_url: string, extra: object) => stream.write({ type_url, ...extra });
  stream.on("data", (r: Skimmed) => {
    if (process.env.BENCH_DEBUG) console.log(id, protocol, r.typeUrl, r.resources, r.removed, r.nonce);
    onResponse(id, r);
    if (protocol === 'delta') {
      req(r.typeUrl, { response_nonce: r.nonce });
      // Envoy subscribes to the EDS/RDS resources its clusters/listeners name.
      if (r.typeUrl === TypeUrl.Cluster && r.names.length) {
        const sub = r.names.filter((n) => n.startsWith('outbound|'));
        edsNames.push(...sub);
        req(TypeUrl.ClusterLoadAssignment, { resource_names_subscribe: sub });
      }
      if (r.typeUrl === TypeUrl.Listener && r.names.length) {
        const sub = r.names.filter((n) => !n.startsWith('nodemesh_')).map(listenerToRoute);
        rdsNames.push(...sub);
        req(TypeUrl.RouteConfiguration, { resource_names_subscribe: sub });
      }
    } else {
      const names = r.typeUrl === TypeUrl.ClusterLoadAssignment ? edsNames : r.typeUrl === TypeUrl.RouteConfiguration ? rdsNames : [];
      req(r.typeUrl, { version_info: r.version, response_nonce: r.nonce, resource_names: names });
      if (r.typeUrl === TypeUrl.Cluster && edsNames.length === 0) {
        edsNames.push(...allClusterNames);
        req(TypeUrl.ClusterLoadAssignment, { resource_names: edsNames });
      }
      if (r.typeUrl === TypeUrl.Listener && rdsNames.length === 0) {
        rdsNames.push(...allRouteNames);
        req(TypeUrl.RouteConfiguration, { resource_names: rdsNames });
      }
    }
  });
  stream.on('error', (e) => { if (process.env.BENCH_DEBUG) console.log('stream error', e.message); });
  if (protocol === 'delta') {
    req(TypeUrl.Cluster, { node });
    req(TypeUrl.Listener, {});
  } else {
    req(TypeUrl.Cluster, { node, resource_names: [] });
    req(TypeUrl.Listener, { resource_names: [] });
  }
  return {
    close: () => {
      stream.end();
      client.close();
    },
  };
}

let allClusterNames: string[] = [];
let changeCounter = 0;
let allRouteNames: string[] = [];
const routeByListener = new Map<string, string>();
const listenerToRoute = (l: string) => routeByListener.get(l) ?? l;

async function main(): Promise<void> {
  console.log(`nodemesh xDS benchmark: ${S} services × ${E} endpoints, ${C} clients per protocol, ${CHANGES} endpoint changes; node ${process.version}`);
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
  allClusterNames = [...envoySnap.resources(TypeUrl.ClusterLoadAssignment).keys()];
  allRouteNames = [...envoySnap.resources(TypeUrl.RouteConfiguration).keys()];
  for (const s of model.services) routeByListener.set(`${s.vips[0]}_50051`, `${s.hostname}:50051`);

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

  for (const protocol of PROTOCOLS) {
    const totals = new Map<number, { eds: number; rds: number; bytes: number }>();
    let waiting: { name: string; start: number; pending: Set<number>; times: number[]; bytes: number[] } | undefined;
    const initialDone = new Set<number>();
    const expectedEds = allClusterNames.length;
    const expectedRds = allRouteNames.length;
    let resolveInitial!: () => void;
    const initial = new Promise<void>((r) => (resolveInitial = r));
    const onResponse = (id: number, r: Skimmed) => {
      if (waiting && r.typeUrl === TypeUrl.ClusterLoadAssignment && waiting.pending.has(id)) {
        waiting.pending.delete(id);
        waiting.times.push(performance.now() - waiting.start);
        waiting.bytes.push(r.bytes);
        return;
      }
      const tot = totals.get(id) ?? { eds: 0, rds: 0, bytes: 0 };
      totals.set(id, tot);
      tot.bytes += r.bytes;
      if (r.typeUrl === TypeUrl.ClusterLoadAssignment) tot.eds += r.resources;
      if (r.typeUrl === TypeUrl.RouteConfiguration) tot.rds += r.resources;
      if (tot.eds >= expectedEds && tot.rds >= expectedRds && !initialDone.has(id)) {
        initialDone.add(id);
        if (initialDone.size === C) resolveInitial();
      }
    };
    t = performance.now();
    const clients: Client[] = [];
    for (let i = 0; i < C; i++) clients.push(connect(address!, protocol, i, onResponse));
    const progress = setInterval(() => console.error(`  [${protocol}] initial push: ${initialDone.size}/${C} clients complete, RSS ${mb(process.memoryUsage().rss)} MiB`), 5000);
    await initial;
    clearInterval(progress);
    const initialMs = performance.now() - t;
    console.error(`  [${protocol}] initial push done in ${(initialMs / 1000).toFixed(1)} s`);
    const initialBytes = [...totals.values()].reduce((a, b) => a + b.bytes, 0) / C;
    await new Promise((r) => setTimeout(r, 2000)); // let the last ACKs settle before measuring updates

    const allTimes: number[] = [];
    const lastTimes: number[] = [];
    const bytes: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const s = (i * 104729 + 13) % S;
      // A salt never used before, so every change really changes the assignment.
      model.services[s] = { ...model.services[s]!, endpoints: endpointsFor(s, 100 + changeCounter++) };
      waiting = { name: `outbound|50051||${model.services[s]!.hostname}`, start: performance.now(), pending: new Set(clients.map((_, j) => j)), times: [], bytes: [] };
      const w = waiting;
      publisher.publish(model);
      await new Promise<void>((resolve) => {
        const check = () => (w.pending.size === 0 ? resolve() : setTimeout(check, 1));
        check();
      });
      allTimes.push(...w.times);
      lastTimes.push(Math.max(...w.times));
      bytes.push(...w.bytes);
      waiting = undefined;
      await new Promise((r) => setTimeout(r, 20));
    }
    row(`[${protocol}] initial push to all ${C} clients`, `${(initialMs / 1000).toFixed(1)} s (${mb(initialBytes)} MiB per client)`);
    row(`[${protocol}] 1 endpoint change → each client, p50 / p99`, `${pct(allTimes, 50).toFixed(1)} / ${pct(allTimes, 99).toFixed(1)} ms`);
    row(`[${protocol}] 1 endpoint change → all ${C} clients, p50 / p99`, `${pct(lastTimes, 50).toFixed(1)} / ${pct(lastTimes, 99).toFixed(1)} ms`, protocol === 'delta' ? 'p99 < 100 ms' : '');
    row(`[${protocol}] bytes per client per endpoint update`, `${pct(bytes, 50)} B`, protocol === 'delta' ? '< 5 KB' : '');
    row(`[${protocol}] peak RSS so far`, `${rssMb()} MiB`, '< 1536 MiB');
    for (const c of clients) c.close();
    await new Promise((r) => setTimeout(r, 500));
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

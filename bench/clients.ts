// The client side of `npm run bench:xds`, in its own process so the control
// plane's memory and CPU are measured alone. Driven over IPC by bench/xds.ts:
//   parent → {op:'connect', address, protocol, clients, clusters, routes, routeByListener}
//   child  → {op:'initial', ms, bytesPerClient}
//   parent → {op:'arm'}   child → {op:'armed'}   (then the parent publishes one change)
//   child  → {op:'changed', at[], bytes[]}   (wall-clock receipt times, once every client got the EDS update)
//   parent → {op:'close'}  child → {op:'closed', peakRssBytes}
import { TypeUrl } from '../api/src/type-urls.js';
import { newAdsClient, type Skimmed } from './ads-client.js';
import { Metadata, type ClientDuplexStream } from '@grpc/grpc-js';

type Msg =
  | { op: 'connect'; address: string; protocol: 'delta' | 'sotw'; clients: number; clusters: string[]; routes: string[]; routeByListener: Record<string, string> }
  | { op: 'arm' }
  | { op: 'close' };

const now = () => performance.timeOrigin + performance.now();
const send = (m: object) => process.send!(m);

let closers: (() => void)[] = [];
let change: { pending: Set<number>; at: number[]; bytes: number[] } | undefined;

process.on('message', (m: Msg) => {
  if (m.op === 'connect') connectAll(m);
  else if (m.op === 'arm') {
    change = { pending: new Set(closers.map((_, i) => i)), at: [], bytes: [] };
    send({ op: 'armed' });
    const c = change;
    // A stuck benchmark should say so rather than hang.
    setTimeout(() => {
      if (change !== c) return;
      console.error(`  clients: ${c.pending.size} of ${closers.length} still waiting for the update after 30 s`);
      send({ op: 'stuck', ids: [...c.pending] });
    }, 30_000).unref();
  }
  else if (m.op === 'close') {
    for (const c of closers) c();
    closers = [];
    send({ op: 'closed', peakRssBytes: process.resourceUsage().maxRSS * 1024 });
  }
});

function connectAll(m: Extract<Msg, { op: 'connect' }>): void {
  const start = now();
  const done = new Set<number>();
  let bytes = 0;
  for (let id = 0; id < m.clients; id++) {
    let eds = 0;
    let rds = 0;
    const onResponse = (r: Skimmed) => {
      if (process.env.BENCH_DEBUG && change) console.error(`client ${id} got ${r.typeUrl.split('.').pop()} x${r.resources} during change`);
      if (change?.pending.has(id) && r.typeUrl === TypeUrl.ClusterLoadAssignment) {
        change.pending.delete(id);
        change.at.push(now());
        change.bytes.push(r.bytes);
        if (change.pending.size === 0) {
          send({ op: 'changed', at: change.at, bytes: change.bytes });
          change = undefined;
        }
        return;
      }
      bytes += r.bytes;
      if (r.typeUrl === TypeUrl.ClusterLoadAssignment) eds += r.resources;
      if (r.typeUrl === TypeUrl.RouteConfiguration) rds += r.resources;
      if (eds >= m.clusters.length && rds >= m.routes.length && !done.has(id)) {
        done.add(id);
        if (done.size === m.clients) send({ op: 'initial', ms: now() - start, bytesPerClient: bytes / m.clients });
      }
    };
    closers.push(connect(m, id, onResponse));
  }
}

/**
 * Subscribes as Envoy does: wildcard CDS and LDS, then EDS and RDS by the
 * names they carry. Like Envoy it waits for the connection (a thousand clients
 * dialling at once overflow the socket's accept backlog) and reopens a failed
 * stream.
 */
function connect(m: Extract<Msg, { op: 'connect' }>, id: number, onResponse: (r: Skimmed) => void): () => void {
  const client = newAdsClient(m.address);
  const node = { id: `bench-${m.protocol}-${id}`, cluster: 'bench', user_agent_name: 'envoy' };
  type Duplex = ClientDuplexStream<object, Skimmed>;
  let closed = false;
  let stream: Duplex | undefined;
  const open = () => {
    const md = new Metadata();
    md.setOptions({ waitForReady: true });
    const s: Duplex =
      m.protocol === 'delta'
        ? (client as unknown as { DeltaAggregatedResources(md: Metadata): Duplex }).DeltaAggregatedResources(md)
        : (client as unknown as { StreamAggregatedResources(md: Metadata): Duplex }).StreamAggregatedResources(md);
    stream = s;
    const req = (type_url: string, extra: object) => s.write({ type_url, ...extra });
    let edsSubscribed = false;
    let rdsSubscribed = false;
    s.on('data', (r: Skimmed) => {
      onResponse(r);
      if (m.protocol === 'delta') {
        req(r.typeUrl, { response_nonce: r.nonce });
        if (r.typeUrl === TypeUrl.Cluster && r.names.length)
          req(TypeUrl.ClusterLoadAssignment, { resource_names_subscribe: r.names.filter((n) => n.startsWith('outbound|')) });
        if (r.typeUrl === TypeUrl.Listener && r.names.length)
          req(TypeUrl.RouteConfiguration, { resource_names_subscribe: r.names.flatMap((n) => m.routeByListener[n] ?? []) });
      } else {
        // SotW: every request repeats the full list of names.
        const names = r.typeUrl === TypeUrl.ClusterLoadAssignment ? m.clusters : r.typeUrl === TypeUrl.RouteConfiguration ? m.routes : [];
        req(r.typeUrl, { version_info: r.version, response_nonce: r.nonce, resource_names: names });
        if (r.typeUrl === TypeUrl.Cluster && !edsSubscribed) {
          edsSubscribed = true;
          req(TypeUrl.ClusterLoadAssignment, { resource_names: m.clusters });
        }
        if (r.typeUrl === TypeUrl.Listener && !rdsSubscribed) {
          rdsSubscribed = true;
          req(TypeUrl.RouteConfiguration, { resource_names: m.routes });
        }
      }
    });
    s.on('error', (e: Error) => {
      if (closed) return;
      console.error(`  client ${id}: stream failed (${e.message}); reopening`);
      setTimeout(open, 200);
    });
    if (m.protocol === 'delta') {
      req(TypeUrl.Cluster, { node });
      req(TypeUrl.Listener, {});
    } else {
      req(TypeUrl.Cluster, { node, resource_names: [] });
      req(TypeUrl.Listener, { resource_names: [] });
    }
  };
  open();
  return () => {
    closed = true;
    stream?.end();
    client.close();
  };
}

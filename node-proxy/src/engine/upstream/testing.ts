// Test helpers: loopback backends, decoded clusters and a request helper.
// Only tests import this module.
import http from 'node:http';
import type net from 'node:net';
import type { Cluster } from '../../../../api/src/generated/envoy/config/cluster/v3/Cluster.js';
import type { ClusterLoadAssignment } from '../../../../api/src/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.js';
import type { LbEndpoint } from '../../../../api/src/generated/envoy/config/endpoint/v3/LbEndpoint.js';
import { silentLogger } from '../../../../xds-server/src/log.js';
import { Stats } from '../stats.js';
import { decoded } from '../testing/decoded.js';
import type { ClusterManager, Decoded, LbContext, UpstreamCluster } from '../types.js';
import { createClusterManager } from './cluster-manager.js';

export interface Backend {
  port: number;
  /** TCP connections accepted so far. */
  connections: number;
  requests: number;
  /** Connections open now. */
  readonly open: number;
  server: net.Server;
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, b: Backend) => void;

/** An HTTP/1.1 server on 127.0.0.1 answering 200 with its port as the body, unless `handler` says otherwise. */
export async function httpBackend(handler?: Handler): Promise<Backend> {
  const sockets = new Set<net.Socket>();
  const server = http.createServer({ keepAliveTimeout: 60_000 });
  const b: Backend = {
    port: 0,
    connections: 0,
    requests: 0,
    get open() {
      return sockets.size;
    },
    server,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (s: net.Socket) => {
    b.connections++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    b.requests++;
    if (handler) return handler(req, res, b);
    req.resume();
    req.once('end', () => res.end(String(b.port)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  b.port = (server.address() as net.AddressInfo).port;
  return b;
}

export interface EndpointSpec {
  port: number;
  address?: string;
  weight?: number;
  health?: LbEndpoint['health_status'];
}

export function assignment(name: string, eps: EndpointSpec[]): ClusterLoadAssignment {
  return {
    cluster_name: name,
    endpoints: [
      {
        lb_endpoints: eps.map((e) => ({
          endpoint: { address: { socket_address: { address: e.address ?? '127.0.0.1', port_value: e.port } } },
          ...(e.weight !== undefined ? { load_balancing_weight: { value: e.weight } } : {}),
          ...(e.health ? { health_status: e.health } : {}),
        })),
      },
    ],
  };
}

export function staticCluster(name: string, eps: EndpointSpec[], extra: Partial<Cluster> = {}): Cluster {
  return { name, type: 'STATIC', connect_timeout: { seconds: '1' }, load_assignment: assignment(name, eps), ...extra };
}

export function ms(n: number): { seconds: string; nanos: number } {
  return { seconds: String(Math.floor(n / 1000)), nanos: (n % 1000) * 1e6 };
}

export interface Harness {
  cm: ClusterManager;
  stats: Stats;
  /** Applies clusters (and EDS assignments, secrets) as the engine would. */
  apply(clusters: Cluster[], endpoints?: ClusterLoadAssignment[], secrets?: Map<string, Decoded>): void;
  cluster(name: string): UpstreamCluster;
  stat(name: string, cluster: string, tags?: Record<string, string>): number;
}

export function harness(random?: () => number): Harness {
  const stats = new Stats();
  const cm = createClusterManager(random ? { stats, log: silentLogger, random } : { stats, log: silentLogger });
  return {
    cm,
    stats,
    apply(clusters, endpoints = [], secrets = new Map()) {
      cm.update({
        clusters: new Map(clusters.map((c) => [c.name!, decoded('envoy.config.cluster.v3.Cluster', c)])),
        endpoints: new Map(endpoints.map((e) => [e.cluster_name!, decoded('envoy.config.endpoint.v3.ClusterLoadAssignment', e)])),
        secrets,
      });
    },
    cluster(name) {
      const c = cm.get(name);
      if (!c) throw new Error(`no cluster ${name}`);
      return c;
    },
    stat: (name, cluster, tags = {}) => stats.get(name, { envoy_cluster_name: cluster, ...tags }),
  };
}

export interface Answer {
  status: number;
  body: string;
  host: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One request through the cluster; the body is read to the end. */
export async function send(
  c: UpstreamCluster,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer | import('node:stream').Readable | null; ctx?: LbContext; signal?: AbortSignal } = {},
): Promise<Answer> {
  const res = await c.request(
    {
      method: opts.method ?? 'GET',
      path: opts.path ?? '/',
      authority: 'backend.test',
      headers: opts.headers ?? {},
      body: opts.body ?? null,
      signal: opts.signal ?? new AbortController().signal,
    },
    opts.ctx ?? {},
  );
  const chunks: Buffer[] = [];
  for await (const c of res.body) chunks.push(c as Buffer);
  return { status: res.status, body: Buffer.concat(chunks).toString(), host: res.host, headers: res.headers };
}

export function sleep(msec: number): Promise<void> {
  return new Promise((r) => setTimeout(r, msec));
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Counts how often each port answered. */
export function tally(ports: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of ports) m.set(p, (m.get(p) ?? 0) + 1);
  return m;
}

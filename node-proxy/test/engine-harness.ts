// Real-socket harness for the embedded engine's tests: a static xDS server
// the engine subscribes to, HTTP/1.1, HTTP/2 and TCP backends on loopback
// that record what reached them, and a keep-alive HTTP client.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { silentLogger } from '../../xds-server/src/log.js';
import { waitFor } from '../../xds-server/test/helpers.js';
import { EmbeddedEngine } from '../src/engine/engine.js';
import { StaticXdsServer, type StaticResources } from '../src/engine/testing/static-xds.js';
import { packAny } from '../../api/src/any.js';
import type { Cluster } from '../../api/src/generated/envoy/config/cluster/v3/Cluster.js';
import type { Listener } from '../../api/src/generated/envoy/config/listener/v3/Listener.js';
import type { RouteConfiguration } from '../../api/src/generated/envoy/config/route/v3/RouteConfiguration.js';
import type { HttpConnectionManager } from '../../api/src/generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.js';
import type { ClusterLoadAssignment } from '../../api/src/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.js';

export { waitFor };

export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Backend {
  name: string;
  port: number;
  seen: SeenRequest[];
  /** Decides the answer; default 200 with the backend's name. */
  handler?: (req: SeenRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;
  close(): Promise<void>;
}

/** An HTTP/1.1 backend (or h2c with `h2`) answering with its name in the body and x-backend. */
export async function httpBackend(name: string, opts: { h2?: boolean } = {}): Promise<Backend> {
  const b: Backend = { name, port: 0, seen: [], close: async () => {} };
  const onRequest = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers as http.IncomingHttpHeaders, body: Buffer.concat(chunks).toString() };
      b.seen.push(seen);
      if (b.handler) return b.handler(seen, res);
      res.setHeader('x-backend', name);
      res.end(name);
    });
  };
  const server = opts.h2 ? http2.createServer(onRequest) : http.createServer({ keepAliveTimeout: 60_000 }, onRequest);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  b.port = (server.address() as net.AddressInfo).port;
  b.close = () =>
    new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return b;
}

export async function tcpEchoBackend(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export class EngineUnderTest {
  readonly xds = new StaticXdsServer();
  engine!: EmbeddedEngine;

  async start(res: StaticResources, opts: { drainTimeMs?: number } = {}): Promise<void> {
    await this.xds.start();
    this.xds.set(res);
    this.engine = new EmbeddedEngine({ xdsAddress: this.xds.address, node: { id: 'engine-test', cluster: 'test' }, log: silentLogger, drainTimeMs: opts.drainTimeMs ?? 2000 });
    this.engine.start();
    await waitFor('engine ready', () => this.engine.ready());
  }

  /** The bound port of listener `name`. */
  port(name: string): number {
    const a = this.engine.listeners.addresses().get(name);
    if (!a) throw new Error(`listener ${name} is not bound`);
    return a.port;
  }

  stat(name: string, tags: Record<string, string> = {}): number {
    return this.engine.stats.get(name, tags);
  }

  async stop(): Promise<void> {
    await this.engine?.stop();
    await this.xds.stop();
  }
}

export const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(port: number, path: string, opts: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string; host?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host: opts.host ?? 'svc.local', ...opts.headers }, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

// ---- resource builders (generated Envoy types) ----

const ADS = { ads: {}, resource_api_version: 'V3' as const };
const ROUTER = { name: 'envoy.filters.http.router', typed_config: packAny('envoy.extensions.filters.http.router.v3.Router', {}) };

export function staticCluster(name: string, ports: number[], extra: Partial<Cluster> = {}): Cluster {
  return {
    name,
    type: 'STATIC',
    connect_timeout: { seconds: '1', nanos: 0 },
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: ports.map((p) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: p } } } })) }] },
    ...extra,
  };
}

export function edsCluster(name: string, extra: Partial<Cluster> = {}): Cluster {
  return { name, type: 'EDS', eds_cluster_config: { eds_config: ADS, service_name: name }, connect_timeout: { seconds: '1', nanos: 0 }, ...extra };
}

export function endpoints(name: string, ports: number[]): ClusterLoadAssignment {
  return { cluster_name: name, endpoints: [{ lb_endpoints: ports.map((p) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: p } } } })) }] };
}

export function hcmListener(name: string, routeConfig: string | RouteConfiguration, extra: Partial<HttpConnectionManager> = {}): Listener {
  const hcm: HttpConnectionManager = {
    stat_prefix: name,
    codec_type: 'AUTO',
    ...(typeof routeConfig === 'string' ? { rds: { config_source: ADS, route_config_name: routeConfig } } : { route_config: routeConfig }),
    http_filters: [ROUTER],
    ...extra,
  };
  if (extra.http_filters) hcm.http_filters = [...extra.http_filters, ROUTER];
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: packAny('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', hcm) }] }],
  };
}

export function tcpListener(name: string, cluster: string): Listener {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: packAny('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', { stat_prefix: name, cluster }) }] }],
  };
}

export function routes(name: string, vhostRoutes: NonNullable<RouteConfiguration['virtual_hosts']>[number]['routes']): RouteConfiguration {
  return { name, virtual_hosts: [{ name: 'all', domains: ['*'], routes: vhostRoutes }] };
}

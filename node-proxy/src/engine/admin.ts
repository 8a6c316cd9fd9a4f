// The engine's admin endpoint, with Envoy's paths so tools written for an
// Envoy admin (readiness probes, Prometheus scrapes, config dumps) work
// unchanged: /ready, /stats/prometheus, /config_dump, /drain_listeners,
// /healthcheck/fail|ok, /quitquitquit. Bind it to localhost only.
import http from 'node:http';
import { decodeForDisplay, encodeMessage } from '../../../api/src/any.js';
import { messageName, TypeUrl, type ResourceTypeUrl } from '../../../api/src/type-urls.js';
import type { EmbeddedEngine } from './engine.js';

export class EngineAdmin {
  private server?: http.Server;

  constructor(
    private readonly engine: EmbeddedEngine,
    private readonly onQuit: () => void,
  ) {}

  async start(address: string): Promise<string> {
    const i = address.lastIndexOf(':');
    const server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number(address.slice(i + 1)), address.slice(0, i), () => resolve());
    });
    this.server = server;
    const a = server.address() as { address: string; port: number };
    return `${a.address}:${a.port}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://admin');
    const send = (status: number, body: string, type = 'text/plain') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const post = req.method === 'POST';
    switch (url.pathname) {
      case '/ready':
        return send(this.engine.ready() ? 200 : 503, `${this.engine.state()}\n`);
      case '/stats/prometheus':
        return send(200, this.engine.stats.prometheus(), 'text/plain; version=0.0.4');
      case '/config_dump':
        return send(200, JSON.stringify(this.configDump(), null, 2), 'application/json');
      case '/drain_listeners':
        if (!post) return send(405, 'POST only\n');
        this.engine.drainListeners();
        return send(200, 'OK\n');
      case '/healthcheck/fail':
        if (!post) return send(405, 'POST only\n');
        this.engine.failHealthCheck();
        return send(200, 'OK\n');
      case '/quitquitquit':
        if (!post) return send(405, 'POST only\n');
        send(200, 'OK\n');
        return this.onQuit();
      default:
        return send(404, 'endpoints: /ready /stats/prometheus /config_dump /drain_listeners /healthcheck/fail /quitquitquit\n');
    }
  }

  /**
   * What the engine has accepted, in the shape of Envoy's /config_dump
   * (envoy.admin.v3.*ConfigDump, dynamic resources only), so tools that read
   * an Envoy config dump read this one. Secrets are redacted as Envoy does.
   */
  private configDump(): Record<string, unknown> {
    const { xds } = this.engine;
    const each = (t: ResourceTypeUrl, f: (name: string, version: string, json: Record<string, unknown>) => unknown) =>
      [...xds.resources(t)].map(([name, r]) => f(name, r.version, { '@type': t, ...decodeForDisplay(messageName(t), encodeMessage(messageName(t), r.message)) }));
    const dump = (kind: string, body: Record<string, unknown>) => ({ '@type': `type.googleapis.com/envoy.admin.v3.${kind}`, ...body });
    return {
      configs: [
        dump('ClustersConfigDump', { dynamic_active_clusters: each(TypeUrl.Cluster, (_n, v, cluster) => ({ version_info: v, cluster })) }),
        dump('EndpointsConfigDump', { dynamic_endpoint_configs: each(TypeUrl.ClusterLoadAssignment, (_n, v, endpoint_config) => ({ version_info: v, endpoint_config })) }),
        dump('ListenersConfigDump', { dynamic_listeners: each(TypeUrl.Listener, (name, v, listener) => ({ name, active_state: { version_info: v, listener } })) }),
        dump('RoutesConfigDump', { dynamic_route_configs: each(TypeUrl.RouteConfiguration, (_n, v, route_config) => ({ version_info: v, route_config })) }),
        dump('SecretsConfigDump', { dynamic_active_secrets: each(TypeUrl.Secret, (name, v) => ({ name, version_info: v, secret: { '@type': TypeUrl.Secret, name, redacted: true } })) }),
      ],
      // Not in Envoy's dump (Envoy logs it): the last update this proxy refused, and why.
      ...(xds.lastNack ? { nodemesh_last_rejected: xds.lastNack } : {}),
    };
  }
}

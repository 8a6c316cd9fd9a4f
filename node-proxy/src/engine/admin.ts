// The engine's admin endpoint, with Envoy's paths so tools written for an
// Envoy admin (readiness probes, Prometheus scrapes, config dumps) work
// unchanged: /ready, /stats/prometheus, /config_dump, /drain_listeners,
// /healthcheck/fail|ok, /quitquitquit. Bind it to localhost only.
import http from 'node:http';
import { decodeForDisplay, encodeMessage } from '../../../api/src/any.js';
import { ALL_TYPE_URLS, messageName, SHORT_NAME } from '../../../api/src/type-urls.js';
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
        return this.engine.ready() ? send(200, 'LIVE\n') : send(503, 'PRE_INITIALIZING\n');
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

  /** What the engine has accepted, per type, as proto3 JSON (like Envoy's dynamic_active_* sections). */
  private configDump(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const t of ALL_TYPE_URLS) {
      const list: unknown[] = [];
      for (const [name, r] of this.engine.xds.resources(t)) {
        const name_ = messageName(t);
        list.push({ name, version_info: r.version, resource: { '@type': t, ...decodeForDisplay(name_, encodeMessage(name_, r.message)) } });
      }
      out[SHORT_NAME[t]] = list;
    }
    if (this.engine.xds.lastNack) out.last_rejected = this.engine.xds.lastNack;
    return out;
  }
}

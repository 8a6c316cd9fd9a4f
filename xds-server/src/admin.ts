// The control plane's admin endpoint (HTTP, bind it to localhost): Prometheus
// metrics, status as JSON (what `nodemesh status` prints), readiness, and a
// dump of the resources being served.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface AdminHandlers {
  registry: Registry;
  /** Refreshes gauges that are read rather than pushed. */
  beforeScrape?: () => void;
  status(): unknown;
  ready(): boolean;
  configDump(profile: string): unknown;
}

export class AdminServer {
  private server?: Server;

  constructor(private readonly handlers: AdminHandlers) {}

  /** Listens on `host:port`; returns the bound `host:port`. */
  async start(address: string): Promise<string> {
    const i = address.lastIndexOf(':');
    const host = address.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1';
    const port = Number(address.slice(i + 1));
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://admin');
      const json = (code: number, body: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body, null, 2) + '\n');
      };
      if (req.method !== 'GET') return json(405, { error: 'GET only' });
      switch (url.pathname) {
        case '/metrics':
          this.handlers.beforeScrape?.();
          this.handlers.registry.metrics().then(
            (text) => {
              res.writeHead(200, { 'content-type': this.handlers.registry.contentType });
              res.end(text);
            },
            (err: Error) => json(500, { error: err.message }),
          );
          return;
        case '/status':
          return json(200, this.handlers.status());
        case '/ready':
          return this.handlers.ready() ? json(200, { ready: true }) : json(503, { ready: false, reason: 'no snapshot published yet' });
        case '/config_dump':
          return json(200, this.handlers.configDump(url.searchParams.get('profile') ?? 'envoy'));
        default:
          return json(404, { error: 'not found', paths: ['/metrics', '/status', '/ready', '/config_dump?profile=envoy|proxyless'] });
      }
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const a = server.address() as AddressInfo;
    return `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

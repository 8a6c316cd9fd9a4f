// A client for the few endpoints of Envoy's admin API that supervision needs.
// Every call opens its own connection (no keep-alive agent): during a hot
// restart the port moves from the parent to the child, and a pooled socket
// would keep talking to the parent.
import { request } from 'node:http';

export interface AdminResponse {
  status: number;
  body: string;
}

/** Query parameters of /config_dump (see Envoy's admin docs). */
export interface ConfigDumpQuery {
  /** Only this resource field, e.g. `dynamic_active_clusters`. */
  resource?: string;
  /** A field mask applied to each resource. */
  mask?: string;
  /** Include EDS (endpoint) config, which is off by default. */
  includeEds?: boolean;
}

export class EnvoyAdmin {
  readonly host: string;
  readonly port: number;

  /** `address` is `host:port` (IPv6 in brackets), as in the bootstrap's admin address. */
  constructor(address: string, private readonly timeoutMs = 2_000) {
    const i = address.lastIndexOf(':');
    this.host = address.slice(0, i).replace(/^\[|\]$/g, '');
    this.port = Number(address.slice(i + 1));
    if (!this.host || !Number.isInteger(this.port) || this.port <= 0) throw new RangeError(`invalid admin address ${JSON.stringify(address)}`);
  }

  request(method: 'GET' | 'POST', path: string): Promise<AdminResponse> {
    return new Promise((resolve, reject) => {
      const req = request({ host: this.host, port: this.port, method, path, agent: false, timeout: this.timeoutMs }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`admin ${method} ${path}: no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }

  /** GET /ready: Envoy answers 200 "LIVE" only once it has initialized and is not draining. */
  async live(): Promise<{ live: boolean; state: string }> {
    const r = await this.request('GET', '/ready');
    const state = r.body.trim();
    return { live: r.status === 200 && state === 'LIVE', state };
  }

  /**
   * The restart epoch of the process that holds the admin port (from
   * /server_info). Needed because, early in a hot restart, the parent still
   * answers on the port the child will take over.
   */
  async restartEpoch(): Promise<number> {
    const r = await this.request('GET', '/server_info');
    if (r.status !== 200) throw new Error(`admin /server_info: HTTP ${r.status}`);
    const info = parseObject(r.body, '/server_info');
    const opts = info.command_line_options;
    if (!isObject(opts)) throw new Error('admin /server_info: no command_line_options');
    // proto3 JSON leaves out a zero epoch; older printers used camelCase.
    return Number(opts.restart_epoch ?? opts.restartEpoch ?? 0);
  }

  /** POST /healthcheck/fail: upstream health checks fail, so load balancers stop sending. */
  healthcheckFail(): Promise<void> {
    return this.post('/healthcheck/fail');
  }

  /** POST /drain_listeners?graceful: listeners drain over --drain-time-s, then stop. */
  drainListeners(): Promise<void> {
    return this.post('/drain_listeners?graceful');
  }

  async configDump(q: ConfigDumpQuery = {}): Promise<Record<string, unknown>> {
    const params = new URLSearchParams();
    if (q.resource) params.set('resource', q.resource);
    if (q.mask) params.set('mask', q.mask);
    if (q.includeEds) params.set('include_eds', '');
    const qs = params.toString();
    const r = await this.request('GET', `/config_dump${qs ? `?${qs}` : ''}`);
    if (r.status !== 200) throw new Error(`admin /config_dump: HTTP ${r.status}: ${r.body.trim()}`);
    return parseObject(r.body, '/config_dump');
  }

  private async post(path: string): Promise<void> {
    const r = await this.request('POST', path);
    if (r.status !== 200) throw new Error(`admin POST ${path}: HTTP ${r.status}: ${r.body.trim()}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseObject(body: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch (e) {
    throw new Error(`admin ${what}: not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isObject(v)) throw new Error(`admin ${what}: not a JSON object`);
  return v;
}

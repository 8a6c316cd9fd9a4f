// The embedded engine: a Delta xDS client of the same resources Envoy gets,
// the feature check that NACKs whatever it cannot honour, and the data path
// (listeners → filter chains → tcp_proxy / HTTP connection manager → clusters).
// A response is applied only after every resource in it passed the feature
// check and compiled; otherwise it is NACKed and the running config is kept.
import type { Logger } from '../../../xds-server/src/log.js';
import { TypeUrl, type ResourceTypeUrl } from '../../../api/src/type-urls.js';
import { FileSinks } from './access-log.js';
import { checkResource } from './features/check.js';
import { buildChainFactory } from './listener/chains.js';
import { ListenerManager } from './listener/listener-manager.js';
import { compileRouteConfiguration } from './routing/route-table.js';
import { Stats } from './stats.js';
import type { ClusterManager, Decoded, RouteTable } from './types.js';
import { createClusterManager } from './upstream/cluster-manager.js';
import { DeltaXdsClient, type ClientNode } from './xds-client.js';

export interface EngineOptions {
  xdsAddress: string;
  node: ClientNode;
  log: Logger;
  /** How long an updated or removed listener's connections may finish (Envoy's --drain-time-s; default 600 s). */
  drainTimeMs?: number;
}

export class EmbeddedEngine {
  readonly stats = new Stats();
  readonly xds: DeltaXdsClient;
  readonly clusters: ClusterManager;
  readonly listeners: ListenerManager;
  private readonly files = new FileSinks();
  private readonly routeTables = new Map<string, { version: string; table: RouteTable }>();
  /** Route tables compiled while validating a response, by message. */
  private readonly compiledRoutes = new WeakMap<Decoded, RouteTable>();
  /** Listener sets compiled during validation, applied when the response is accepted. */
  private pendingListeners?: ReturnType<ListenerManager['compile']>['compiled'];
  private applying: Promise<void> = Promise.resolve();
  private readyFlag = false;
  private healthFailed = false;

  constructor(private readonly opts: EngineOptions) {
    this.clusters = createClusterManager({ stats: this.stats, log: opts.log.child({ component: 'clusters' }) });
    const chainFactory = buildChainFactory({
      clusters: this.clusters,
      stats: this.stats,
      log: opts.log,
      routes: (name) => this.routeTables.get(name)?.table,
      files: this.files,
      secrets: () => this.secrets(),
    });
    this.listeners = new ListenerManager({ stats: this.stats, log: opts.log.child({ component: 'listeners' }), chainFactory, drainTimeMs: opts.drainTimeMs ?? 600_000, udp: { clusters: this.clusters } });
    this.xds = new DeltaXdsClient({
      address: opts.xdsAddress,
      node: opts.node,
      log: opts.log.child({ component: 'xds-client' }),
      validate: (typeUrl, name, message) => this.validate(typeUrl, name, message),
      validateResponse: (typeUrl, incoming) => this.validateResponse(typeUrl, incoming),
    });
    this.xds.onChange((t) => {
      this.applying = this.applying.then(() => this.apply(t)).catch((err: Error) => this.opts.log.error('applying configuration failed', { error: err.message }));
    });
  }

  start(): void {
    this.xds.start();
  }

  async stop(): Promise<void> {
    this.xds.stop();
    await this.applying;
    await this.listeners.close();
    await this.clusters.close();
    this.files.close();
  }

  /** Envoy's /ready: LIVE once the initial clusters and listeners, and the endpoints and routes they name, are applied. */
  ready(): boolean {
    return this.state() === 'LIVE';
  }

  /** Envoy's server state, as /ready and /server_info report it. */
  state(): 'PRE_INITIALIZING' | 'LIVE' | 'DRAINING' {
    if (this.healthFailed) return 'DRAINING';
    return this.readyFlag ? 'LIVE' : 'PRE_INITIALIZING';
  }

  /** Envoy's /healthcheck/fail: keeps serving, reports not ready so load balancers move away. */
  failHealthCheck(): void {
    this.healthFailed = true;
  }

  /** Envoy's /drain_listeners: every open connection is asked to finish (HTTP/1.1 Connection: close, HTTP/2 GOAWAY). */
  drainListeners(): void {
    this.listeners.drainAll();
  }

  private secrets(): ReadonlyMap<string, Decoded> {
    return messages(this.xds.resources(TypeUrl.Secret));
  }

  private validate(typeUrl: ResourceTypeUrl, name: string, message: Decoded): string[] {
    const problems = checkResource(typeUrl, message);
    if (problems.length) return problems;
    if (typeUrl === TypeUrl.RouteConfiguration) {
      try {
        // Kept for apply(): the client stores this very message object once the response is accepted.
        this.compiledRoutes.set(message, compileRouteConfiguration(message));
      } catch (err) {
        return [(err as Error).message];
      }
    }
    return [];
  }

  /** After every resource passed: listeners must also build as a set (chains, TLS contexts, filters). */
  private validateResponse(typeUrl: ResourceTypeUrl, incoming: ReadonlyMap<string, Decoded | undefined>): string[] {
    if (typeUrl !== TypeUrl.Listener) return [];
    const next = new Map(messages(this.xds.resources(TypeUrl.Listener)));
    for (const [name, m] of incoming) {
      if (m) next.set(name, m);
      else next.delete(name);
    }
    const { compiled, problems } = this.listeners.compile(next);
    if (!problems.length) this.pendingListeners = compiled;
    return problems;
  }

  private async apply(typeUrl: ResourceTypeUrl): Promise<void> {
    switch (typeUrl) {
      case TypeUrl.Cluster:
      case TypeUrl.ClusterLoadAssignment:
      case TypeUrl.Secret:
        this.clusters.update({
          clusters: messages(this.xds.resources(TypeUrl.Cluster)),
          endpoints: messages(this.xds.resources(TypeUrl.ClusterLoadAssignment)),
          secrets: this.secrets(),
        });
        break;
      case TypeUrl.RouteConfiguration: {
        const current = this.xds.resources(TypeUrl.RouteConfiguration);
        for (const name of [...this.routeTables.keys()]) if (!current.has(name)) this.routeTables.delete(name);
        for (const [name, r] of current) {
          if (this.routeTables.get(name)?.version === r.version) continue;
          this.routeTables.set(name, { version: r.version, table: this.compiledRoutes.get(r.message) ?? compileRouteConfiguration(r.message) });
        }
        break;
      }
      case TypeUrl.Listener: {
        const compiled = this.pendingListeners;
        this.pendingListeners = undefined;
        if (!compiled) break;
        const failures = await this.listeners.apply(compiled);
        for (const f of failures) this.opts.log.error('listener failed', { error: f });
        break;
      }
    }
    this.updateReady();
  }

  private updateReady(): void {
    if (this.readyFlag) return;
    const { xds } = this;
    if (!xds.received(TypeUrl.Cluster) || !xds.received(TypeUrl.Listener)) return;
    if (!xds.pendingSubscriptions().every((n) => n === 0)) return;
    this.readyFlag = true;
    this.opts.log.info('embedded engine ready', { listeners: [...this.listeners.addresses()].map(([n, a]) => `${n}=${a.address}:${a.port}`) });
  }
}

function messages(m: ReadonlyMap<string, { message: Decoded }>): Map<string, Decoded> {
  const out = new Map<string, Decoded>();
  for (const [k, v] of m) out.set(k, v.message);
  return out;
}

// The running control plane: file provider → Kubernetes translator → model →
// publisher → snapshot cache → ADS server, plus the admin endpoint. The
// stages are wired here and nowhere else.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { decodeForDisplay } from '../../api/src/any.js';
import { messageName, SHORT_NAME } from '../../api/src/type-urls.js';
import { formatConfigError, type ConfigError } from '../../crds/src/errors.js';
import type { Resources } from '../../crds/src/resources.js';
import { AdminServer } from './admin.js';
import { assignGatewayBinds } from './translate/bind-conflicts.js';
import { SnapshotCache, type NodeHash } from './cache/snapshot-cache.js';
import { createLogger, type Logger } from './log.js';
import { XdsMetrics } from './metrics.js';
import { profileNodeHash } from './node-hash.js';
import { FileProvider, STATUS_FILE } from './provider/file/index.js';
import { SnapshotPublisher, type PublishOutcome } from './publisher.js';
import { FlowControl, XdsGrpcServer } from './server/grpc-server.js';
import { StreamRegistry } from './server/stream-status.js';
import { translateGatewayApi, type ObjectStatus } from './translate/gateway-api/index.js';
import { translateIngress, type IngressOptions, type IngressStatus } from './translate/ingress/index.js';
import { translateResources } from './translate/kubernetes/index.js';
import type { Profile } from './xds/translator.js';

/** How long after a publish the status file is rewritten (later publishes within it coalesce). */
const STATUS_FILE_DELAY_MS = 50;

export interface ControlPlaneOptions {
  configDir: string;
  /** ADS addresses: `unix:/path` and/or `host:port`. */
  listen: readonly string[];
  /** Admin HTTP `host:port`; omitted = no admin endpoint. */
  admin?: string;
  trustDomain?: string;
  clusterDomain?: string;
  /** The node proxy's capture listener (default 127.0.0.1:15001). */
  outboundAddress?: string;
  outboundPort?: number;
  log?: Logger;
  nodeHash?: NodeHash;
  /** Debounce of directory changes (ms). */
  debounceMs?: number;
  /** Where the node proxy serves Ingresses of class `nodemesh` (default 0.0.0.0, ports 80 and 443). */
  ingress?: IngressOptions;
  /** Opt-in: node proxies write a JSON access log of the mesh listeners to this path (xds/listeners.ts). */
  accessLogPath?: string;
}

export interface ControlPlaneStatus {
  version: string | null;
  configDir: string;
  configErrors: string[];
  translationErrors: string[];
  /** Gateway API status conditions of every object nodemesh's controller owns. */
  gatewayApi: ObjectStatus[];
  /** Ingresses of nodemesh's class: the address they are served on, and their problems. */
  ingress: IngressStatus[];
  lastRejection: { at: string; problems: string[] } | null;
  snapshots: Record<string, { version: string; resources: Record<string, number> }>;
  clients: ReturnType<StreamRegistry['list']>;
}

export class ControlPlane {
  readonly log: Logger;
  readonly metrics = new XdsMetrics();
  readonly cache: SnapshotCache;
  readonly registry: StreamRegistry;
  readonly publisher: SnapshotPublisher;
  private readonly provider: FileProvider;
  private readonly grpc: XdsGrpcServer;
  private readonly admin?: AdminServer;
  private configErrors: ConfigError[] = [];
  private translationErrors: ConfigError[] = [];
  private logged = new Set<string>();
  private unsubscribe: (() => void)[] = [];
  addresses: { xds: string[]; admin?: string } = { xds: [] };

  constructor(private readonly opts: ControlPlaneOptions) {
    this.log = opts.log ?? createLogger();
    this.cache = new SnapshotCache(opts.nodeHash ?? profileNodeHash);
    this.registry = new StreamRegistry(this.log, this.metrics);
    this.publisher = new SnapshotPublisher(this.cache, {
      outboundAddress: opts.outboundAddress ?? '127.0.0.1',
      outboundPort: opts.outboundPort ?? 15001,
      ...(opts.accessLogPath ? { accessLogPath: opts.accessLogPath } : {}),
      log: this.log,
      metrics: this.metrics,
    });
    this.provider = new FileProvider({ dir: opts.configDir, logger: (o) => this.log.info('file provider', o), debounceMs: opts.debounceMs ?? 100 });
    this.grpc = new XdsGrpcServer({ cache: this.cache, registry: this.registry, log: this.log, listen: opts.listen });
    if (opts.admin) {
      const metrics = this.metrics;
      this.admin = new AdminServer({
        registry: metrics.registry,
        beforeScrape: () => {
          const f = FlowControl.stats();
          metrics.sendQueueBytes.set(f.inflightBytes);
          metrics.streamsWaiting.set(f.waitingStreams);
        },
        status: () => this.status(),
        ready: () => this.publisher.version() !== undefined,
        configDump: (p) => this.configDump(p),
      });
    }
  }

  async start(): Promise<void> {
    this.unsubscribe.push(
      this.provider.onChange(() => this.apply()),
      // Resources unchanged (a broken edit whose last valid version is kept):
      // nothing to republish, but status, logs and metrics must say so.
      this.provider.onErrorsChange(() => this.reportErrors(this.provider.current().errors, this.translationErrors)),
    );
    await this.provider.start();
    this.apply();
    this.addresses.xds = await this.grpc.start();
    if (this.admin && this.opts.admin) this.addresses.admin = await this.admin.start(this.opts.admin);
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe) u();
    if (this.statusFileTimer) this.writeStatusFile();
    this.provider.stop();
    await this.grpc.stop();
    await this.admin?.stop();
  }

  /** Translates and publishes the provider's current resources. */
  apply(): PublishOutcome {
    const { resources, errors } = this.provider.current();
    return this.applyResources(resources, errors);
  }

  applyResources(resources: Resources, configErrors: ConfigError[]): PublishOutcome {
    const { model, errors } = translateResources(resources, {
      trustDomain: this.opts.trustDomain ?? 'cluster.local',
      clusterDomain: this.opts.clusterDomain ?? 'cluster.local',
    });
    // Gateway API reads the services the Kubernetes translator resolved (backendRefs → clusters).
    const gw = translateGatewayApi(resources, model);
    const ing = translateIngress(resources, model, this.opts.ingress);
    const binds = assignGatewayBinds(resources, gw.gateways, ing.gateways, gw.statuses, ing.statuses);
    model.gateways = binds.gateways;
    if (gw.meshRoutes.length) model.meshRoutes = gw.meshRoutes;
    this.reportErrors(configErrors, [...errors, ...gw.errors, ...ing.errors, ...binds.errors]);
    this.setGatewayStatus(binds.gatewayStatuses, binds.ingressStatuses);
    return this.publisher.publish(model);
  }

  /**
   * Gateway API status: in `nodemesh status`, and (file mode) in
   * nodemesh-status.yaml beside the inputs, which the provider ignores. The
   * Kubernetes provider will write it back to the objects instead.
   */
  private setGatewayStatus(statuses: ObjectStatus[], ingress: IngressStatus[]): void {
    this.gatewayStatus = statuses;
    this.ingressStatus = ingress;
    // The file is written after the snapshot is published, not before: with
    // hundreds of routes, rendering it as YAML took longer than the publish.
    this.statusFileTimer ??= setTimeout(() => this.writeStatusFile(), STATUS_FILE_DELAY_MS);
  }

  private writeStatusFile(): void {
    clearTimeout(this.statusFileTimer);
    this.statusFileTimer = undefined;
    const statuses = this.gatewayStatus;
    const ingress = this.ingressStatus;
    const key = JSON.stringify([statuses, ingress]);
    if (key === this.statusFileKey) return;
    this.statusFileKey = key;
    const text = statuses.length || ingress.length ? stringifyYaml({ ...(statuses.length ? { gatewayApi: statuses } : {}), ...(ingress.length ? { ingress } : {}) }) : '';
    const file = join(this.opts.configDir, STATUS_FILE);
    try {
      if (text) writeFileSync(file, `# written by nodemesh xds-server; not read back\n${text}`);
      else rmSync(file, { force: true });
    } catch (err) {
      this.log.warn('cannot write the status file', { file, error: (err as Error).message });
    }
  }

  private gatewayStatus: ObjectStatus[] = [];
  private ingressStatus: IngressStatus[] = [];
  private statusFileKey = JSON.stringify([[], []]);
  private statusFileTimer?: NodeJS.Timeout;

  private reportErrors(configErrors: ConfigError[], translationErrors: ConfigError[]): void {
    this.configErrors = configErrors;
    this.translationErrors = translationErrors;
    const all = [...configErrors, ...translationErrors];
    // Each problem is logged when it appears, not again on every later
    // publish: a directory with many broken files would drown the log.
    const now = new Set<string>();
    for (const e of all) {
      const line = formatConfigError(e);
      now.add(line);
      if (!this.logged.has(line)) (e.severity === 'error' ? this.log.error : this.log.warn)('invalid configuration', { error: line });
    }
    for (const line of this.logged) if (!now.has(line)) this.log.info('configuration problem resolved', { error: line });
    this.logged = now;
    this.metrics.configErrors.set({ severity: 'error' }, all.filter((e) => e.severity === 'error').length);
    this.metrics.configErrors.set({ severity: 'warning' }, all.filter((e) => e.severity === 'warning').length);
  }

  status(): ControlPlaneStatus {
    const snapshots: ControlPlaneStatus['snapshots'] = {};
    for (const [profile, snap] of this.publisher.snapshots()) snapshots[profile] = { version: snap.version, resources: snap.counts() };
    return {
      version: this.publisher.version() ?? null,
      configDir: this.opts.configDir,
      configErrors: this.configErrors.map(formatConfigError),
      translationErrors: this.translationErrors.map(formatConfigError),
      lastRejection: this.publisher.lastRejection ?? null,
      snapshots,
      clients: this.registry.list(),
      gatewayApi: this.gatewayStatus,
      ingress: this.ingressStatus,
    };
  }

  configDump(profile: string): unknown {
    const snap = this.publisher.snapshots().get(profile as Profile);
    if (!snap) return { error: `no snapshot for profile "${profile}"` };
    const out: Record<string, unknown> = { version: snap.version };
    for (const typeUrl of Object.keys(SHORT_NAME) as (keyof typeof SHORT_NAME)[]) {
      out[SHORT_NAME[typeUrl]] = [...snap.resources(typeUrl).values()].map((r) => ({
        name: r.name,
        version: r.version,
        resource: decodeForDisplay(messageName(typeUrl), r.body),
      }));
    }
    return out;
  }
}

// The long-running steering agent (`nodemesh bpf agent`): attaches like
// `nodemesh bpf attach` (idempotent, reusing pins), then watches the mesh
// configuration directory with the xds-server's FileProvider and, on every
// change of its resources, re-translates the model and makes nm_services hold
// exactly the steered VIP:ports (Steering.syncServices writes only the
// difference, so a service that stays is steered without a gap).
//
// stop() (SIGTERM) closes the agent's map handles and nothing else: pins and
// links stay, so established connections keep their sk_msg path and new ones
// are still redirected with the last synced services; the next agent reuses
// them. Uninstalling is `nodemesh bpf detach`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import client from 'prom-client';
import type { Logger } from '../../../xds-server/src/log.js';
import { FileProvider } from '../../../xds-server/src/provider/file/index.js';
import { translateResources } from '../../../xds-server/src/translate/kubernetes/index.js';
import { translateAuthPolicies } from '../../../xds-server/src/translate/auth/translate.js';
import { AuthDatapath, attachAuthPrograms } from './auth-map.js';
import { authDatapathEntries } from './auth-sync.js';
import { attach, cgroupId, Steering, type AttachReport } from './loader.js';
import { serviceKeys, type SkippedServicePort } from './services.js';
import { COUNTERS, type Cidr4, type Role, type SteeringConfig } from './structs.js';

export interface AgentOptions {
  /** The node's cgroup (programs are attached to it). */
  cgroup: string;
  pinRoot: string;
  config: SteeringConfig;
  /** Mesh configuration directory (watched). */
  configDir: string;
  meshCgroups: string[];
  proxyCgroups: string[];
  excludeCgroups: string[];
  excludePorts: number[];
  excludeCidrs: Cidr4[];
  trustDomain: string;
  clusterDomain: string;
  log: Logger;
  /** host:port of the agent's own /metrics and /ready; undefined = none. */
  admin?: string;
  /** Debounce of directory changes (ms). */
  debounceMs?: number;
  /**
   * The receive side of issue #6: attach nm_auth_ingress to the mesh cgroups
   * and keep nm_ip_identity and nm_auth_required in sync with the model
   * (auth-sync.ts). Off by default: nothing on the initiating side triggers a
   * handshake yet, so a required flow opens only once an auth agent wrote
   * its entry.
   */
  authDatapath?: boolean;
}

export interface SyncResult {
  generation: number;
  steered: number;
  added: number;
  removed: number;
  unchanged: number;
  skipped: SkippedServicePort[];
}

export class AgentMetrics {
  readonly registry = new client.Registry();
  readonly syncs = new client.Counter({ name: 'nodemesh_bpf_agent_syncs_total', help: 'Service map syncs (start and every configuration change)', registers: [this.registry] });
  readonly syncErrors = new client.Counter({ name: 'nodemesh_bpf_agent_sync_errors_total', help: 'Syncs that failed (the map keeps its previous entries)', registers: [this.registry] });
  readonly added = new client.Counter({ name: 'nodemesh_bpf_agent_services_added_total', help: 'VIP:ports added to nm_services', registers: [this.registry] });
  readonly removed = new client.Counter({ name: 'nodemesh_bpf_agent_services_removed_total', help: 'VIP:ports removed from nm_services', registers: [this.registry] });
  readonly steered = new client.Gauge({ name: 'nodemesh_bpf_agent_services_steered', help: 'VIP:ports in nm_services after the last sync', registers: [this.registry] });
  readonly skipped = new client.Gauge({ name: 'nodemesh_bpf_agent_services_skipped', help: 'Service ports not steered (invalid port, non-TCP, IPv6), last sync', registers: [this.registry] });
  /** The programs' own counters, read from the pinned map at scrape time. */
  readonly kernel = new client.Gauge({ name: 'nodemesh_bpf_program_events', help: 'Steering program counters by reason (nm_counters, summed over CPUs; monotonic)', labelNames: ['reason'] as const, registers: [this.registry] });
}

export class SteeringAgent {
  readonly metrics = new AgentMetrics();
  private steering?: Steering;
  private auth?: AuthDatapath;
  private provider?: FileProvider;
  private server?: http.Server;
  private generation = 0;
  /** Set once start() is done. */
  report?: AttachReport;
  adminAddress?: string;
  last?: SyncResult;

  constructor(private readonly opts: AgentOptions) {}

  async start(): Promise<void> {
    const { opts } = this;
    const { steering, report } = attach({ cgroup: opts.cgroup, pinRoot: opts.pinRoot, config: opts.config });
    this.steering = steering;
    this.report = report;
    opts.log.info('steering attached', {
      cgroup: opts.cgroup,
      pinRoot: opts.pinRoot,
      programs: report.programs,
      mapsReused: report.maps.filter((m) => m.reused).length,
      maps: report.maps.length,
      removedLinks: report.removedLinks,
    });
    this.applyRoles();
    if (opts.authDatapath) {
      const r = attachAuthPrograms({ cgroups: opts.meshCgroups, pinRoot: opts.pinRoot });
      this.auth = AuthDatapath.open(opts.pinRoot);
      opts.log.info('auth datapath attached', { links: r.links, removedLinks: r.removedLinks });
    }
    steering.setExclusions({ ports: opts.excludePorts, cidrs: opts.excludeCidrs });

    this.provider = new FileProvider({ dir: opts.configDir, logger: (f) => opts.log.debug('file provider', f), debounceMs: opts.debounceMs ?? 100 });
    this.provider.onChange(() => this.sync());
    await this.provider.start();
    this.sync();
    if (opts.admin) await this.startAdmin(opts.admin);
  }

  /** Roles of exactly the cgroups the agent was given; stale entries (an earlier run's) are removed. */
  private applyRoles(): void {
    const roles = new Map<bigint, Role>();
    for (const [list, role] of [
      [this.opts.meshCgroups, 'mesh'],
      [this.opts.proxyCgroups, 'proxy'],
      [this.opts.excludeCgroups, 'excluded'],
    ] as const) {
      for (const path of list) roles.set(cgroupId(path), role);
    }
    const s = this.steering!;
    for (const { id } of s.cgroupRoles()) if (!roles.has(id)) s.setCgroupIdRole(id, 'none');
    for (const [id, role] of roles) s.setCgroupIdRole(id, role);
  }

  /** Translates the provider's current resources and syncs nm_services. Never throws. */
  sync(): SyncResult | undefined {
    if (!this.steering || !this.provider) return undefined;
    const { resources, errors } = this.provider.current();
    try {
      const { model, errors: translateErrors } = translateResources(resources, { trustDomain: this.opts.trustDomain, clusterDomain: this.opts.clusterDomain });
      const { keys, skipped } = serviceKeys(model);
      const d = this.steering.syncServices(keys);
      this.generation++;
      const r: SyncResult = { generation: this.generation, steered: keys.length, ...d, skipped };
      this.last = r;
      this.metrics.syncs.inc();
      this.metrics.added.inc(d.added);
      this.metrics.removed.inc(d.removed);
      this.metrics.steered.set(keys.length);
      this.metrics.skipped.set(skipped.length);
      this.opts.log.info('services synced', {
        generation: r.generation,
        steered: r.steered,
        added: d.added,
        removed: d.removed,
        unchanged: d.unchanged,
        configErrors: errors.length + translateErrors.length,
        ...(skipped.length ? { skipped } : {}),
      });
      if (this.auth) {
        const a = authDatapathEntries(resources, { ...model, authPolicies: translateAuthPolicies(resources, model).authPolicies });
        const ips = this.auth.syncIpIdentities(a.ipIdentities);
        const req = this.auth.syncRequirements(a.requirements);
        this.opts.log.info('auth datapath synced', {
          generation: r.generation,
          identities: a.ipIdentities.length,
          ipSet: ips.set,
          ipRemoved: ips.removed,
          requirements: a.requirements.length,
          requirementsAdded: req.added,
          requirementsRemoved: req.removed,
          requirementsChanged: req.changed,
          ...(a.skipped.length ? { skipped: a.skipped } : {}),
        });
      }
      return r;
    } catch (e) {
      this.metrics.syncErrors.inc();
      this.opts.log.error('services sync failed; nm_services keeps its previous entries', { error: e as Error });
      return undefined;
    }
  }

  private async startAdmin(addr: string): Promise<void> {
    const i = addr.lastIndexOf(':');
    const server = http.createServer((req, res) => {
      if (req.url === '/ready') {
        res.writeHead(this.last ? 200 : 503).end(this.last ? 'ready\n' : 'not synced\n');
        return;
      }
      if (req.url !== '/metrics') {
        res.writeHead(404).end('/metrics, /ready\n');
        return;
      }
      try {
        const c = this.steering?.counters();
        if (c) for (const name of COUNTERS) this.metrics.kernel.set({ reason: name }, Number(c[name]));
      } catch {
        // pins removed under the agent (bpf detach): the agent's own metrics still answer
      }
      this.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
        (e: Error) => res.writeHead(500).end(e.message),
      );
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(Number(addr.slice(i + 1)), addr.slice(0, i), resolve));
    const a = server.address() as AddressInfo;
    this.server = server;
    this.adminAddress = `${a.address}:${a.port}`;
  }

  /** Stops watching and closes the agent's handles; pins and links stay (see the header). */
  async stop(): Promise<void> {
    this.provider?.stop();
    this.provider = undefined;
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
    this.steering?.close();
    this.steering = undefined;
    this.auth?.close();
    this.auth = undefined;
  }
}

// The embedded engine's xDS client: one Delta ADS stream, as Envoy's
// bootstrap configures it. Wildcard clusters and listeners; endpoints and
// routes by the names those carry. A response is applied whole or not at
// all: if any resource in it fails `validate` (the engine's "can I honour
// this?"), the response is NACKed with every reason and the last accepted
// configuration stays in force. Reconnects resume with
// initial_resource_versions, so a restart of either side resends nothing the
// client already has.
import * as grpc from '@grpc/grpc-js';
import { decodeMessage } from '../../../api/src/any.js';
import { messageName, TypeUrl, type ResourceTypeUrl } from '../../../api/src/type-urls.js';
import type { Logger } from '../../../xds-server/src/log.js';
import { adsServiceDefinition } from '../../../xds-server/src/server/messages.js';

export interface ClientNode {
  id: string;
  cluster: string;
  locality?: { region?: string; zone?: string; sub_zone?: string };
}

export interface XdsClientOptions {
  /** `unix:/path` or `host:port` of the xDS server. */
  address: string;
  node: ClientNode;
  log: Logger;
  /** Reasons the engine cannot honour a resource; empty when it can. */
  validate?: (typeUrl: ResourceTypeUrl, name: string, message: Record<string, unknown>) => string[];
  /**
   * Reasons the response as a whole cannot be applied, once every resource
   * passed `validate`: `incoming` maps each changed name to its message and
   * each removed name to undefined (listeners must build as a set).
   */
  validateResponse?: (typeUrl: ResourceTypeUrl, incoming: ReadonlyMap<string, Record<string, unknown> | undefined>) => string[];
}

export interface StoredResource {
  version: string;
  message: Record<string, unknown>;
}

interface DeltaResponse {
  type_url: string;
  nonce: string;
  system_version_info: string;
  resources: { name: string; version: string; resource: { type_url: string; value: Buffer } | null }[];
  removed_resources: string[];
}

type Duplex = grpc.ClientDuplexStream<object, DeltaResponse>;

const Ads = grpc.makeGenericClientConstructor(adsServiceDefinition, 'AggregatedDiscoveryService');
const WILDCARD: readonly ResourceTypeUrl[] = [TypeUrl.Cluster, TypeUrl.Listener];
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

export class DeltaXdsClient {
  private readonly store = new Map<ResourceTypeUrl, Map<string, StoredResource>>();
  /** Names subscribed on the current stream, for the by-name types. */
  private readonly subscribed = new Map<ResourceTypeUrl, Set<string>>();
  private readonly listeners = new Set<(typeUrl: ResourceTypeUrl) => void>();
  private readonly receivedTypes = new Set<ResourceTypeUrl>();
  private client?: grpc.Client;
  private stream?: Duplex;
  private stopped = false;
  private backoffMs = 100;
  private retryTimer?: NodeJS.Timeout;
  /** The last NACK sent, for status and tests. */
  lastNack?: { typeUrl: string; message: string };

  constructor(private readonly opts: XdsClientOptions) {}

  start(): void {
    this.stopped = false;
    this.client = new Ads(this.opts.address, grpc.credentials.createInsecure());
    this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stream?.cancel();
    this.client?.close();
  }

  /** Whether a response of this type was ever accepted. */
  received(typeUrl: ResourceTypeUrl): boolean {
    return this.receivedTypes.has(typeUrl);
  }

  /** For endpoints and routes: how many subscribed names have not arrived yet. */
  pendingSubscriptions(): number[] {
    return [TypeUrl.ClusterLoadAssignment, TypeUrl.RouteConfiguration].map((t) => {
      const have = this.resources(t);
      return [...(this.subscribed.get(t) ?? [])].filter((n) => !have.has(n)).length;
    });
  }

  resources(typeUrl: ResourceTypeUrl): ReadonlyMap<string, StoredResource> {
    return this.store.get(typeUrl) ?? new Map();
  }

  /** Called with the type after every applied response. */
  onChange(listener: (typeUrl: ResourceTypeUrl) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private open(): void {
    const md = new grpc.Metadata();
    md.setOptions({ waitForReady: true });
    const stream = (this.client as unknown as { DeltaAggregatedResources(md: grpc.Metadata): Duplex }).DeltaAggregatedResources(md);
    this.stream = stream;
    this.subscribed.clear();
    let first = true;
    const node = { ...this.opts.node, user_agent_name: 'nodemesh-embedded', metadata: { fields: { 'nodemesh.io/profile': { stringValue: 'envoy' } } } };
    for (const typeUrl of WILDCARD) {
      stream.write({ ...(first ? { node } : {}), type_url: typeUrl, initial_resource_versions: this.versions(typeUrl) });
      first = false;
    }
    this.resubscribe();
    stream.on('data', (r: DeltaResponse) => {
      this.backoffMs = 100;
      this.onResponse(r);
    });
    stream.on('error', (err: grpc.ServiceError) => {
      if (this.stopped) return;
      this.opts.log.warn('xds stream failed; reconnecting', { code: err.code, error: err.details, inMs: this.backoffMs });
      this.retryTimer = setTimeout(() => this.open(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 5000);
    });
  }

  private onResponse(r: DeltaResponse): void {
    const typeUrl = r.type_url as ResourceTypeUrl;
    const decoded: [string, StoredResource][] = [];
    const problems: string[] = [];
    for (const res of r.resources) {
      try {
        const message = decodeMessage(messageName(typeUrl), res.resource?.value ?? Buffer.alloc(0));
        for (const p of this.opts.validate?.(typeUrl, res.name, message) ?? []) problems.push(`${res.name}: ${p}`);
        decoded.push([res.name, { version: res.version, message }]);
      } catch (err) {
        problems.push(`${res.name}: cannot decode: ${(err as Error).message}`);
      }
    }
    if (!problems.length && this.opts.validateResponse) {
      const incoming = new Map<string, Record<string, unknown> | undefined>(decoded.map(([n, r]) => [n, r.message]));
      for (const n of r.removed_resources) incoming.set(n, undefined);
      problems.push(...this.opts.validateResponse(typeUrl, incoming));
    }
    if (problems.length) {
      const message = problems.join('; ');
      this.lastNack = { typeUrl, message };
      this.opts.log.warn('rejecting xds response; keeping the last accepted configuration', { typeUrl, problems });
      this.stream?.write({ type_url: typeUrl, response_nonce: r.nonce, error_detail: { code: grpc.status.INVALID_ARGUMENT, message } });
      return;
    }
    let store = this.store.get(typeUrl);
    if (!store) this.store.set(typeUrl, (store = new Map()));
    this.receivedTypes.add(typeUrl);
    for (const [name, res] of decoded) store.set(name, res);
    for (const name of r.removed_resources) store.delete(name);
    this.stream?.write({ type_url: typeUrl, response_nonce: r.nonce });
    this.resubscribe();
    for (const l of this.listeners) l(typeUrl);
  }

  /** Subscribes to the endpoints and routes that the current clusters and listeners name. */
  private resubscribe(): void {
    this.sync(TypeUrl.ClusterLoadAssignment, edsNames(this.resources(TypeUrl.Cluster)));
    this.sync(TypeUrl.RouteConfiguration, rdsNames(this.resources(TypeUrl.Listener)));
    this.sync(TypeUrl.Secret, sdsNames([...this.resources(TypeUrl.Cluster).values(), ...this.resources(TypeUrl.Listener).values()]));
  }

  private sync(typeUrl: ResourceTypeUrl, wanted: Set<string>): void {
    const had = this.subscribed.get(typeUrl);
    const subscribe = [...wanted].filter((n) => !had?.has(n));
    const unsubscribe = [...(had ?? [])].filter((n) => !wanted.has(n));
    if (!had && wanted.size === 0) return; // an empty first request would mean "wildcard"
    if (had && subscribe.length === 0 && unsubscribe.length === 0) return;
    this.subscribed.set(typeUrl, wanted);
    for (const n of unsubscribe) this.store.get(typeUrl)?.delete(n);
    this.stream?.write({
      type_url: typeUrl,
      resource_names_subscribe: subscribe,
      resource_names_unsubscribe: unsubscribe,
      ...(had ? {} : { initial_resource_versions: this.versions(typeUrl, wanted) }),
    });
  }

  private versions(typeUrl: ResourceTypeUrl, only?: Set<string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, r] of this.resources(typeUrl)) if (!only || only.has(name)) out[name] = r.version;
    return out;
  }
}

function edsNames(clusters: ReadonlyMap<string, StoredResource>): Set<string> {
  const out = new Set<string>();
  for (const [name, { message }] of clusters) {
    if (message.type !== 'EDS') continue;
    const eds = message.eds_cluster_config as { service_name?: string } | undefined;
    out.add(eds?.service_name || name);
  }
  return out;
}

function rdsNames(listeners: ReadonlyMap<string, StoredResource>): Set<string> {
  const out = new Set<string>();
  const fromAny = (any: unknown) => {
    const a = any as { type_url?: string; value?: Buffer } | undefined;
    if (a?.type_url !== HCM || !a.value) return;
    const hcm = decodeMessage(messageName(HCM), a.value) as { rds?: { route_config_name?: string } };
    if (hcm.rds?.route_config_name) out.add(hcm.rds.route_config_name);
  };
  for (const { message } of listeners.values()) {
    const chains = [...((message.filter_chains as unknown[]) ?? []), message.default_filter_chain].filter(Boolean) as { filters?: { typed_config?: unknown }[] }[];
    for (const chain of chains) for (const f of chain.filters ?? []) fromAny(f.typed_config);
    fromAny((message.api_listener as { api_listener?: unknown } | undefined)?.api_listener);
  }
  return out;
}

const TLS_CONTEXTS = new Set([
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
]);

/** SDS secret names that clusters' and listeners' TLS transport sockets refer to. */
function sdsNames(resources: StoredResource[]): Set<string> {
  const out = new Set<string>();
  const fromSocket = (ts: unknown) => {
    const a = (ts as { typed_config?: { type_url?: string; value?: Buffer } } | undefined)?.typed_config;
    if (!a?.type_url || !TLS_CONTEXTS.has(a.type_url) || !a.value) return;
    const ctx = decodeMessage(messageName(a.type_url), a.value) as { common_tls_context?: CommonTls };
    const c = ctx.common_tls_context;
    for (const s of c?.tls_certificate_sds_secret_configs ?? []) if (s.name) out.add(s.name);
    const v = c?.validation_context_sds_secret_config?.name ?? c?.combined_validation_context?.validation_context_sds_secret_config?.name;
    if (v) out.add(v);
  };
  for (const { message } of resources) {
    fromSocket(message.transport_socket);
    const chains = [...((message.filter_chains as unknown[]) ?? []), message.default_filter_chain].filter(Boolean) as { transport_socket?: unknown }[];
    for (const chain of chains) fromSocket(chain.transport_socket);
  }
  return out;
}

interface CommonTls {
  tls_certificate_sds_secret_configs?: { name?: string }[];
  validation_context_sds_secret_config?: { name?: string };
  combined_validation_context?: { validation_context_sds_secret_config?: { name?: string } };
}

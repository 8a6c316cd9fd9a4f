// An xDS server that serves exactly the Envoy resources a test gives it,
// through nodemesh's real ADS server (so the engine under test speaks the
// same protocol as in production). Tests of features the mesh translator does
// not emit yet (redirects, retries, ring hash, …) program the engine this way.
import { encodeMessage } from '../../../../api/src/any.js';
import { messageName, TypeUrl, type ResourceTypeUrl } from '../../../../api/src/type-urls.js';
import { EncodedResource } from '../../../../xds-server/src/cache/resource.js';
import { SnapshotCache } from '../../../../xds-server/src/cache/snapshot-cache.js';
import { Snapshot } from '../../../../xds-server/src/cache/snapshot.js';
import { silentLogger } from '../../../../xds-server/src/log.js';
import { XdsMetrics } from '../../../../xds-server/src/metrics.js';
import { XdsGrpcServer } from '../../../../xds-server/src/server/grpc-server.js';
import { StreamRegistry } from '../../../../xds-server/src/server/stream-status.js';
import type { Cluster } from '../../../../api/src/generated/envoy/config/cluster/v3/Cluster.js';
import type { ClusterLoadAssignment } from '../../../../api/src/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.js';
import type { Listener } from '../../../../api/src/generated/envoy/config/listener/v3/Listener.js';
import type { RouteConfiguration } from '../../../../api/src/generated/envoy/config/route/v3/RouteConfiguration.js';
import type { Secret } from '../../../../api/src/generated/envoy/extensions/transport_sockets/tls/v3/Secret.js';

export interface StaticResources {
  clusters?: Cluster[];
  endpoints?: ClusterLoadAssignment[];
  listeners?: Listener[];
  routes?: RouteConfiguration[];
  secrets?: Secret[];
}

export class StaticXdsServer {
  readonly registry = new StreamRegistry(silentLogger, new XdsMetrics());
  private readonly cache = new SnapshotCache(() => 'all');
  private readonly server = new XdsGrpcServer({ cache: this.cache, registry: this.registry, log: silentLogger, listen: ['127.0.0.1:0'] });
  private version = 0;
  address = '';

  async start(): Promise<string> {
    this.address = (await this.server.start())[0]!;
    return this.address;
  }

  /** Replaces everything served. Not checked for consistency: tests may serve broken config on purpose. */
  set(res: StaticResources): void {
    const enc = (typeUrl: ResourceTypeUrl, list: { name?: string; cluster_name?: string }[] = []) =>
      list.map((m) => new EncodedResource(typeUrl, m.name ?? m.cluster_name ?? '', encodeMessage(messageName(typeUrl), m)));
    this.cache.setSnapshot(
      'all',
      new Snapshot(String(++this.version), {
        [TypeUrl.Cluster]: enc(TypeUrl.Cluster, res.clusters),
        [TypeUrl.ClusterLoadAssignment]: enc(TypeUrl.ClusterLoadAssignment, res.endpoints),
        [TypeUrl.Listener]: enc(TypeUrl.Listener, res.listeners),
        [TypeUrl.RouteConfiguration]: enc(TypeUrl.RouteConfiguration, res.routes),
        [TypeUrl.Secret]: enc(TypeUrl.Secret, res.secrets),
      }),
    );
  }

  /** The last NACK a client sent for `type` (cds, lds, eds, rds, sds), if any. */
  nack(type: 'cds' | 'lds' | 'eds' | 'rds' | 'sds'): string | undefined {
    for (const s of this.registry.list()) {
      const n = s.types[type]?.nack;
      if (n) return n.message;
    }
    return undefined;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

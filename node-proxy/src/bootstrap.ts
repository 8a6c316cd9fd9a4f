// Envoy bootstrap for a node proxy: identity of the node, every dynamic
// resource over one Delta ADS stream to nodemesh's xDS server, admin on
// localhost only, the overload manager's limits and an optional statsd sink.
// Hot restart needs nothing here: it is driven by the command line
// (src/envoy/supervisor.ts).
import { decodeForDisplay, encodeMessage, packAny } from '../../api/src/any.js';
import type { Bootstrap } from '../../api/src/generated/envoy/config/bootstrap/v3/Bootstrap.js';
import type { Cluster } from '../../api/src/generated/envoy/config/cluster/v3/Cluster.js';
import type { Listener } from '../../api/src/generated/envoy/config/listener/v3/Listener.js';
import type { StatsdSink } from '../../api/src/generated/envoy/config/metrics/v3/StatsdSink.js';
import type { StatsSink } from '../../api/src/generated/envoy/config/metrics/v3/StatsSink.js';
import type { OverloadManager } from '../../api/src/generated/envoy/config/overload/v3/OverloadManager.js';
import type { HttpProtocolOptions } from '../../api/src/generated/envoy/extensions/upstreams/http/v3/HttpProtocolOptions.js';
import type { DownstreamConnectionsConfig } from '../../api/src/generated/envoy/extensions/resource_monitors/downstream_connections/v3/DownstreamConnectionsConfig.js';
import type { FixedHeapConfig } from '../../api/src/generated/envoy/extensions/resource_monitors/fixed_heap/v3/FixedHeapConfig.js';

const FIXED_HEAP_CONFIG = 'envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig';
const DOWNSTREAM_CONNECTIONS_CONFIG = 'envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig';

export interface BootstrapOptions {
  nodeId: string;
  /** Envoy's --service-cluster; nodemesh uses the node name. */
  cluster: string;
  locality?: { region?: string; zone?: string; subzone?: string };
  /** The xDS server: `unix:/path` or `host:port`. */
  xdsAddress: string;
  adminPort: number;
  /** Static listeners added to the bootstrap (tests, or a fixed ingress). */
  staticListeners?: Listener[];
  /**
   * Heap the overload manager treats as 100 %: Envoy shrinks its heap at 95 %
   * and stops accepting requests at 98 %. Without it Envoy grows until the
   * kernel's OOM killer ends it, dropping every connection at once.
   */
  maxHeapBytes?: number;
  /** Open downstream connections across all listeners beyond which Envoy refuses new ones. */
  maxDownstreamConnections?: number;
  /** `host:port` of a statsd daemon (UDP) to push Envoy's stats to. */
  statsdAddress?: string;
}

export const XDS_CLUSTER = 'nodemesh_xds';

export function envoyBootstrap(o: BootstrapOptions): Bootstrap {
  const unix = o.xdsAddress.startsWith('unix:') ? o.xdsAddress.slice('unix:'.length) : undefined;
  const [host, port] = unix ? ['', 0] : splitHostPort(o.xdsAddress);
  const xdsCluster: Cluster = {
    name: XDS_CLUSTER,
    type: 'STATIC',
    connect_timeout: { seconds: '1', nanos: 0 },
    // ADS is gRPC: HTTP/2 to the control plane.
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': packAny('envoy.extensions.upstreams.http.v3.HttpProtocolOptions', {
        explicit_http_config: { http2_protocol_options: {} },
      } satisfies HttpProtocolOptions),
    },
    load_assignment: {
      cluster_name: XDS_CLUSTER,
      endpoints: [
        {
          lb_endpoints: [
            { endpoint: { address: unix ? { pipe: { path: unix } } : { socket_address: { address: host, port_value: port } } } },
          ],
        },
      ],
    },
  };
  return {
    node: {
      id: o.nodeId,
      cluster: o.cluster,
      locality: { region: o.locality?.region ?? '', zone: o.locality?.zone ?? '', sub_zone: o.locality?.subzone ?? '' },
      metadata: { fields: { 'nodemesh.io/profile': { stringValue: 'envoy' } } },
    },
    dynamic_resources: {
      ads_config: {
        api_type: 'DELTA_GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: XDS_CLUSTER } }],
        set_node_on_first_message_only: true,
      },
      lds_config: { ads: {}, resource_api_version: 'V3' },
      cds_config: { ads: {}, resource_api_version: 'V3' },
    },
    static_resources: { clusters: [xdsCluster], listeners: o.staticListeners ?? [] },
    // The admin API can drain and stop Envoy: loopback only.
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: o.adminPort } } },
    overload_manager: overloadManager(o),
    stats_sinks: statsSinks(o),
    // Envoy's default tag extraction (cluster, listener, response code…) and
    // no nodemesh-specific tags: dashboards built for stock Envoy keep working.
    stats_config: { use_all_default_tags: { value: true } },
  };
}

export const FIXED_HEAP_MONITOR = 'envoy.resource_monitors.fixed_heap';
export const DOWNSTREAM_CONNECTIONS_MONITOR = 'envoy.resource_monitors.global_downstream_max_connections';

function overloadManager(o: BootstrapOptions): OverloadManager | undefined {
  if (o.maxHeapBytes === undefined && o.maxDownstreamConnections === undefined) return undefined;
  const om: OverloadManager = { refresh_interval: { seconds: '0', nanos: 250_000_000 }, resource_monitors: [], actions: [] };
  if (o.maxHeapBytes !== undefined) {
    om.resource_monitors!.push({
      name: FIXED_HEAP_MONITOR,
      typed_config: packAny(FIXED_HEAP_CONFIG, { max_heap_size_bytes: o.maxHeapBytes } satisfies FixedHeapConfig),
    });
    // Shrinking first returns freed pages to the OS; refusing requests is the
    // last step before the heap limit, so it fires later.
    om.actions!.push(
      { name: 'envoy.overload_actions.shrink_heap', triggers: [{ name: FIXED_HEAP_MONITOR, threshold: { value: 0.95 } }] },
      { name: 'envoy.overload_actions.stop_accepting_requests', triggers: [{ name: FIXED_HEAP_MONITOR, threshold: { value: 0.98 } }] },
    );
  }
  if (o.maxDownstreamConnections !== undefined) {
    // A proactive monitor: Envoy checks it on accept, so it takes no actions.
    om.resource_monitors!.push({
      name: DOWNSTREAM_CONNECTIONS_MONITOR,
      typed_config: packAny(DOWNSTREAM_CONNECTIONS_CONFIG, {
        max_active_downstream_connections: o.maxDownstreamConnections,
      } satisfies DownstreamConnectionsConfig),
    });
  }
  return om;
}

function statsSinks(o: BootstrapOptions): StatsSink[] {
  if (!o.statsdAddress) return [];
  const [address, port] = splitHostPort(o.statsdAddress);
  const sink: StatsdSink = { address: { socket_address: { protocol: 'UDP', address, port_value: port } } };
  return [{ name: 'envoy.stat_sinks.statsd', typed_config: packAny('envoy.config.metrics.v3.StatsdSink', sink) }];
}

/** The bootstrap as Envoy's JSON (proto field names, Any as @type), ready for `envoy -c`. */
export function bootstrapJson(b: Bootstrap): string {
  return JSON.stringify(decodeForDisplay('envoy.config.bootstrap.v3.Bootstrap', encodeMessage('envoy.config.bootstrap.v3.Bootstrap', b)), null, 2);
}

function splitHostPort(a: string): [string, number] {
  const i = a.lastIndexOf(':');
  return [a.slice(0, i).replace(/^\[|\]$/g, ''), Number(a.slice(i + 1))];
}

/**
 * The bootstrap of a proxyless gRPC client (gRFC A27): nodemesh's xDS server
 * over plaintext, and the node's identity. gRPC reads it from
 * GRPC_XDS_BOOTSTRAP_CONFIG (or a file named by GRPC_XDS_BOOTSTRAP).
 */
export function grpcXdsBootstrap(o: { xdsAddress: string; nodeId: string; locality?: { region?: string; zone?: string } }): string {
  return JSON.stringify({
    xds_servers: [{ server_uri: o.xdsAddress, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: o.nodeId, locality: o.locality ?? {} },
  });
}

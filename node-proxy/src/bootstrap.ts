// Envoy bootstrap for a node proxy: identity of the node, every dynamic
// resource over one Delta ADS stream to nodemesh's xDS server, admin on
// localhost only. Issue #3 grows this (overload manager, stats sinks, hot
// restart); the shape here is what the Envoy suite and `nodemesh` emit today.
import { decodeForDisplay, encodeMessage } from '../../api/src/any.js';
import type { Bootstrap } from '../../api/src/generated/envoy/config/bootstrap/v3/Bootstrap.js';
import type { Cluster } from '../../api/src/generated/envoy/config/cluster/v3/Cluster.js';
import type { Listener } from '../../api/src/generated/envoy/config/listener/v3/Listener.js';
import type { HttpProtocolOptions } from '../../api/src/generated/envoy/extensions/upstreams/http/v3/HttpProtocolOptions.js';
import { packAny } from '../../api/src/any.js';

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
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: o.adminPort } } },
  };
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

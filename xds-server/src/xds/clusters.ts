// Clusters: one EDS cluster per service port.
import { packAny } from '../../../api/src/any.js';
import type { Cluster } from '../../../api/src/generated/envoy/config/cluster/v3/Cluster.js';
import type { HttpProtocolOptions } from '../../../api/src/generated/envoy/extensions/upstreams/http/v3/HttpProtocolOptions.js';
import type { Service, ServicePort } from '../model/types.js';
import { ADS_SOURCE } from './common.js';
import { clusterName, http2ClusterName, PASSTHROUGH_CLUSTER } from './names.js';

/** Envoy's default; stated so a proxy and the embedded engine agree. */
const CONNECT_TIMEOUT = { seconds: '5', nanos: 0 };

export function serviceCluster(svc: Service, port: ServicePort): Cluster {
  const name = clusterName(svc, port);
  const cluster: Cluster = {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS_SOURCE, service_name: name },
    connect_timeout: CONNECT_TIMEOUT,
    lb_policy: svc.lbPolicy,
  };
  // gRPC and HTTP/2 backends must be spoken to in HTTP/2; the proxy cannot
  // guess it from a downstream HTTP/1.1 request.
  if (port.appProtocol === 'grpc' || port.appProtocol === 'http2') cluster.typed_extension_protocol_options = http2Options();
  return cluster;
}

function http2Options(): NonNullable<Cluster['typed_extension_protocol_options']> {
  const opts: HttpProtocolOptions = { explicit_http_config: { http2_protocol_options: {} } };
  return { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': packAny('envoy.extensions.upstreams.http.v3.HttpProtocolOptions', opts) };
}

/**
 * The port's cluster, speaking HTTP/2 (h2c) to the same endpoints: its EDS
 * service_name is the port's own ClusterLoadAssignment, so no endpoint is
 * sent twice. Emitted only for ports some route needs it for (translator.ts).
 */
export function http2VariantCluster(svc: Service, port: ServicePort): Cluster {
  const base = serviceCluster(svc, port);
  return { ...base, name: http2ClusterName(base.name!), typed_extension_protocol_options: http2Options() };
}

/** Forwards to the connection's original destination: traffic to addresses the mesh does not manage. */
export function passthroughCluster(): Cluster {
  return {
    name: PASSTHROUGH_CLUSTER,
    type: 'ORIGINAL_DST',
    lb_policy: 'CLUSTER_PROVIDED',
    connect_timeout: CONNECT_TIMEOUT,
  };
}

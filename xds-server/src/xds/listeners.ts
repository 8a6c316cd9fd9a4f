// Listeners. Envoy profile: one capture listener on the node proxy port, where
// the socket-level steering sends workload connections, handing each one to
// the per-service-port listener of its original destination (bind_to_port
// false). Proxyless profile: API listeners named like the gRPC target.
import { packAny } from '../../../api/src/any.js';
import type { AccessLog } from '../../../api/src/generated/envoy/config/accesslog/v3/AccessLog.js';
import type { FileAccessLog } from '../../../api/src/generated/envoy/extensions/access_loggers/file/v3/FileAccessLog.js';
import type { Listener } from '../../../api/src/generated/envoy/config/listener/v3/Listener.js';
import type { OriginalDst } from '../../../api/src/generated/envoy/extensions/filters/listener/original_dst/v3/OriginalDst.js';
import type { TcpProxy } from '../../../api/src/generated/envoy/extensions/filters/network/tcp_proxy/v3/TcpProxy.js';
import type { Service, ServicePort } from '../model/types.js';
import { httpConnectionManager, statName } from './common.js';
import { clusterName, hostPortName, OUTBOUND_LISTENER, PASSTHROUGH_CLUSTER, vipListenerName } from './names.js';

export function isHttpPort(port: ServicePort): boolean {
  return port.appProtocol === 'http' || port.appProtocol === 'http2' || port.appProtocol === 'grpc';
}

function tcpProxy(statPrefix: string, cluster: string, accessLog?: AccessLog[]) {
  const cfg: TcpProxy = { stat_prefix: statPrefix, cluster, ...(accessLog ? { access_log: accessLog } : {}) };
  return packAny('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', cfg);
}

/**
 * What `xds-server --access-log PATH` (opt-in) writes per request or
 * connection of the mesh listeners. downstream_local_address is the
 * connection's original destination (the service VIP:port the workload
 * dialed, recovered with SO_ORIGINAL_DST behind eBPF steering or iptables),
 * upstream_host the endpoint that served it.
 */
export const MESH_ACCESS_LOG_FORMAT: Readonly<Record<string, string>> = {
  start_time: '%START_TIME%',
  protocol: '%PROTOCOL%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(:PATH)%',
  authority: '%REQ(:AUTHORITY)%',
  response_code: '%RESPONSE_CODE%',
  response_flags: '%RESPONSE_FLAGS%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  duration: '%DURATION%',
  downstream_remote_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
  downstream_local_address: '%DOWNSTREAM_LOCAL_ADDRESS%',
  upstream_host: '%UPSTREAM_HOST%',
  upstream_cluster: '%UPSTREAM_CLUSTER%',
  route_name: '%ROUTE_NAME%',
};

/** Envoy's file access logger writing MESH_ACCESS_LOG_FORMAT as JSON lines to `path`. */
export function meshAccessLog(path: string): AccessLog[] {
  const fields = Object.fromEntries(Object.entries(MESH_ACCESS_LOG_FORMAT).map(([k, v]) => [k, { stringValue: v }]));
  const cfg: FileAccessLog = { path, log_format: { json_format: { fields } } };
  return [{ name: 'envoy.access_loggers.file', typed_config: packAny('envoy.extensions.access_loggers.file.v3.FileAccessLog', cfg) }];
}

export function outboundCaptureListener(address: string, port: number, accessLogPath?: string): Listener {
  return {
    name: OUTBOUND_LISTENER,
    address: { socket_address: { address, port_value: port } },
    use_original_dst: { value: true },
    traffic_direction: 'OUTBOUND',
    listener_filters: [
      {
        name: 'envoy.filters.listener.original_dst',
        typed_config: packAny('envoy.extensions.filters.listener.original_dst.v3.OriginalDst', {} satisfies OriginalDst),
      },
    ],
    // A destination no service listener claims is passed through unchanged.
    filter_chains: [
      {
        name: 'passthrough',
        filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: tcpProxy(PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER, accessLogPath ? meshAccessLog(accessLogPath) : undefined) }],
      },
    ],
  };
}

/** `accessLogPath`: see MESH_ACCESS_LOG_FORMAT (undefined: no access log, the default). */
export function vipListener(svc: Service, port: ServicePort, vip: string, accessLogPath?: string): Listener {
  const name = vipListenerName(vip, port);
  const accessLog = accessLogPath ? meshAccessLog(accessLogPath) : undefined;
  const filter = isHttpPort(port)
    ? { name: 'envoy.filters.network.http_connection_manager', typed_config: httpConnectionManager(statName(name), hostPortName(svc, port), [], accessLog) }
    : { name: 'envoy.filters.network.tcp_proxy', typed_config: tcpProxy(statName(name), clusterName(svc, port), accessLog) };
  return {
    name,
    address: { socket_address: { address: vip, port_value: port.port } },
    bind_to_port: { value: false },
    traffic_direction: 'OUTBOUND',
    filter_chains: [{ filters: [filter] }],
  };
}

export function apiListener(svc: Service, port: ServicePort): Listener {
  const name = hostPortName(svc, port);
  return { name, api_listener: { api_listener: httpConnectionManager(statName(name), name) } };
}

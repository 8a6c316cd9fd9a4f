// Listeners. Envoy profile: one capture listener on the node proxy port, where
// the socket-level steering sends workload connections, handing each one to
// the per-service-port listener of its original destination (bind_to_port
// false). Proxyless profile: API listeners named like the gRPC target.
import { packAny } from '../../../api/src/any.js';
import type { Listener } from '../../../api/src/generated/envoy/config/listener/v3/Listener.js';
import type { OriginalDst } from '../../../api/src/generated/envoy/extensions/filters/listener/original_dst/v3/OriginalDst.js';
import type { TcpProxy } from '../../../api/src/generated/envoy/extensions/filters/network/tcp_proxy/v3/TcpProxy.js';
import type { Service, ServicePort } from '../model/types.js';
import { httpConnectionManager, statName } from './common.js';
import { clusterName, hostPortName, OUTBOUND_LISTENER, PASSTHROUGH_CLUSTER, vipListenerName } from './names.js';

export function isHttpPort(port: ServicePort): boolean {
  return port.appProtocol === 'http' || port.appProtocol === 'http2' || port.appProtocol === 'grpc';
}

function tcpProxy(statPrefix: string, cluster: string) {
  const cfg: TcpProxy = { stat_prefix: statPrefix, cluster };
  return packAny('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', cfg);
}

export function outboundCaptureListener(address: string, port: number): Listener {
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
      { name: 'passthrough', filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: tcpProxy(PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER) }] },
    ],
  };
}

export function vipListener(svc: Service, port: ServicePort, vip: string): Listener {
  const name = vipListenerName(vip, port);
  const filter = isHttpPort(port)
    ? { name: 'envoy.filters.network.http_connection_manager', typed_config: httpConnectionManager(statName(name), hostPortName(svc, port)) }
    : { name: 'envoy.filters.network.tcp_proxy', typed_config: tcpProxy(statName(name), clusterName(svc, port)) };
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

// Gateway streams (model/gateway.ts StreamRouteIR) → Envoy: TLSRoutes and
// TCPRoutes become filter chains with envoy.filters.network.tcp_proxy (TLS:
// one chain per SNI name set, behind tls_inspector; Terminate adds a
// DownstreamTlsContext from SDS), UDPRoutes a UDP listener with the
// envoy.filters.udp_listener.udp_proxy listener filter — the mapping Envoy
// Gateway makes for TLSRoute, TCPRoute and UDPRoute.
//
// Connections that belong to invalid backendRefs go to INVALID_BACKEND_CLUSTER,
// a cluster that never exists: tcp_proxy closes such a connection at once and
// udp_proxy drops such datagrams — the spec's rejection, by weight for TCP.
import { packAny, type PackedAny } from '../../../api/src/any.js';
import type { FilterChain } from '../../../api/src/generated/envoy/config/listener/v3/FilterChain.js';
import type { Listener } from '../../../api/src/generated/envoy/config/listener/v3/Listener.js';
import type { TcpProxy } from '../../../api/src/generated/envoy/extensions/filters/network/tcp_proxy/v3/TcpProxy.js';
import type { Route as UdpRoute } from '../../../api/src/generated/envoy/extensions/filters/udp/udp_proxy/v3/Route.js';
import type { UdpProxyConfig } from '../../../api/src/generated/envoy/extensions/filters/udp/udp_proxy/v3/UdpProxyConfig.js';
import type { GatewayIR, GatewayPortIR, StreamRouteIR } from '../model/gateway.js';
import { statName } from './common.js';
import { downstreamTls } from './gateway-listeners.js';
import { gatewayListenerName, INVALID_BACKEND_CLUSTER } from './names.js';

export const TCP_PROXY_FILTER = 'envoy.filters.network.tcp_proxy';
export const UDP_PROXY_FILTER = 'envoy.filters.udp_listener.udp_proxy';

/**
 * A gateway's UDP listener on one address and port: the TCP-based listener of
 * the same port number has the plain name, so this one carries `/udp`.
 */
export const gatewayUdpListenerName = (gw: { namespace: string; name: string }, address: string, port: number): string =>
  `${gatewayListenerName(gw, address, port)}/udp`;

/**
 * The cluster choice of a stream: one cluster, weighted clusters, or the
 * never-existing cluster for the share (or all) of the connections that must
 * be refused. Weight-0 backends take no connection and are left out (Envoy's
 * ClusterWeight requires a weight of at least 1).
 */
export function streamClusters(s: StreamRouteIR): { name: string; weight: number }[] {
  const valid = s.backends.filter((b) => b.weight > 0);
  const total = valid.reduce((sum, b) => sum + b.weight, 0);
  const invalidShare = s.invalidBackendShare ?? 0;
  if (total === 0 || invalidShare >= 1) return [{ name: INVALID_BACKEND_CLUSTER, weight: 1 }];
  const out = valid.map((b) => ({ name: b.cluster, weight: b.weight }));
  // The IR gives the invalid part as a share of all weight; beside the valid
  // total W it is share·W/(1−share), the integer weight the translator started from.
  if (invalidShare > 0) out.push({ name: INVALID_BACKEND_CLUSTER, weight: Math.max(1, Math.round((invalidShare * total) / (1 - invalidShare))) });
  return out;
}

function tcpProxy(statPrefix: string, s: StreamRouteIR): PackedAny {
  const clusters = streamClusters(s);
  const cfg: TcpProxy =
    clusters.length === 1
      ? { stat_prefix: statPrefix, cluster: clusters[0]!.name }
      : { stat_prefix: statPrefix, weighted_clusters: { clusters: clusters.map((c) => ({ name: c.name, weight: c.weight })) } };
  return packAny('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', cfg);
}

/** The filter chain of one stream; TLS streams match their SNI names ([]: any SNI or none). */
export function streamChain(listenerName: string, s: StreamRouteIR): FilterChain {
  const chain: FilterChain = {
    name: s.name,
    filters: [{ name: TCP_PROXY_FILTER, typed_config: tcpProxy(statName(`${listenerName}|${s.name}`), s) }],
  };
  if (s.hostnames.length > 0) chain.filter_chain_match = { server_names: [...s.hostnames] };
  // Terminated TLS carries raw bytes to the backend: offer no ALPN, so a
  // client never believes it agreed on HTTP/2 with the gateway.
  if (s.terminate) chain.transport_socket = { name: 'envoy.transport_sockets.tls', typed_config: downstreamTls(s.terminate, []) };
  return chain;
}

/** The listener of a TCP port (its one stream), or undefined when no route is served there. */
export function tcpStreamListener(gw: GatewayIR, port: GatewayPortIR, address: string): Listener | undefined {
  const stream = port.streams[0];
  if (stream === undefined) return undefined;
  const name = gatewayListenerName(gw, address, port.port);
  return {
    name,
    address: { socket_address: { address, port_value: port.port } },
    traffic_direction: 'INBOUND',
    filter_chains: [streamChain(name, stream)],
  };
}

/**
 * The UDP listener of a UDP port: udp_proxy routes every session to the one
 * cluster (its matcher's on_no_match; UDPRoutes have no match criteria), or
 * undefined when no route is served there. udp_proxy has no weighted
 * clusters: the translator accepts no UDPRoute that would need them, and a
 * stream whose only weighted backend is invalid drops every datagram.
 */
export function udpStreamListener(gw: GatewayIR, port: GatewayPortIR, address: string): Listener | undefined {
  const stream = port.streams[0];
  if (stream === undefined) return undefined;
  const name = gatewayUdpListenerName(gw, address, port.port);
  const clusters = streamClusters(stream);
  // More than one would mean weights; never produced (see above), so the heaviest stands for all.
  const cluster = [...clusters].sort((a, b) => b.weight - a.weight)[0]!.name;
  const route: UdpRoute = { cluster };
  const cfg: UdpProxyConfig = {
    stat_prefix: statName(name),
    matcher: { on_no_match: { action: { name: 'route', typed_config: packAny('envoy.extensions.filters.udp.udp_proxy.v3.Route', route) } } },
  };
  return {
    name,
    address: { socket_address: { address, port_value: port.port, protocol: 'UDP' } },
    traffic_direction: 'INBOUND',
    udp_listener_config: {},
    listener_filters: [{ name: UDP_PROXY_FILTER, typed_config: packAny('envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig', cfg) }],
  };
}

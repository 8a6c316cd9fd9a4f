// Listeners and SDS secrets of gateway ports. Unlike the mesh's per-service
// listeners these bind their address: a gateway is where traffic from outside
// the mesh arrives, not a destination the capture listener hands over.
// Stream chains (TLS, TCP) and UDP listeners come from gateway-streams.ts.
import { packAny, type PackedAny } from '../../../api/src/any.js';
import type { FilterChain } from '../../../api/src/generated/envoy/config/listener/v3/FilterChain.js';
import type { Listener } from '../../../api/src/generated/envoy/config/listener/v3/Listener.js';
import type { TlsInspector } from '../../../api/src/generated/envoy/extensions/filters/listener/tls_inspector/v3/TlsInspector.js';
import type { DownstreamTlsContext } from '../../../api/src/generated/envoy/extensions/transport_sockets/tls/v3/DownstreamTlsContext.js';
import type { Secret } from '../../../api/src/generated/envoy/extensions/transport_sockets/tls/v3/Secret.js';
import type { GatewayIR, GatewayPortIR, TlsCertIR } from '../model/gateway.js';
import { ADS_SOURCE, httpConnectionManager, statName } from './common.js';
import { statefulSessionFilter } from './gateway-session.js';
import { streamChain, tcpStreamListener, udpStreamListener } from './gateway-streams.js';
import { gatewayListenerName, gatewayRouteName } from './names.js';

/** The addresses a gateway binds; the IR's documented default when it names none. */
export function gatewayAddresses(gw: GatewayIR): string[] {
  return gw.addresses.length ? gw.addresses : ['0.0.0.0'];
}

/** Certificate sets that can terminate TLS: an entry without a certificate could only fail handshakes. */
export function usableCertificates(port: GatewayPortIR): GatewayPortIR['certificates'] {
  return port.protocol === 'HTTPS' ? port.certificates.filter((c) => c.certs.length > 0) : [];
}

/**
 * The listener of a gateway port on one address, or undefined when it could
 * accept no connection (an HTTPS port without a certificate, a TLS, TCP or
 * UDP port without a served route): Envoy rejects a listener without filter
 * chains.
 */
export function gatewayListener(gw: GatewayIR, port: GatewayPortIR, address: string): Listener | undefined {
  if (port.protocol === 'TCP') return tcpStreamListener(gw, port, address);
  if (port.protocol === 'UDP') return udpStreamListener(gw, port, address);
  const name = gatewayListenerName(gw, address, port.port);
  // Only ports with a persistent-session route carry the session filter, so the others' resources stay as they were.
  const sessions = port.virtualHosts.some((v) => v.routes.some((r) => r.session)) ? [statefulSessionFilter()] : [];
  const hcm = { name: 'envoy.filters.network.http_connection_manager', typed_config: httpConnectionManager(statName(name), gatewayRouteName(gw, port.port), sessions) };
  const listener: Listener = {
    name,
    address: { socket_address: { address, port_value: port.port } },
    traffic_direction: 'INBOUND',
  };
  if (port.protocol === 'HTTP') return { ...listener, filter_chains: [{ filters: [hcm] }] };
  const certificates = usableCertificates(port);
  const httpsChains = certificates.map((c): FilterChain => {
    // '' is "any SNI (or none)": a chain without server_names, which Envoy
    // picks only when no chain names the client's SNI.
    const serverNames = c.hostnames.includes('') ? [] : c.hostnames;
    return {
      ...(serverNames.length > 0 && { filter_chain_match: { server_names: serverNames } }),
      filters: [hcm],
      transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: downstreamTls(c.certs) },
    };
  });
  // TLS listeners' streams beside (or instead of) HTTPS: every chain is chosen
  // by SNI, and the translator keeps their names apart.
  const chains = [...httpsChains, ...port.streams.map((s) => streamChain(name, s))];
  if (chains.length === 0) return undefined;
  // SNI is only known after the inspector reads the ClientHello; a port with
  // one catch-all chain needs none (and so avoids the embedded engine's
  // inspector-then-terminate limitation noted in its allowlist).
  if (chains.some((c) => c.filter_chain_match)) {
    listener.listener_filters = [
      {
        name: 'envoy.filters.listener.tls_inspector',
        typed_config: packAny('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', {} satisfies TlsInspector),
      },
    ];
  }
  return { ...listener, filter_chains: chains };
}

/** `alpn`: HTTP/2 when the client offers it by default (the connection manager's AUTO codec serves both); none for raw streams. */
export function downstreamTls(certs: readonly TlsCertIR[], alpn: readonly string[] = ['h2', 'http/1.1']): PackedAny {
  const ctx: DownstreamTlsContext = {
    common_tls_context: {
      // Served over the same ADS stream, so a renewed Secret is pushed, not polled.
      tls_certificate_sds_secret_configs: certs.map((c) => ({ name: c.secret, sds_config: ADS_SOURCE })),
      ...(alpn.length > 0 && { alpn_protocols: [...alpn] }),
    },
  };
  return packAny('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', ctx);
}

export function gatewaySecret(cert: TlsCertIR): Secret {
  return {
    name: cert.secret,
    tls_certificate: { certificate_chain: { inline_string: cert.certChainPem }, private_key: { inline_string: cert.privateKeyPem } },
  };
}

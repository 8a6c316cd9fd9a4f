// Builds a filter chain from its resource: the TLS transport socket, the
// network filters before the terminal one (RBAC), and the terminal filter
// (tcp_proxy or http_connection_manager).
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { decodeMessage } from '../../../../api/src/any.js';
import { messageName } from '../../../../api/src/type-urls.js';
import type { Logger } from '../../../../xds-server/src/log.js';
import { compileAccessLogs, type FileSinks } from '../access-log.js';
import { HttpConnectionManager } from '../http/connection-manager.js';
import { compileNetworkRbac } from '../network/rbac-filter.js';
import { TcpProxy } from '../network/tcp-proxy.js';
import type { Stats } from '../stats.js';
import { downstreamTlsContext } from '../tls/index.js';
import type { ClusterManager, Decoded, RouteTable } from '../types.js';
import type { CompiledChain, ConnectionCheck, TerminalFilter } from './connection.js';
import type { ChainFactory } from './listener-manager.js';

export interface ChainDeps {
  clusters: ClusterManager;
  stats: Stats;
  log: Logger;
  routes: (name: string) => RouteTable | undefined;
  files: FileSinks;
  secrets: () => ReadonlyMap<string, Decoded>;
}

const TCP_PROXY = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const NETWORK_RBAC = 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC';
const DOWNSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';

type AnyMsg = { type_url: string; value: Buffer };

export function buildChainFactory(deps: ChainDeps): ChainFactory {
  return (chain, name) => {
    const filters = (chain.filters as { name?: string; typed_config?: AnyMsg }[] | undefined) ?? [];
    if (!filters.length) throw new Error(`filter chain ${name}: no filters`);
    const checks: ConnectionCheck[] = [];
    let terminal: TerminalFilter | undefined;
    filters.forEach((f, i) => {
      const t = f.typed_config?.type_url;
      const cfg = t ? decodeMessage(messageName(t), f.typed_config!.value) : {};
      const last = i === filters.length - 1;
      if (t === NETWORK_RBAC && !last) checks.push(compileNetworkRbac(cfg, deps.stats));
      else if (t === TCP_PROXY && last) terminal = new TcpProxy(cfg, { clusters: deps.clusters, stats: deps.stats, accessLogs: compileAccessLogs(cfg.access_log as Decoded[] | undefined, deps.files) });
      else if (t === HCM && last) terminal = new HttpConnectionManager(cfg, { clusters: deps.clusters, stats: deps.stats, log: deps.log, routes: deps.routes, files: deps.files });
      else throw new Error(`filter chain ${name}: filters[${i}] ${f.name ?? ''} (${t ?? 'no typed_config'}) ${last ? 'is not a terminal filter' : 'must be the last filter'}`);
    });
    const ts = chain.transport_socket as { typed_config?: AnyMsg } | undefined;
    let makeTls: CompiledChain['tls'];
    if (ts?.typed_config) {
      if (ts.typed_config.type_url !== DOWNSTREAM_TLS) throw new Error(`filter chain ${name}: transport socket ${ts.typed_config.type_url} is not implemented`);
      const ctx = decodeMessage(messageName(DOWNSTREAM_TLS), ts.typed_config.value);
      // Secrets are looked up per connection: an SDS rotation applies to the next handshake.
      makeTls = (socket: Duplex) => {
        const built = downstreamTlsContext(ctx, deps.secrets());
        if ('missing' in built) return { error: `SDS secrets not received yet: ${built.missing.join(', ')}` };
        const tlsSocket = new tls.TLSSocket(socket, {
          isServer: true,
          secureContext: built.secureContext,
          requestCert: built.requestCert,
          rejectUnauthorized: built.rejectUnauthorized,
          ALPNProtocols: built.alpn,
        });
        // A TLSSocket made by hand does not enforce rejectUnauthorized itself:
        // the chain and SAN checks run here, before any filter sees the peer.
        tlsSocket.once('secure', () => {
          const why = built.verifyPeer(tlsSocket);
          if (why) {
            deps.stats.counter('envoy_listener_ssl_fail_verify_error').inc();
            deps.log.warn('closing TLS connection: client certificate rejected', { chain: name, reason: why });
            tlsSocket.destroy();
          }
        });
        return tlsSocket;
      };
    }
    return { name, checks, terminal: terminal!, tls: makeTls };
  };
}

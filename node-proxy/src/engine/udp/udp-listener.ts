// UDP listeners (address.socket_address.protocol UDP), as Envoy's raw UDP
// listener: no filter chains, only UDP listener filters, of which the engine
// implements udp_proxy. The listener socket reads datagrams (dropping those
// above udp_listener_config.downstream_socket_config.max_rx_datagram_size,
// default 1500, and counting them as listener.<address>.udp.downstream_rx_datagram_dropped)
// and hands them to the proxy, which answers through the same socket.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '../../../../xds-server/src/log.js';
import type { Counter, Stats } from '../stats.js';
import type { ClusterManager, Decoded } from '../types.js';
import { list, obj, unpackAny, wrapped } from '../upstream/fields.js';
import { compileUdpProxy, DEFAULT_MAX_RX_DATAGRAM_SIZE, UDP_PROXY, UdpProxy, type UdpProxyConfig } from './udp-proxy.js';

export interface UdpDeps {
  clusters: ClusterManager;
}

export interface CompiledUdpListener {
  /** The first udp_proxy filter (Envoy's udp_proxy stops the filter iteration, so later ones never see a datagram). */
  proxy?: UdpProxyConfig;
  maxRxDatagramSize: number;
}

interface SocketAddressLike {
  socket_address?: { address?: string; port_value?: number; protocol?: string };
}

export function isUdpListener(l: Decoded): boolean {
  return (l.address as SocketAddressLike | undefined)?.socket_address?.protocol === 'UDP';
}

function filterName(f: Decoded): string | undefined {
  const url = (obj(f.typed_config).type_url as string | undefined) ?? '';
  return url.slice(url.lastIndexOf('/') + 1) || undefined;
}

/** A TCP listener cannot take a UDP listener filter (Envoy finds no TCP listener filter of that type). */
export function checkTcpListenerFilters(l: Decoded): void {
  list(l.listener_filters).forEach((f, i) => {
    if (filterName(f) === UDP_PROXY) throw new Error(`listener_filters[${i}]: ${UDP_PROXY} is a UDP listener filter; the listener's address is TCP`);
  });
}

/** Throws, as Envoy rejects the listener, when it cannot be a connection-less UDP listener. */
export function compileUdpListener(l: Decoded, address: string): CompiledUdpListener {
  const chains = list(l.filter_chains).length;
  if (chains || l.default_filter_chain)
    throw new Error(`error adding listener '${address}': ${chains} filter chain(s) specified for connection-less UDP listener.`);
  let proxy: UdpProxyConfig | undefined;
  list(l.listener_filters).forEach((f, i) => {
    const name = filterName(f);
    if (name !== UDP_PROXY) throw new Error(`listener_filters[${i}]: ${name ?? '(no typed_config)'} is not a UDP listener filter`);
    const unpacked = unpackAny(f.typed_config)!;
    const compiled = compileUdpProxy(unpacked.message);
    proxy ??= compiled;
  });
  const socketConfig = obj(obj(l.udp_listener_config).downstream_socket_config);
  return { proxy, maxRxDatagramSize: wrapped(socketConfig.max_rx_datagram_size, DEFAULT_MAX_RX_DATAGRAM_SIZE) };
}

export interface UdpListenerSocketOptions {
  name: string;
  address: string;
  port: number;
  config: CompiledUdpListener;
  deps: UdpDeps;
  stats: Stats;
  log: Logger;
}

/** A bound UDP listener socket and the udp_proxy reading it. */
export class UdpListenerSocket {
  private proxy!: UdpProxy;
  private config!: CompiledUdpListener;
  private readonly dropped: Counter;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly o: UdpListenerSocketOptions,
  ) {
    this.dropped = o.stats.counter('envoy_listener_udp_downstream_rx_datagram_dropped', { envoy_listener_address: `${o.address}_${o.port}` });
    socket.on('message', (data: Buffer, rinfo: dgram.RemoteInfo) => {
      if (data.length > this.config.maxRxDatagramSize) return this.dropped.inc();
      this.proxy.onDatagram(data, { address: rinfo.address, port: rinfo.port });
    });
    socket.on('error', (err) => {
      this.proxy.onReceiveError();
      o.log.warn('udp listener socket error', { listener: o.name, error: err.message });
    });
  }

  /** Binds the socket; rejects when the listener cannot be created (Envoy: listener_create_failure). */
  static async bind(o: UdpListenerSocketOptions): Promise<UdpListenerSocket> {
    if (!o.config.proxy) throw new Error(`Cannot create listener as no read filter registered for the udp listener: ${o.name}`);
    const socket = dgram.createSocket({ type: isIPv6(o.address) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: o.address, port: o.port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const l = new UdpListenerSocket(socket, o);
    l.update(o.config);
    return l;
  }

  /**
   * A changed listener on the same address keeps the socket (no datagram is
   * refused meanwhile); the old proxy's sessions end and the new
   * configuration starts new ones. Throws when the new configuration cannot
   * run a listener; the caller closes the socket then.
   */
  update(config: CompiledUdpListener): void {
    if (!config.proxy) throw new Error(`Cannot create listener as no read filter registered for the udp listener: ${this.o.name}`);
    this.proxy?.close();
    this.config = config;
    this.proxy = new UdpProxy(config.proxy, {
      clusters: this.o.deps.clusters,
      stats: this.o.stats,
      log: this.o.log,
      sendDownstream: (data, peer, cb) => {
        try {
          this.socket.send(data, peer.port, peer.address, (err) => cb(err ?? null));
        } catch (err) {
          cb(err as Error);
        }
      },
    });
  }

  address(): { address: string; port: number } {
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  /** Closes the socket and ends every session. */
  close(): Promise<void> {
    this.proxy.close();
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}

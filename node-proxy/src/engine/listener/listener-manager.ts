// Listeners: binds the ones with bind_to_port, hands redirected connections to
// the listener of their original destination (use_original_dst), chooses a
// filter chain and runs it. A changed listener keeps its socket (when the
// address is unchanged) so no connection attempt is refused during an update;
// the old filter chains drain: connections they already hold finish, new
// connections get the new chains — as Envoy's listener manager does.
import net from 'node:net';
import { Duplex } from 'node:stream';
import type { Logger } from '../../../../xds-server/src/log.js';
import type { Stats } from '../stats.js';
import type { Decoded } from '../types.js';
import { parseClientHello } from './client-hello.js';
import type { CompiledChain, DownstreamConnection } from './connection.js';
import { compileChainMatch, selectChain, type ChainMatch, type ConnectionFacts } from './filter-chain-match.js';
import { originalDst, type OriginalDst } from './original-dst.js';
import { peerPrincipals } from '../tls/index.js';
import { durationMs, wrappedBool } from '../upstream/fields.js';
import { checkTcpListenerFilters, compileUdpListener, isUdpListener, UdpListenerSocket, type CompiledUdpListener, type UdpDeps } from '../udp/udp-listener.js';

/** Builds a chain's filters; throws with a reason the listener cannot be built. */
export type ChainFactory = (chain: Decoded, listener: string) => CompiledChain;

interface CompiledListener {
  name: string;
  address: string;
  port: number;
  bindToPort: boolean;
  useOriginalDst: boolean;
  originalDstFilter: boolean;
  tlsInspector: boolean;
  inspectTimeoutMs: number;
  continueOnInspectTimeout: boolean;
  matches: ChainMatch[];
  chains: CompiledChain[];
  defaultChain?: CompiledChain;
  /** The decoded resource, to tell an unchanged listener from a changed one. */
  source: string;
  /** A UDP listener (udp/): no chains, its datagrams go to udp_proxy. */
  udp?: CompiledUdpListener;
}

interface ActiveListener {
  config: CompiledListener;
  server?: net.Server;
  udp?: UdpListenerSocket;
}

const ORIGINAL_DST = 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst';
const TLS_INSPECTOR = 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector';

export interface ListenerManagerOptions {
  stats: Stats;
  log: Logger;
  chainFactory: ChainFactory;
  /** How long draining chains keep their connections before they are closed (Envoy's --drain-time-s). */
  drainTimeMs: number;
  /** What UDP listeners need; without it a UDP listener cannot be built. */
  udp?: UdpDeps;
}

export class ListenerManager {
  private readonly active = new Map<string, ActiveListener>();
  private nextConnId = 1;
  private readonly drainTimers = new Set<NodeJS.Timeout>();
  /** Chains of replaced or removed listeners whose connections are finishing. */
  private readonly draining = new Set<CompiledChain>();
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly opts: ListenerManagerOptions) {}

  /** Bound addresses by listener name (port 0 resolved), for tests and status. */
  addresses(): Map<string, { address: string; port: number }> {
    const out = new Map<string, { address: string; port: number }>();
    for (const [name, l] of this.active) {
      const a = l.udp?.address() ?? l.server?.address();
      if (a && typeof a === 'object') out.set(name, { address: a.address, port: a.port });
    }
    return out;
  }

  /**
   * Checks that every listener can be built (nothing is changed if one cannot);
   * returns the reasons per listener.
   */
  compile(listeners: ReadonlyMap<string, Decoded>): { compiled: Map<string, CompiledListener>; problems: string[] } {
    const compiled = new Map<string, CompiledListener>();
    const problems: string[] = [];
    for (const [name, l] of listeners) {
      const source = JSON.stringify(l, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64') : v));
      const prev = this.active.get(name)?.config;
      if (prev?.source === source) {
        compiled.set(name, prev);
        continue;
      }
      try {
        compiled.set(name, this.compileListener(name, l, source));
      } catch (err) {
        problems.push(`${name}: ${(err as Error).message}`);
      }
    }
    return { compiled, problems };
  }

  /** Applies a compiled set: binds new listeners, swaps changed ones, drains removed ones. Returns bind failures. */
  async apply(compiled: Map<string, CompiledListener>): Promise<string[]> {
    const failures: string[] = [];
    for (const [name, old] of this.active) {
      if (compiled.has(name)) continue;
      this.active.delete(name);
      old.server?.close();
      void old.udp?.close();
      this.drain(old.config);
      this.opts.log.info('listener removed', { listener: name });
    }
    for (const [name, config] of compiled) {
      const cur = this.active.get(name);
      if (cur?.config === config) continue;
      const sameSocket =
        cur && cur.config.bindToPort === config.bindToPort && cur.config.address === config.address && cur.config.port === config.port && !!cur.config.udp === !!config.udp;
      if (cur && sameSocket) {
        const old = cur.config;
        if (cur.udp && config.udp) {
          try {
            cur.udp.update(config.udp);
          } catch (err) {
            this.active.delete(name);
            void cur.udp.close();
            failures.push(`${name}: ${(err as Error).message}`);
            this.opts.stats.counter('envoy_listener_manager_listener_create_failure').inc();
            continue;
          }
        }
        cur.config = config;
        this.drain(old);
        this.opts.log.info('listener updated', { listener: name });
        continue;
      }
      if (cur) {
        cur.server?.close();
        await cur.udp?.close();
        this.drain(cur.config);
      }
      const entry: ActiveListener = { config };
      if (config.bindToPort) {
        try {
          if (config.udp) entry.udp = await this.bindUdp(config, config.udp);
          else entry.server = await this.bind(entry);
        } catch (err) {
          this.active.delete(name);
          failures.push(`${name}: cannot bind ${config.address}:${config.port}: ${(err as Error).message}`);
          this.opts.stats.counter('envoy_listener_manager_listener_create_failure').inc();
          continue;
        }
      }
      this.active.set(name, entry);
      this.opts.log.info(cur ? 'listener rebound' : 'listener added', { listener: name, address: `${config.address}:${config.port}`, bound: config.bindToPort });
    }
    this.opts.stats.gauge('envoy_listener_manager_total_listeners_active').set(this.active.size);
    return failures;
  }

  /** Envoy's /drain_listeners: every connection is asked to finish (HTTP: Connection: close / GOAWAY). */
  drainAll(): void {
    for (const l of this.active.values()) for (const c of [...l.config.chains, l.config.defaultChain]) c?.terminal.drain();
  }

  async close(): Promise<void> {
    for (const t of this.drainTimers) clearTimeout(t);
    for (const c of this.draining) c.terminal.close();
    this.draining.clear();
    for (const s of this.sockets) s.destroy();
    const closing: Promise<void>[] = [];
    for (const l of this.active.values()) {
      if (l.server) closing.push(new Promise((r) => l.server!.close(() => r())));
      if (l.udp) closing.push(l.udp.close());
      for (const c of [...l.config.chains, l.config.defaultChain]) c?.terminal.close();
    }
    this.active.clear();
    await Promise.all(closing);
  }

  private drain(config: CompiledListener): void {
    const chains = [...config.chains, config.defaultChain].filter((c): c is CompiledChain => !!c);
    for (const c of chains) {
      c.terminal.drain();
      this.draining.add(c);
    }
    const t = setTimeout(() => {
      this.drainTimers.delete(t);
      for (const c of chains) {
        c.terminal.close();
        this.draining.delete(c);
      }
    }, this.opts.drainTimeMs);
    t.unref();
    this.drainTimers.add(t);
  }

  private compileListener(name: string, l: Decoded, source: string): CompiledListener {
    const sa = (l.address as { socket_address?: { address?: string; port_value?: number } } | undefined)?.socket_address;
    if (!sa) throw new Error('address.socket_address is required');
    if (isUdpListener(l)) {
      const [address, port] = [sa.address ?? '0.0.0.0', sa.port_value ?? 0];
      const udp = compileUdpListener(l, `${address}:${port}`);
      // Envoy reads use_original_dst and listener_filters_timeout on TCP listeners only.
      const none = { useOriginalDst: false, originalDstFilter: false, tlsInspector: false, inspectTimeoutMs: 0, continueOnInspectTimeout: false };
      return { name, address, port, bindToPort: wrappedBool(l.bind_to_port, true), ...none, matches: [], chains: [], source, udp };
    }
    checkTcpListenerFilters(l);
    const filters = (l.listener_filters as { typed_config?: { type_url?: string } }[] | undefined) ?? [];
    const chainsIn = (l.filter_chains as Decoded[] | undefined) ?? [];
    const timeout = l.listener_filters_timeout as { seconds?: string; nanos?: number } | undefined;
    return {
      name,
      address: sa.address ?? '0.0.0.0',
      port: sa.port_value ?? 0,
      bindToPort: wrappedBool(l.bind_to_port, true),
      useOriginalDst: wrappedBool(l.use_original_dst, false),
      originalDstFilter: filters.some((f) => f.typed_config?.type_url === ORIGINAL_DST),
      tlsInspector: filters.some((f) => f.typed_config?.type_url === TLS_INSPECTOR),
      inspectTimeoutMs: durationMs(timeout, 15_000),
      continueOnInspectTimeout: (l.continue_on_listener_filters_timeout as boolean | undefined) ?? false,
      matches: chainsIn.map((c) => compileChainMatch(c.filter_chain_match as Decoded | undefined)),
      chains: chainsIn.map((c, i) => this.opts.chainFactory(c, `${name}/${(c.name as string | undefined) || i}`)),
      defaultChain: l.default_filter_chain ? this.opts.chainFactory(l.default_filter_chain as Decoded, `${name}/default`) : undefined,
      source,
    };
  }

  private bindUdp(config: CompiledListener, udp: CompiledUdpListener): Promise<UdpListenerSocket> {
    if (!this.opts.udp) return Promise.reject(new Error('UDP listeners are not available'));
    const { name, address, port } = config;
    return UdpListenerSocket.bind({ name, address, port, config: udp, deps: this.opts.udp, stats: this.opts.stats, log: this.opts.log });
  }

  private bind(entry: ActiveListener): Promise<net.Server> {
    const { address, port } = entry.config;
    // allowHalfOpen: a client's FIN must reach the upstream as a FIN (tcp_proxy
    // half-close) instead of closing the whole connection; node:http expects it too.
    const server = net.createServer({ pauseOnConnect: true, noDelay: true, allowHalfOpen: true }, (socket) => this.accept(entry, socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port, backlog: 4096 }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.opts.log.error('listener socket error', { listener: entry.config.name, error: err.message }));
        resolve(server);
      });
    });
  }

  private accept(entry: ActiveListener, socket: net.Socket): void {
    const config = entry.config;
    const tags = { envoy_listener_address: `${config.address}_${config.port}` };
    this.opts.stats.counter('envoy_listener_downstream_cx_total', tags).inc();
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => {}); // reported by whoever owns the connection next
    let od: OriginalDst | undefined;
    let target = config;
    if (config.originalDstFilter) {
      od = originalDst(socket);
      if (od && config.useOriginalDst) target = this.listenerFor(od) ?? config;
    }
    const facts: ConnectionFacts = {
      destinationAddress: od?.address ?? stripV4Mapped(socket.localAddress ?? ''),
      destinationPort: od?.port ?? socket.localPort ?? 0,
      sourceAddress: stripV4Mapped(socket.remoteAddress ?? ''),
      sourcePort: socket.remotePort ?? 0,
      transportProtocol: 'raw_buffer',
      applicationProtocols: [],
    };
    const run = () => this.runChain(target, socket, facts, od);
    if (!target.tlsInspector) return run();
    this.inspect(socket, target, facts, run);
  }

  /** The listener a redirected connection's original destination belongs to: exact address first, then a wildcard address on the port. */
  private listenerFor(od: OriginalDst): CompiledListener | undefined {
    let wildcard: CompiledListener | undefined;
    for (const { config } of this.active.values()) {
      if (config.port !== od.port || config.udp) continue;
      if (config.address === od.address) return config;
      if (config.address === '0.0.0.0' || config.address === '::') wildcard ??= config;
    }
    return wildcard;
  }

  private inspect(socket: net.Socket, l: CompiledListener, facts: ConnectionFacts, run: () => void): void {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.off('data', onData);
      socket.pause();
      if (buf.length) socket.unshift(buf);
      this.opts.stats.counter('envoy_tls_inspector_read_timeout').inc();
      if (l.continueOnInspectTimeout) run();
      else socket.destroy();
    }, l.inspectTimeoutMs);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const info = parseClientHello(buf);
      if (!info && buf.length < 65536) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      socket.unshift(buf);
      if (info?.tls) {
        facts.transportProtocol = 'tls';
        facts.serverName = info.serverName;
        facts.applicationProtocols = info.alpn;
        this.opts.stats.counter(info.serverName ? 'envoy_tls_inspector_sni_found' : 'envoy_tls_inspector_sni_not_found').inc();
      }
      run();
    };
    socket.on('data', onData);
    socket.resume();
  }

  private runChain(l: CompiledListener, socket: net.Socket, facts: ConnectionFacts, od: OriginalDst | undefined): void {
    const idx = selectChain(l.matches, facts);
    const chain = idx >= 0 ? l.chains[idx] : l.defaultChain;
    if (!chain) {
      this.opts.stats.counter('envoy_listener_no_filter_chain_match', { envoy_listener_address: `${l.address}_${l.port}` }).inc();
      socket.destroy();
      return;
    }
    const conn: DownstreamConnection = { id: this.nextConnId++, socket, facts, originalDst: od, listener: l.name, startMs: Date.now() };
    if (chain.tls) {
      // Bytes the TLS inspector peeked were pushed back into the JS stream; a
      // TLSSocket over a net.Socket reads the kernel handle and would never
      // see them, so such a socket is handed over as a plain stream.
      const tlsSocket = chain.tls(socket.readableLength > 0 ? jsStream(socket) : socket);
      if ('error' in tlsSocket) {
        this.opts.log.warn('closing connection: TLS context unavailable', { listener: l.name, chain: chain.name, error: tlsSocket.error });
        socket.destroy();
        return;
      }
      tlsSocket.on('error', () => tlsSocket.destroy());
      tlsSocket.once('secure', () => {
        if (tlsSocket.destroyed) return; // the chain's peer verification refused it
        // A server-side TLSSocket made without a tls.Server keeps
        // secureConnecting true after its handshake (tls.Server clears it
        // before 'secureConnection'), and an HTTP/2 session handed such a
        // socket waits for a 'secureConnect' that never comes: h2 by ALPN
        // would hang.
        // (An undocumented field, so not in @types/node.)
        (tlsSocket as unknown as { secureConnecting: boolean }).secureConnecting = false;
        conn.socket = tlsSocket;
        const cert = tlsSocket.getPeerCertificate();
        conn.tls = { alpn: tlsSocket.alpnProtocol || undefined, peer: cert && Object.keys(cert).length ? peerPrincipals(cert) : undefined };
        this.startFilters(chain, conn);
      });
      socket.resume();
      return;
    }
    this.startFilters(chain, conn);
  }

  private startFilters(chain: CompiledChain, conn: DownstreamConnection): void {
    for (const check of chain.checks) {
      if (!check(conn)) {
        conn.socket.destroy();
        return;
      }
    }
    chain.terminal.handle(conn);
  }
}

function stripV4Mapped(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/** `socket` as a JS-level Duplex: what it has buffered is read first, then what arrives. */
function jsStream(socket: net.Socket): Duplex {
  const d = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _enc, cb) => void socket.write(chunk, cb),
    final: (cb) => {
      socket.end();
      cb();
    },
    destroy: (err, cb) => {
      socket.destroy(err ?? undefined);
      cb(err);
    },
  });
  socket.on('data', (c: Buffer) => {
    if (!d.push(c)) socket.pause();
  });
  socket.on('end', () => d.push(null));
  socket.on('error', (e) => d.destroy(e));
  socket.on('close', () => d.destroy());
  return d;
}

// The responder: each node's auth service listens on a dedicated TCP port.
// The initiator's SNI names the local workload it wants to reach; the server
// presents that workload's SVID, requires a client certificate, verifies it
// against the expected initiator identity, records its own auth entry, and
// only then confirms (see protocol.ts for why that order matters). A request
// naming a connection (per-connection mode) records an entry for exactly that
// 4-tuple instead of the pair's.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../../../xds-server/src/log.js';
import { authKeyString, connectionTupleString, type AuthMap, type ConnectionTuple } from '../authmap/types.js';
import type { CertificateProvider } from '../certs/provider.js';
import type { TrustStore } from '../certs/trust.js';
import { verifySvidChain } from '../certs/verify.js';
import { issueCertificate, readExtensions } from '../certs/x509.js';
import type { AuthMetrics } from '../metrics.js';
import type { AuthFailureReason } from '../reasons.js';
import { isSpiffeSni, sniForSpiffeId } from '../spiffe/sni.js';
import { isRefusalCertificate, parseClientMessage, peerChain, ProtocolError, readMessage, REFUSAL_CN, send } from './protocol.js';
import { contextFor, presentedNotAfter, TLS_VERSION } from './tls-context.js';

export interface AuthServerOptions {
  nodeName: string;
  /** SVIDs of the workloads on this node. */
  provider: CertificateProvider;
  trust: TrustStore;
  authMap: AuthMap;
  logger: Logger;
  metrics?: AuthMetrics;
  now?: () => number;
  /**
   * Extra admission of the initiator after its SVID verified. `remoteNode` is
   * what the initiator claims; nothing in the handshake proves it, so the node
   * agent should check it here: the mesh model places `remoteIdentity` on that
   * node, and `remoteAddress` (the TCP peer) is that node's address. Returns a
   * denial detail, or undefined to accept. Default: accept.
   */
  authorizePeer?: (p: { localIdentity: string; remoteIdentity: string; remoteNode: string; remoteAddress: string }) => string | undefined;
  /**
   * Extra admission of a per-connection request: the tuple is the
   * initiator's claim too, so the node agent checks that its source address
   * is a workload of `remoteIdentity` on `remoteNode` and its destination
   * one of `localIdentity` here. Returns a denial detail, or undefined to
   * accept. Default: accept.
   */
  authorizeConnection?: (p: { localIdentity: string; remoteIdentity: string; remoteNode: string; tuple: ConnectionTuple }) => string | undefined;
  /** Limit for the TLS handshake, and then for the initiator's message; default 5 s. */
  timeoutMs?: number;
  /** Concurrent connections accepted; default 4096. */
  maxConnections?: number;
}

/** One responder-side decision, as logged. */
export interface ResponderOutcome {
  ok: boolean;
  reason?: AuthFailureReason;
  /** 'local': this node refused; 'peer': the initiator aborted. */
  by?: 'local' | 'peer';
  detail?: string;
  localIdentity?: string;
  remoteIdentity?: string;
  remoteNode?: string;
  expiresAt?: number;
  /** Set for a per-connection request: the connection it named. */
  connection?: ConnectionTuple;
}

export class AuthServer {
  readonly #o: AuthServerOptions;
  #server: tls.Server | undefined;
  #refusal: tls.SecureContext | undefined;
  #sni = new Map<string, string>();
  #unsubscribe: (() => void) | undefined;
  readonly #sockets = new Set<tls.TLSSocket>();
  /** Completed responder decisions (tests count handshakes here; metrics carry the same). */
  readonly stats = { ok: 0, failed: 0 };
  /** Called after every responder decision (flow log hook for status/tests). */
  onOutcome: ((o: ResponderOutcome) => void) | undefined;

  constructor(o: AuthServerOptions) {
    this.#o = o;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    const now = Date.now();
    // The refusal certificate: lets TLS complete so a typed "no_svid" can be
    // sent; it carries no SPIFFE ID, so no initiator can ever accept it.
    const refusal = await issueCertificate({ subject: `CN=${REFUSAL_CN}`, notBefore: new Date(now - 60_000), notAfter: new Date(now + 7 * 86400_000), isCa: false });
    this.#refusal = tls.createSecureContext({ ...TLS_VERSION, key: refusal.key.reveal(), cert: refusal.certPem });
    this.#unsubscribe = this.#o.provider.subscribe(() => this.#rebuildSni());
    this.#rebuildSni();
    const server = tls.createServer({
      ...TLS_VERSION,
      requestCert: true,
      rejectUnauthorized: false, // verified by hand, per trust domain (certs/verify.ts)
      SNICallback: (name, cb) => cb(null, this.#contextForSni(name)),
      handshakeTimeout: this.#o.timeoutMs ?? 5000,
      noDelay: true, // one small answer per connection; never wait for a delayed ACK
    });
    // Bounds file descriptors under a flood; legitimate load is one short connection per identity pair.
    server.maxConnections = this.#o.maxConnections ?? 4096;
    server.on('secureConnection', (s: tls.TLSSocket) => void this.#handle(s));
    // TLS failures before a session exists (no SNI, not TLS 1.3, garbage): no identities known yet.
    server.on('tlsClientError', (err: Error & { code?: string }) => {
      this.#record({ ok: false, reason: 'tls_error', by: 'local', detail: err.code ?? err.message }, 0);
    });
    this.#server = server;
    server.listen(port, host);
    await once(server, 'listening');
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    for (const s of this.#sockets) s.destroy();
    if (this.#server?.listening) await new Promise<void>((r) => this.#server!.close(() => r()));
  }

  #rebuildSni(): void {
    const m = new Map<string, string>();
    for (const id of this.#o.provider.identities()) m.set(sniForSpiffeId(id), id);
    this.#sni = m;
  }

  #contextForSni(name: string): tls.SecureContext {
    const id = isSpiffeSni(name) ? this.#sni.get(name) : undefined;
    const svid = id ? this.#o.provider.getSvid(id) : undefined;
    return svid ? contextFor(svid) : this.#refusal!;
  }

  async #handle(socket: tls.TLSSocket): Promise<void> {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {}); // outcomes are reported through #record, not as process errors
    const started = performance.now();
    const servername = typeof socket.servername === 'string' ? socket.servername : '';
    const out = await this.#decide(socket, servername).catch((err: unknown): ResponderOutcome => ({
      ok: false,
      reason: err instanceof ProtocolError ? 'protocol_error' : err instanceof Error && err.message === 'timeout' ? 'timeout' : 'protocol_error',
      by: 'local',
      detail: err instanceof Error ? err.message : String(err),
    }));
    if (!out.ok && out.by === 'local' && out.reason && socket.writable) send(socket, { t: 'fail', reason: out.reason, detail: out.detail ?? '' });
    socket.end();
    this.#record(out, (performance.now() - started) / 1000);
  }

  async #decide(socket: tls.TLSSocket, servername: string): Promise<ResponderOutcome> {
    const o = this.#o;
    const now = () => o.now?.() ?? Date.now();
    const timeout = o.timeoutMs ?? 5000;
    const ownCert = socket.getX509Certificate();
    if (!ownCert || isRefusalCertificate(ownCert)) {
      return { ok: false, reason: 'no_svid', by: 'local', detail: `node ${o.nodeName} holds no SVID for SNI ${JSON.stringify(servername)}: not a workload on this node, or removed` };
    }
    // Every authentication is a full handshake with fresh proof of key possession;
    // initiators never resume, so a resumed session is not one of ours.
    if (socket.isSessionReused()) return { ok: false, reason: 'protocol_error', by: 'local', detail: 'TLS session resumption is not accepted' };
    const localIdentity = readExtensions(ownCert.raw).uris[0] ?? '';
    const msg = parseClientMessage(await readMessage(socket, timeout));
    if (msg.t === 'abort') return { ok: false, reason: msg.reason, by: 'peer', detail: msg.detail, localIdentity };
    const connection: ConnectionTuple | undefined = msg.conn && { sourceAddress: msg.conn.saddr, sourcePort: msg.conn.sport, destinationAddress: msg.conn.daddr, destinationPort: msg.conn.dport };
    const base = { localIdentity, remoteIdentity: msg.initiator, remoteNode: msg.initiatorNode, ...(connection ? { connection } : {}) };
    if (msg.responder !== localIdentity) {
      return { ok: false, reason: 'protocol_error', by: 'local', detail: `request names ${msg.responder} but SNI selected ${localIdentity}`, ...base };
    }
    // The SVID presented during TLS may have been removed since (identity left the node).
    const svid = o.provider.getSvid(localIdentity);
    if (!svid) return { ok: false, reason: 'no_svid', by: 'local', detail: `${localIdentity} was removed from node ${o.nodeName}`, ...base };
    const v = verifySvidChain({ chain: peerChain(socket), expectedId: msg.initiator, peerRole: 'client', trust: o.trust, now: new Date(now()) });
    if (!v.ok) return { ok: false, reason: v.reason, by: 'local', detail: v.detail, ...base };
    const peer = { localIdentity, remoteIdentity: msg.initiator, remoteNode: msg.initiatorNode };
    const denial = o.authorizePeer?.({ ...peer, remoteAddress: socket.remoteAddress ?? '' }) ?? (connection && o.authorizeConnection?.({ ...peer, tuple: connection }));
    if (denial !== undefined) return { ok: false, reason: 'peer_not_authorized', by: 'local', detail: denial, ...base };
    // Expiry: the earlier of the peer's verified path and what this side presented.
    const ownSerial = ownCert.serialNumber.toLowerCase();
    const ownNotAfter = ownSerial === svid.serial ? presentedNotAfter(svid) : Date.parse(ownCert.validTo);
    const expiresAt = Math.min(v.notAfter.getTime(), ownNotAfter);
    try {
      if (connection) {
        if (!o.authMap.setConnection) throw new Error('this auth map holds no per-connection entries');
        await o.authMap.setConnection({ ...peer, authType: 'spiffe-mtls', tuple: connection, expiresAt, authenticatedAt: now(), ...(msg.conn?.renew ? { renewal: true } : {}) });
      } else {
        await o.authMap.set({ ...peer, authType: 'spiffe-mtls', expiresAt, authenticatedAt: now(), role: 'responder', localSerial: ownSerial, remoteSerial: v.serial });
      }
    } catch (err) {
      return { ok: false, reason: 'auth_map_error', by: 'local', detail: err instanceof Error ? err.message : String(err), ...base };
    }
    // Only now: the entry is visible, the initiator may release the flow.
    send(socket, { t: 'ok', expiresAt });
    return { ok: true, expiresAt, ...base };
  }

  #record(out: ResponderOutcome, seconds: number): void {
    const result = out.ok ? 'ok' : 'fail';
    if (out.ok) this.stats.ok++;
    else this.stats.failed++;
    this.#o.metrics?.handshakes.inc({ role: 'responder', result, reason: out.reason ?? '' });
    this.#o.metrics?.handshakeSeconds.observe({ role: 'responder', result }, seconds);
    const fields = {
      role: 'responder',
      decision: out.ok ? 'authenticated' : 'refused',
      localIdentity: out.localIdentity,
      remoteIdentity: out.remoteIdentity,
      remoteNode: out.remoteNode,
      reason: out.reason,
      by: out.by,
      detail: out.detail,
      expiresAt: out.expiresAt === undefined ? undefined : new Date(out.expiresAt).toISOString(),
      ...(out.connection ? { scope: 'connection', connection: connectionTupleString(out.connection) } : {}),
      key: out.ok && !out.connection && out.localIdentity && out.remoteIdentity && out.remoteNode
        ? authKeyString({ localIdentity: out.localIdentity, remoteIdentity: out.remoteIdentity, remoteNode: out.remoteNode, authType: 'spiffe-mtls' })
        : undefined,
    };
    if (out.ok) this.#o.logger.info('flow auth', fields);
    else this.#o.logger.warn('flow auth', fields);
    this.onOutcome?.(out);
  }
}

// The initiator: authenticates one flow (local identity L → remote identity R
// on remote node N) with N's auth service, and records the auth entry on
// success. It releases nothing itself; the caller (AuthManager) does, after
// this resolves ok — by which time both sides' entries exist. With
// `connection` (the per-connection mode) it authenticates that one
// connection: the responder's connection entry exists once this resolves ok,
// and this side writes nothing.
import tls from 'node:tls';
import type { AuthEntry, AuthMap, ConnectionTuple } from '../authmap/types.js';
import type { CertificateProvider } from '../certs/provider.js';
import type { TrustStore } from '../certs/trust.js';
import { verifySvidChain } from '../certs/verify.js';
import type { AuthMetrics } from '../metrics.js';
import type { AuthFailureReason } from '../reasons.js';
import { sniForSpiffeId } from '../spiffe/sni.js';
import { isRefusalCertificate, parseServerMessage, peerChain, ProtocolError, readMessage, send, PROTOCOL_VERSION } from './protocol.js';
import { contextFor, presentedNotAfter, TLS_VERSION } from './tls-context.js';

export interface NodeAddress {
  host: string;
  port: number;
  /** Source address to connect from: this node's own address, which the responder's agent checks. */
  localAddress?: string;
}

export interface InitiateOptions {
  localIdentity: string;
  remoteIdentity: string;
  remoteNode: string;
  address: NodeAddress;
  /** This node's name, sent so the responder can key its entry by it. */
  nodeName: string;
  provider: CertificateProvider;
  trust: TrustStore;
  authMap: AuthMap;
  metrics?: AuthMetrics;
  now?: () => number;
  /** Whole handshake, TCP connect included; default 5 s. */
  timeoutMs?: number;
  /** Authenticate this one connection (IPv4) instead of the identity pair. */
  connection?: ConnectionTuple;
  /** With `connection`: it is open already, this renews its entry. */
  renewal?: boolean;
}

export type HandshakeResult =
  | { ok: true; entry: AuthEntry; durationMs: number }
  | {
      ok: false;
      reason: AuthFailureReason;
      /** 'local': this node refused the responder; 'peer': the responder refused (or was unreachable). */
      by: 'local' | 'peer';
      detail: string;
      durationMs: number;
    };

type Failure = Extract<HandshakeResult, { ok: false }>;

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL', 'ENOTFOUND']);

export async function initiateHandshake(o: InitiateOptions): Promise<HandshakeResult> {
  const started = performance.now();
  const r = await run(o).catch((err: unknown): Omit<Failure, 'durationMs'> => ({
    ok: false,
    reason: err instanceof ProtocolError ? 'protocol_error' : 'tls_error',
    by: 'local',
    detail: err instanceof Error ? err.message : String(err),
  }));
  const durationMs = performance.now() - started;
  const result = r.ok ? 'ok' : 'fail';
  o.metrics?.handshakes.inc({ role: 'initiator', result, reason: r.ok ? '' : r.reason });
  o.metrics?.handshakeSeconds.observe({ role: 'initiator', result }, durationMs / 1000);
  return { ...r, durationMs } as HandshakeResult;
}

type Partial_ = { ok: true; entry: AuthEntry } | Omit<Failure, 'durationMs'>;

function run(o: InitiateOptions): Promise<Partial_> {
  const now = () => o.now?.() ?? Date.now();
  const svid = o.provider.getSvid(o.localIdentity);
  if (!svid) return Promise.resolve({ ok: false, reason: 'no_local_svid', by: 'local', detail: `this node holds no SVID for ${o.localIdentity}` });
  const timeoutMs = o.timeoutMs ?? 5000;

  return new Promise((resolve) => {
    let settled = false;
    const socket = tls.connect({
      host: o.address.host,
      port: o.address.port,
      ...(o.address.localAddress !== undefined ? { localAddress: o.address.localAddress } : {}),
      servername: sniForSpiffeId(o.remoteIdentity),
      secureContext: contextFor(svid),
      ...TLS_VERSION,
      rejectUnauthorized: false, // verified by hand against the remote trust domain's bundle, below
    });
    socket.setNoDelay(true); // small request/answer messages: Nagle + delayed ACK would add tens of ms
    const finish = (r: Partial_) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // end() flushes what was written (an abort must reach the responder); the
      // responder closes after its answer, and the timer only bounds a silent one.
      socket.end();
      const linger = setTimeout(() => socket.destroy(), 1000);
      linger.unref();
      socket.once('close', () => clearTimeout(linger));
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: 'timeout', by: 'local', detail: `no answer from ${o.remoteNode} (${o.address.host}:${o.address.port}) within ${timeoutMs} ms` }), timeoutMs);
    let tcpConnected = false;
    socket.once('connect', () => (tcpConnected = true));
    // 'on', not 'once': a reset can follow the first error, and an unheard 'error' would throw.
    socket.on('error', (err: Error & { code?: string }) => {
      const code = err.code ?? '';
      const connect = CONNECT_ERRORS.has(code) && !tcpConnected;
      finish({ ok: false, reason: connect ? 'connect_failed' : 'tls_error', by: connect ? 'peer' : 'local', detail: `${o.remoteNode} (${o.address.host}:${o.address.port}): ${code || err.message}` });
    });
    socket.once('secureConnect', async () => {
      try {
        if (socket.getProtocol() !== 'TLSv1.3') {
          return finish({ ok: false, reason: 'tls_error', by: 'local', detail: `negotiated ${socket.getProtocol() ?? '?'}, need TLSv1.3` });
        }
        const chain = peerChain(socket);
        if (isRefusalCertificate(chain[0])) {
          // The responder has no SVID for R; its reason is informative but unauthenticated.
          const m = parseServerMessage(await readMessage(socket, timeoutMs));
          return finish(m.t === 'fail'
            ? { ok: false, reason: m.reason, by: 'peer', detail: `${m.detail} (reported by an unauthenticated responder)` }
            : { ok: false, reason: 'protocol_error', by: 'local', detail: 'responder presented a refusal certificate and then claimed success' });
        }
        const v = verifySvidChain({ chain, expectedId: o.remoteIdentity, peerRole: 'server', trust: o.trust, now: new Date(now()) });
        if (!v.ok) {
          send(socket, { t: 'abort', reason: v.reason, detail: v.detail });
          return finish({ ok: false, reason: v.reason, by: 'local', detail: v.detail });
        }
        const c = o.connection;
        send(socket, {
          t: 'request',
          v: PROTOCOL_VERSION,
          initiator: o.localIdentity,
          responder: o.remoteIdentity,
          initiatorNode: o.nodeName,
          ...(c ? { conn: { saddr: c.sourceAddress, sport: c.sourcePort, daddr: c.destinationAddress, dport: c.destinationPort, ...(o.renewal ? { renew: true as const } : {}) } } : {}),
        });
        const m = parseServerMessage(await readMessage(socket, timeoutMs));
        if (m.t === 'fail') return finish({ ok: false, reason: m.reason, by: 'peer', detail: m.detail });
        const expiresAt = Math.min(v.notAfter.getTime(), presentedNotAfter(svid));
        const entry: AuthEntry = {
          localIdentity: o.localIdentity,
          remoteIdentity: o.remoteIdentity,
          remoteNode: o.remoteNode,
          authType: 'spiffe-mtls',
          expiresAt,
          authenticatedAt: now(),
          role: 'initiator',
          localSerial: svid.serial,
          remoteSerial: v.serial,
        };
        // A connection's authentication is not the pair's: caching it here would let later connections skip theirs.
        if (c) return finish({ ok: true, entry });
        try {
          await o.authMap.set(entry);
        } catch (err) {
          return finish({ ok: false, reason: 'auth_map_error', by: 'local', detail: err instanceof Error ? err.message : String(err) });
        }
        finish({ ok: true, entry });
      } catch (err) {
        const timeout = err instanceof Error && err.message === 'timeout';
        finish({ ok: false, reason: timeout ? 'timeout' : 'protocol_error', by: 'local', detail: err instanceof Error ? err.message : String(err) });
      }
    });
  });
}

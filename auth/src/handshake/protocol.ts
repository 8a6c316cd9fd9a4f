// The auth protocol inside the TLS 1.3 session, after both certificates have
// been exchanged. Newline-delimited JSON, at most three messages:
//
//   initiator → responder   {"t":"request","v":1,"initiator":L,"responder":R,"initiatorNode":N}
//                           … ,"conn":{"saddr":A,"sport":P,"daddr":B,"dport":Q[,"renew":true]}}   (per-connection mode)
//                        or {"t":"abort","reason":…,"detail":…}   (the responder's SVID failed verification)
//   responder → initiator   {"t":"ok","expiresAt":ms}             (sent only AFTER the responder's entry is in its auth map)
//                        or {"t":"fail","reason":…,"detail":…}
//
// The ordering is the point: the initiator releases the flow only when it has
// read "ok", and the responder writes "ok" only after its own entry is
// visible to its datapath, so the receiving side never sees an
// authenticated flow it has no entry for.
//
// Without "conn" the request authenticates the identity pair, and both sides
// write a pair entry (byte for byte what it was before the per-connection
// mode). With "conn" it authenticates that one TCP connection, named by its
// 4-tuple (the initiating workload's address and port, the receiving
// workload's): the responder writes a connection entry for exactly that
// tuple, and no pair entry; the initiator writes nothing (no cache: every
// connection has its own handshake). "renew" marks the re-authentication of a
// connection that is still open (its entry would expire first): the
// responder then keeps the entry's binding to that connection's SYN instead
// of starting it unbound, as it must for a new connection on a reused tuple.
//
// When the responder holds no SVID for the SNI it was asked for, it completes
// TLS with a throwaway "refusal" certificate (no SPIFFE ID; nobody can accept
// it) and sends {"t":"fail","reason":"no_svid"}. The initiator reports that
// reason but marks it as coming from an unauthenticated peer.
import { isIPv4 } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { isAuthFailureReason, type AuthFailureReason } from '../reasons.js';

export const PROTOCOL_VERSION = 1;
export const REFUSAL_CN = 'nodemesh-auth-refusal';
const MAX_LINE = 8192;

/** A connection's 4-tuple on the wire: IPv4 addresses, ports 1-65535. */
export interface WireConnection {
  saddr: string;
  sport: number;
  daddr: string;
  dport: number;
  renew?: true;
}

export type ClientMessage =
  | { t: 'request'; v: number; initiator: string; responder: string; initiatorNode: string; conn?: WireConnection }
  | { t: 'abort'; reason: AuthFailureReason; detail: string };
export type ServerMessage = { t: 'ok'; expiresAt: number } | { t: 'fail'; reason: AuthFailureReason; detail: string };

export class ProtocolError extends Error {}

export function send(socket: TLSSocket, m: ClientMessage | ServerMessage): void {
  socket.write(JSON.stringify(m) + '\n');
}

/** Reads one newline-terminated JSON message; rejects on close, overlong line or timeout. */
export function readMessage(socket: TLSSocket, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = (err: Error | undefined, v?: unknown) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      if (err) reject(err);
      else resolve(v);
    };
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl === -1) {
        if (buf.length > MAX_LINE) done(new ProtocolError(`message longer than ${MAX_LINE} bytes`));
        return;
      }
      try {
        done(undefined, JSON.parse(buf.slice(0, nl)));
      } catch {
        done(new ProtocolError('message is not JSON'));
      }
    };
    const onEnd = () => done(new ProtocolError('connection closed before the peer answered'));
    const onError = (e: Error) => done(new ProtocolError(`connection error: ${e.message}`));
    const timer = setTimeout(() => done(new Error('timeout')), timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
  });
}

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length < 4096;

export function parseClientMessage(v: unknown): ClientMessage {
  const o = v as Record<string, unknown> | null;
  if (o && o.t === 'request' && o.v === PROTOCOL_VERSION && str(o.initiator) && str(o.responder) && str(o.initiatorNode)) {
    const base = { t: 'request', v: PROTOCOL_VERSION, initiator: o.initiator, responder: o.responder, initiatorNode: o.initiatorNode } as const;
    if (o.conn === undefined) return base;
    const conn = parseWireConnection(o.conn);
    if (!conn) throw new ProtocolError('invalid connection tuple in the request (want IPv4 saddr/daddr and ports 1-65535)');
    return { ...base, conn };
  }
  if (o && o.t === 'request') throw new ProtocolError(`unsupported request (version ${JSON.stringify(o.v)}, want ${PROTOCOL_VERSION})`);
  if (o && o.t === 'abort' && isAuthFailureReason(o.reason)) return { t: 'abort', reason: o.reason, detail: typeof o.detail === 'string' ? o.detail.slice(0, 1024) : '' };
  throw new ProtocolError('unexpected message from the initiator');
}

const port = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;

function parseWireConnection(v: unknown): WireConnection | undefined {
  const c = v as Record<string, unknown> | null;
  if (!c || typeof c !== 'object' || typeof c.saddr !== 'string' || typeof c.daddr !== 'string' || !isIPv4(c.saddr) || !isIPv4(c.daddr) || !port(c.sport) || !port(c.dport)) return undefined;
  if (c.renew !== undefined && c.renew !== true) return undefined;
  return { saddr: c.saddr, sport: c.sport, daddr: c.daddr, dport: c.dport, ...(c.renew ? { renew: true as const } : {}) };
}

export function parseServerMessage(v: unknown): ServerMessage {
  const o = v as Record<string, unknown> | null;
  if (o && o.t === 'ok' && typeof o.expiresAt === 'number' && Number.isFinite(o.expiresAt)) return { t: 'ok', expiresAt: o.expiresAt };
  if (o && o.t === 'fail' && isAuthFailureReason(o.reason)) return { t: 'fail', reason: o.reason, detail: typeof o.detail === 'string' ? o.detail.slice(0, 1024) : '' };
  throw new ProtocolError('unexpected message from the responder');
}

/**
 * The peer's chain: leaf first, then the certificates it sent, as Node links
 * them by issuer. Whether each link is a real signature by a real CA is for
 * verifySvidChain to decide. X509Certificate.issuerCertificate avoids getPeerCertificate(true)'s
 * legacy objects, which cost more than the rest of the verification.
 */
export function peerChain(socket: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let c: X509Certificate | undefined = socket.getPeerX509Certificate();
  while (c && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(c);
    c = c.issuerCertificate;
  }
  return out;
}

export function isRefusalCertificate(c: X509Certificate | undefined): boolean {
  return !!c && c.subject.split('\n').includes(`CN=${REFUSAL_CN}`) && !c.subjectAltName;
}

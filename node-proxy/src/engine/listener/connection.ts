// One downstream connection as the network filters see it.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { ConnectionFacts } from './filter-chain-match.js';
import type { OriginalDst } from './original-dst.js';

export interface PeerIdentity {
  uri: string[];
  dns: string[];
  subject: string;
}

export interface DownstreamConnection {
  id: number;
  /** The raw socket, or the TLS socket when the chain terminates TLS. */
  socket: Socket | TLSSocket;
  facts: ConnectionFacts;
  originalDst?: OriginalDst;
  /** Set when the chain terminated TLS. */
  tls?: { alpn?: string; peer?: PeerIdentity };
  listener: string;
  startMs: number;
}

/** A terminal network filter (tcp_proxy, http_connection_manager). */
export interface TerminalFilter {
  handle(conn: DownstreamConnection): void;
  /** Listener update or removal: finish what is in flight, take nothing new on existing connections. */
  drain(): void;
  /** Close everything now. */
  close(): void;
}

/** A filter before the terminal one (network RBAC): false closes the connection. */
export type ConnectionCheck = (conn: DownstreamConnection) => boolean;

export interface CompiledChain {
  name: string;
  /** Builds the TLS socket when the chain terminates TLS; undefined for plaintext. */
  tls?: (socket: Duplex) => TLSSocket | { error: string };
  checks: ConnectionCheck[];
  terminal: TerminalFilter;
}

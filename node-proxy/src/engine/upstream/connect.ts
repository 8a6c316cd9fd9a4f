// Opening one upstream connection: TCP, then TLS when the cluster has a TLS
// transport socket, all within connect_timeout (Envoy's connect timer runs
// until the transport is ready, handshake included).
import net from 'node:net';
import tls from 'node:tls';
import type { UpstreamTls } from '../tls/upstream.js';

export class DialError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'DialError';
  }
}

export interface DialOptions {
  address: string;
  port: number;
  /** 0: no timeout. */
  timeoutMs: number;
  tls?: UpstreamTls;
  signal?: AbortSignal;
}

export function dial(o: DialOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const socket: net.Socket = o.tls ? tls.connect({ ...o.tls.options, host: o.address, port: o.port }) : net.connect({ host: o.address, port: o.port });
    // Envoy sets TCP_NODELAY on upstream connections.
    socket.setNoDelay(true);
    const fail = (err: DialError) => {
      if (settled) return;
      settled = true;
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onError = (err: Error) => fail(new DialError(`connect to ${o.address}:${o.port} failed: ${err.message}`, false));
    const onClose = () => fail(new DialError(`connection to ${o.address}:${o.port} closed during connect`, false));
    const onAbort = () => fail(new DialError('connect aborted', false));
    const timer = o.timeoutMs > 0 ? setTimeout(() => fail(new DialError(`connect to ${o.address}:${o.port} timed out after ${o.timeoutMs} ms`, true)), o.timeoutMs) : undefined;
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off('close', onClose);
      o.signal?.removeEventListener('abort', onAbort);
    };
    const ready = () => {
      if (settled) return;
      if (o.tls) {
        const reason = o.tls.verify(socket as tls.TLSSocket);
        if (reason) return fail(new DialError(`TLS peer of ${o.address}:${o.port} rejected: ${reason}`, false));
      }
      settled = true;
      cleanup();
      resolve(socket);
    };
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.once(o.tls ? 'secureConnect' : 'connect', ready);
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

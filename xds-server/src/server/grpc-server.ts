// The ADS gRPC server: binds Unix sockets (mode 0660, as Cilium does for its
// per-node Envoy, so only root and the proxy's group can program proxies) and
// TCP addresses, and runs one SotW or Delta stream per call.
import { chmodSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { DeltaStream } from './delta.js';
import { adsServiceDefinition, type DeltaRequest, type DeltaResponse, type SotwRequest, type SotwResponse } from './messages.js';
import { SotwStream } from './sotw.js';
import type { StreamDeps } from './stream.js';

export interface GrpcServerOptions extends StreamDeps {
  /** `unix:/path/to.sock` or `host:port` (port 0 picks a free one). */
  listen: readonly string[];
}

type Duplex<Req, Res> = grpc.ServerDuplexStream<Req, Res>;

export class XdsGrpcServer {
  private readonly server = new grpc.Server({
    // Proxies keep one long-lived stream; keepalives find dead peers without
    // waiting for TCP timeouts.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.max_receive_message_length': 16 << 20,
    'grpc.max_send_message_length': -1,
  });
  private readonly open = new Set<{ close(): void }>();

  constructor(private readonly opts: GrpcServerOptions) {
    this.server.addService(adsServiceDefinition, {
      StreamAggregatedResources: (call: Duplex<SotwRequest, SotwResponse>) => {
        const flow = new FlowControl(call);
        this.serve(call, new SotwStream(opts, flow), flow);
      },
      DeltaAggregatedResources: (call: Duplex<DeltaRequest, DeltaResponse>) => {
        const flow = new FlowControl(call);
        this.serve(call, new DeltaStream(opts, flow), flow);
      },
    });
  }

  /** Binds every address; returns them as bound (TCP port 0 resolved). */
  async start(): Promise<string[]> {
    const bound: string[] = [];
    for (const addr of this.opts.listen) {
      const unixPath = addr.startsWith('unix:') ? addr.slice('unix:'.length) : undefined;
      if (unixPath) {
        mkdirSync(dirname(unixPath), { recursive: true });
        // A socket left by a crashed earlier run would make bind fail.
        if (isSocket(unixPath)) rmSync(unixPath);
      }
      const port = await new Promise<number>((resolve, reject) =>
        this.server.bindAsync(addr, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
      );
      if (unixPath) {
        chmodSync(unixPath, 0o660);
        bound.push(addr);
      } else {
        bound.push(addr.replace(/:\d+$/, `:${port}`));
      }
    }
    this.opts.log.info('xds server listening', { addresses: bound });
    return bound;
  }

  async stop(): Promise<void> {
    for (const s of this.open) s.close();
    // Leave no socket file behind for the next start (or a reader) to trip on.
    for (const addr of this.opts.listen) if (addr.startsWith('unix:')) rmSync(addr.slice('unix:'.length), { force: true });
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2000);
      this.server.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private serve<Req, Res>(
    call: Duplex<Req, Res>,
    stream: { request(r: Req): void; drained(): void; close(): void },
    flow: FlowControl<Res & Sized>,
  ): void {
    flow.onDrain = () => stream.drained();
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      flow.close();
      this.open.delete(handle);
      stream.close();
    };
    const handle = {
      close: () => {
        close();
        call.end();
      },
    };
    this.open.add(handle);
    call.on('data', (req: Req) => {
      try {
        stream.request(req);
      } catch (err) {
        close();
        call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: (err as Error).message });
      }
    });
    call.on('end', () => {
      close();
      call.end();
    });
    call.on('cancelled', close);
    call.on('close', close);
    call.on('error', close);
  }
}

interface Sized {
  resources: readonly { body: Uint8Array }[];
}

/**
 * Bounds the bytes queued for sending, per stream and for the whole server.
 * grpc-js's streams are in object mode, so write() only pushes back after 16
 * messages — up to megabytes each in an initial push — and when a thousand
 * proxies reconnect at once (after a control-plane restart) the server would
 * queue gigabytes. A stream computes its next response only when its own
 * queue is under PER_STREAM bytes and the server's under GLOBAL; otherwise it
 * waits, in line, to be woken when bytes have reached the HTTP/2 layer.
 */
export class FlowControl<R extends Sized> {
  static readonly PER_STREAM = 256 << 10;
  static readonly GLOBAL = 64 << 20;
  private static globalInflight = 0;
  private static readonly waiting = new Set<FlowControl<Sized>>();

  /** Bytes queued server-wide and streams waiting for budget (for metrics and benchmarks). */
  static stats(): { inflightBytes: number; waitingStreams: number } {
    return { inflightBytes: FlowControl.globalInflight, waitingStreams: FlowControl.waiting.size };
  }

  private inflight = 0;
  private closed = false;
  onDrain: () => void = () => {};

  constructor(private readonly call: { write(r: R, cb: () => void): boolean }) {}

  ready(): boolean {
    if (this.closed) return false;
    const ok = this.inflight < FlowControl.PER_STREAM && FlowControl.globalInflight < FlowControl.GLOBAL;
    if (!ok) FlowControl.waiting.add(this as FlowControl<Sized>);
    return ok;
  }

  send(r: R): void {
    let size = 64;
    for (const x of r.resources) size += x.body.length + 64;
    this.inflight += size;
    FlowControl.globalInflight += size;
    this.call.write(r, () => {
      if (this.closed) return; // already returned to the budget by close()
      this.inflight -= size;
      FlowControl.globalInflight -= size;
      FlowControl.wake();
    });
  }

  /**
   * A stream that ends with writes still queued may never see their
   * callbacks; its bytes go back to the server-wide budget here, or the
   * budget would leak until every stream stalled.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    FlowControl.waiting.delete(this as FlowControl<Sized>);
    FlowControl.globalInflight -= this.inflight;
    this.inflight = 0;
    FlowControl.wake();
  }

  private static wake(): void {
    for (const f of FlowControl.waiting) {
      if (FlowControl.globalInflight >= FlowControl.GLOBAL) return;
      if (f.inflight >= FlowControl.PER_STREAM) continue;
      FlowControl.waiting.delete(f);
      f.onDrain();
    }
  }
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

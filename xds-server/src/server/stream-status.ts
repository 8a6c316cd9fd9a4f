// What each connected client has been sent, ACKed and NACKed, per type: the
// source of `nodemesh status`, of the NACK log lines and metrics, and of tests
// that wait for a client to apply a version.
import { SHORT_NAME, isResourceTypeUrl } from '../../../api/src/type-urls.js';
import type { NodeInfo } from '../cache/snapshot-cache.js';
import type { Logger } from '../log.js';
import type { XdsMetrics } from '../metrics.js';

export interface Nack {
  version: string;
  nonce: string;
  message: string;
  code: number;
  at: string;
}

export interface TypeStatus {
  sentVersion?: string;
  sentNonce?: string;
  ackedVersion?: string;
  /** The last rejection; cleared when a later response is ACKed. */
  nack?: Nack;
  resources?: number;
}

export interface StreamStatus {
  streamId: number;
  protocol: 'sotw' | 'delta';
  node?: NodeInfo;
  group?: string;
  connectedAt: string;
  types: Record<string, TypeStatus>;
}

type Listener = (s: StreamStatus) => void;

export class StreamRegistry {
  private nextId = 1;
  private readonly streams = new Map<number, StreamStatus>();
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly log: Logger,
    private readonly metrics: XdsMetrics,
  ) {}

  open(protocol: 'sotw' | 'delta'): StreamStatus {
    const s: StreamStatus = { streamId: this.nextId++, protocol, connectedAt: new Date().toISOString(), types: {} };
    this.streams.set(s.streamId, s);
    this.metrics.streams.inc({ protocol });
    return s;
  }

  close(s: StreamStatus): void {
    if (this.streams.delete(s.streamId)) this.metrics.streams.dec({ protocol: s.protocol });
    this.log.info('xds stream closed', { streamId: s.streamId, node: s.node?.id });
  }

  sent(s: StreamStatus, typeUrl: string, version: string, nonce: string, resources: number, bytes: number): void {
    const t = (s.types[label(typeUrl)] ??= {});
    t.sentVersion = version;
    t.sentNonce = nonce;
    t.resources = resources;
    this.metrics.responses.inc({ protocol: s.protocol, type: label(typeUrl) });
    this.metrics.responseBytes.inc({ protocol: s.protocol, type: label(typeUrl) }, bytes);
  }

  acked(s: StreamStatus, typeUrl: string, version: string): void {
    const t = (s.types[label(typeUrl)] ??= {});
    t.ackedVersion = version;
    delete t.nack;
    this.metrics.acks.inc({ type: label(typeUrl) });
    this.notify(s);
  }

  nacked(s: StreamStatus, typeUrl: string, nack: Nack): void {
    const t = (s.types[label(typeUrl)] ??= {});
    t.nack = nack;
    this.metrics.nacks.inc({ type: label(typeUrl) });
    this.log.warn('xds update rejected (NACK); the client keeps its last accepted version', {
      streamId: s.streamId,
      node: s.node?.id,
      type: label(typeUrl),
      rejectedVersion: nack.version,
      ackedVersion: t.ackedVersion ?? null,
      error: nack.message,
    });
    this.notify(s);
  }

  list(): StreamStatus[] {
    return [...this.streams.values()];
  }

  /** Calls `l` after every ACK or NACK (tests and completions wait on this). */
  onUpdate(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private notify(s: StreamStatus): void {
    for (const l of this.listeners) l(s);
  }
}

function label(typeUrl: string): string {
  return isResourceTypeUrl(typeUrl) ? SHORT_NAME[typeUrl] : typeUrl;
}

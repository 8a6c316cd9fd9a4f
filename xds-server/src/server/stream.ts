// What SotW and Delta streams share: the node a stream belongs to (from its
// first request), the group snapshot it watches, its status entry, and
// recording ACKs and NACKs.
import type { Node__Output } from '../../../api/src/generated/envoy/config/core/v3/Node.js';
import type { Status__Output } from '../../../api/src/generated/google/rpc/Status.js';
import { isResourceTypeUrl, type ResourceTypeUrl } from '../../../api/src/type-urls.js';
import type { Snapshot } from '../cache/snapshot.js';
import type { SnapshotCache } from '../cache/snapshot-cache.js';
import type { Logger } from '../log.js';
import { nodeInfo } from './node-info.js';
import type { StreamRegistry, StreamStatus } from './stream-status.js';

export interface StreamDeps {
  cache: SnapshotCache;
  registry: StreamRegistry;
  log: Logger;
}

/**
 * Where a stream's responses go. `ready()` false means the transport is backed
 * up: the stream computes nothing until `drained()` is called, so a slow
 * client gets one coalesced update instead of a queue of stale ones.
 */
export interface Outbox<R> {
  ready(): boolean;
  send(response: R): void;
}

export abstract class AdsStream<R> {
  readonly status: StreamStatus;
  protected snapshot?: Snapshot;
  protected nonce = 0;
  private unwatch?: () => void;

  constructor(
    protected readonly deps: StreamDeps,
    protected readonly out: Outbox<R>,
    protocol: 'sotw' | 'delta',
  ) {
    this.status = deps.registry.open(protocol);
  }

  /** Sends whatever the client lacks, as far as the transport allows. */
  protected abstract flush(): void;

  drained(): void {
    this.flush();
  }

  close(): void {
    this.unwatch?.();
    this.deps.registry.close(this.status);
  }

  /**
   * What every request starts with: bind the stream to its node (first
   * request) and check the type. Returns the type, or undefined for one
   * nodemesh does not serve (logged; the client waits, as with any server
   * that lacks the type).
   */
  protected begin(req: { node: Node__Output | null; type_url: string }): ResourceTypeUrl | undefined {
    this.attach(req.node);
    if (isResourceTypeUrl(req.type_url)) return req.type_url;
    this.deps.log.warn('request for a type nodemesh does not serve', { node: this.status.node?.id, typeUrl: req.type_url });
    return undefined;
  }

  /** Binds the stream to its node on the first request; throws if that request names no node. */
  private attach(node: Node__Output | null): void {
    if (this.status.node) return;
    if (!node?.id) throw new Error(`the first request on a ${this.status.protocol} stream must carry node.id`);
    const info = nodeInfo(node);
    this.status.node = info;
    this.status.group = this.deps.cache.nodeHash(info);
    this.snapshot = this.deps.cache.getSnapshot(this.status.group);
    this.unwatch = this.deps.cache.watch(this.status.group, (s) => {
      this.snapshot = s;
      this.flush();
    });
    this.deps.log.info('xds stream opened', { protocol: this.status.protocol, node: info.id, group: this.status.group });
  }

  /** Records the client's answer to the response that carried `version`. */
  protected answered(typeUrl: ResourceTypeUrl, version: string, nonce: string, error: Status__Output | null): void {
    if (error) {
      this.deps.registry.nacked(this.status, typeUrl, { version, nonce, message: error.message, code: error.code, at: new Date().toISOString() });
    } else {
      this.deps.registry.acked(this.status, typeUrl, version);
    }
  }
}

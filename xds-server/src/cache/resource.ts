// One encoded xDS resource: what the translator emits and the server sends.
// Bytes are encoded once and shared by every stream that sends them; the
// version is a content hash, so an unchanged resource keeps its version across
// snapshots and Delta clients are never sent it again.
import { createHash } from 'node:crypto';
import protobuf from 'protobufjs';
import type { ResourceTypeUrl } from '../../../api/src/type-urls.js';

/** Names of other resources a resource depends on (for the consistency check). */
export interface ResourceRefs {
  /** EDS service names a Cluster needs. */
  endpoints?: readonly string[];
  /** RouteConfiguration names a Listener needs. */
  routes?: readonly string[];
  /** SDS secret names. */
  secrets?: readonly string[];
}

export class EncodedResource {
  readonly version: string;
  private anyBytes?: Uint8Array;
  private deltaBytes?: Uint8Array;

  constructor(
    readonly typeUrl: ResourceTypeUrl,
    readonly name: string,
    /** The serialized Envoy message (not wrapped in Any). */
    readonly body: Uint8Array,
    readonly refs: ResourceRefs = {},
  ) {
    this.version = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  }

  /** google.protobuf.Any bytes, as SotW's DiscoveryResponse.resources carries them. */
  any(): Uint8Array {
    this.anyBytes ??= protobuf.Writer.create().uint32(10).string(this.typeUrl).uint32(18).bytes(this.body).finish();
    return this.anyBytes;
  }

  /** envoy.service.discovery.v3.Resource bytes, as Delta's response carries them. */
  deltaResource(): Uint8Array {
    this.deltaBytes ??= protobuf.Writer.create()
      .uint32(10) // version = 1
      .string(this.version)
      .uint32(18) // resource = 2
      .bytes(this.any())
      .uint32(26) // name = 3
      .string(this.name)
      .finish();
    return this.deltaBytes;
  }
}

export type ResourceMap = ReadonlyMap<string, EncodedResource>;

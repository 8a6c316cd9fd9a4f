// A lightweight ADS client for benchmarks: real gRPC streams to the server,
// but responses are only skimmed (type, nonce, counts, bytes), so that a
// thousand clients in one process measure the server, not the client.
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { adsServiceDefinition } from '../xds-server/src/server/messages.js';

export interface Skimmed {
  typeUrl: string;
  nonce: string;
  version: string;
  resources: number;
  removed: number;
  bytes: number;
  /** Names of the resources carried (Delta only; SotW bodies are not opened). */
  names: string[];
}

function skim(buf: Buffer, delta: boolean): Skimmed {
  const r = protobuf.Reader.create(buf);
  const out: Skimmed = { typeUrl: '', nonce: '', version: '', resources: 0, removed: 0, bytes: buf.length, names: [] };
  const bodies: Uint8Array[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1) out.version = r.string();
    else if (field === 4) out.typeUrl = r.string();
    else if (field === 5) out.nonce = r.string();
    else if (field === 2) {
      out.resources++;
      const bytes = r.bytes();
      if (delta) bodies.push(bytes);
    } else if (field === 6 && delta) {
      out.removed++;
      r.skipType(2); // length-delimited
    } else r.skipType(tag & 7);
  }
  // Only cluster and listener names are needed (to subscribe to their
  // endpoints and routes); type_url comes after the resources on the wire.
  if (out.typeUrl.endsWith('.Cluster') || out.typeUrl.endsWith('.Listener'))
    for (const bytes of bodies) {
      const rr = protobuf.Reader.create(bytes);
      while (rr.pos < rr.len) {
        const t = rr.uint32();
        if (t >>> 3 === 3) out.names.push(rr.string()); // Resource.name = 3
        else rr.skipType(t & 7);
      }
    }
  return out;
}

const definition = {
  StreamAggregatedResources: { ...adsServiceDefinition.StreamAggregatedResources, responseDeserialize: (b: Buffer) => skim(b, false) },
  DeltaAggregatedResources: { ...adsServiceDefinition.DeltaAggregatedResources, responseDeserialize: (b: Buffer) => skim(b, true) },
} satisfies grpc.ServiceDefinition;

export const AdsClient = grpc.makeGenericClientConstructor(definition, 'AggregatedDiscoveryService');
export type AdsClientInstance = InstanceType<typeof AdsClient>;

export function newAdsClient(address: string): AdsClientInstance {
  return new AdsClient(address, grpc.credentials.createInsecure(), {
    // One connection per client, as separate proxies would have.
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_receive_message_length': -1,
  });
}

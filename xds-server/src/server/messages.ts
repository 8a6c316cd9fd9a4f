// Wire codecs for the ADS service. Requests are decoded with the Envoy protos;
// responses are written by hand from each resource's pre-encoded bytes, so a
// resource is serialized once however many streams send it.
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { messageType } from '../../../api/src/protos.js';
import type { DeltaDiscoveryRequest__Output } from '../../../api/src/generated/envoy/service/discovery/v3/DeltaDiscoveryRequest.js';
import type { DiscoveryRequest__Output } from '../../../api/src/generated/envoy/service/discovery/v3/DiscoveryRequest.js';
import type { EncodedResource } from '../cache/resource.js';

export type { DeltaDiscoveryRequest__Output as DeltaRequest, DiscoveryRequest__Output as SotwRequest };

export interface SotwResponse {
  version_info: string;
  type_url: string;
  nonce: string;
  resources: readonly EncodedResource[];
}

export interface DeltaResponse {
  system_version_info: string;
  type_url: string;
  nonce: string;
  resources: readonly EncodedResource[];
  removed_resources: readonly string[];
}

const TO_OBJECT: protobuf.IConversionOptions = {
  enums: String,
  longs: String,
  bytes: Buffer,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};

function decoder<T>(fullName: string): (buf: Buffer) => T {
  const type = messageType(fullName);
  return (buf) => type.toObject(type.decode(buf), TO_OBJECT) as T;
}

export const decodeSotwRequest = decoder<DiscoveryRequest__Output>('envoy.service.discovery.v3.DiscoveryRequest');
export const decodeDeltaRequest = decoder<DeltaDiscoveryRequest__Output>('envoy.service.discovery.v3.DeltaDiscoveryRequest');

export function encodeSotwResponse(r: SotwResponse): Buffer {
  const w = protobuf.Writer.create();
  if (r.version_info) w.uint32(10).string(r.version_info);
  for (const res of r.resources) w.uint32(18).bytes(res.any());
  w.uint32(34).string(r.type_url);
  w.uint32(42).string(r.nonce);
  return Buffer.from(w.finish());
}

export function encodeDeltaResponse(r: DeltaResponse): Buffer {
  const w = protobuf.Writer.create();
  if (r.system_version_info) w.uint32(10).string(r.system_version_info);
  for (const res of r.resources) w.uint32(18).bytes(res.deltaResource());
  w.uint32(34).string(r.type_url);
  w.uint32(42).string(r.nonce);
  for (const name of r.removed_resources) w.uint32(50).string(name);
  return Buffer.from(w.finish());
}

const ADS = '/envoy.service.discovery.v3.AggregatedDiscoveryService/';

/**
 * The AggregatedDiscoveryService definition with nodemesh's codecs. Responses
 * are only ever written by the server, so their deserializers exist for
 * clients in tests.
 */
export const adsServiceDefinition = {
  StreamAggregatedResources: {
    path: `${ADS}StreamAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (m: object): Buffer => encodeWith('envoy.service.discovery.v3.DiscoveryRequest', m),
    requestDeserialize: decodeSotwRequest,
    responseSerialize: encodeSotwResponse,
    responseDeserialize: decoder<Record<string, unknown>>('envoy.service.discovery.v3.DiscoveryResponse'),
  },
  DeltaAggregatedResources: {
    path: `${ADS}DeltaAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (m: object): Buffer => encodeWith('envoy.service.discovery.v3.DeltaDiscoveryRequest', m),
    requestDeserialize: decodeDeltaRequest,
    responseSerialize: encodeDeltaResponse,
    responseDeserialize: decoder<Record<string, unknown>>('envoy.service.discovery.v3.DeltaDiscoveryResponse'),
  },
} satisfies grpc.ServiceDefinition;

function encodeWith(fullName: string, m: object): Buffer {
  const type = messageType(fullName);
  return Buffer.from(type.encode(type.fromObject(m as Record<string, unknown>)).finish());
}

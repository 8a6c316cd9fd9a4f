// Which snapshot a node is served. Envoy node proxies and proxyless gRPC
// clients need different listeners (see xds/translator.ts); everything else
// is shared. A node can state its profile in metadata; otherwise the client's
// user agent tells (Envoy says "envoy", gRPC libraries say "gRPC …").
import type { NodeInfo } from './cache/snapshot-cache.js';
import type { Profile } from './xds/translator.js';

export const PROFILE_METADATA_KEY = 'nodemesh.io/profile';

export function profileNodeHash(node: NodeInfo): Profile {
  const declared = node.metadata[PROFILE_METADATA_KEY];
  if (declared === 'envoy' || declared === 'proxyless') return declared;
  return /grpc/i.test(node.userAgentName) ? 'proxyless' : 'envoy';
}

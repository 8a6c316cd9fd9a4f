// SPIRE as a CertificateProvider — DOCUMENTED, NOT IMPLEMENTED.
//
// It cannot be built or tested here: it needs a running SPIRE server and
// agent (the agent's admin socket), which this repository's test machine does
// not have, and shipping an untested provider would be worse than none.
// What an implementation has to do, following Cilium's pkg/auth/spire:
//
//   * Connect to the SPIRE agent's admin socket (default
//     unix:///run/spire/sockets/admin.sock) with gRPC and call the Delegated
//     Identity API (spire.api.agent.delegatedidentity.v1):
//       - SubscribeToX509SVIDs({selectors}) — selectors identify the workloads
//         of this node, e.g. k8s:ns:<ns> + k8s:sa:<sa>, which SPIRE maps to
//         spiffe://<td>/ns/<ns>/sa/<sa> through registration entries. Each
//         response carries the current SVIDs (DER chain + PKCS#8 key): map a
//         new ID to a ProviderEvent 'issued', a new serial for a known ID to
//         'rotated', an ID that disappears to 'removed'. SPIRE decides TTLs
//         and rotation; the provider does not schedule its own.
//       - SubscribeToX509Bundles() — trust bundles per trust domain, the local
//         one and federated ones: TrustStore.setBundle / removeBundle.
//   * Keep serving the last SVIDs while the stream reconnects (backoff), and
//     report staleness; never fall back to issuing its own.
//   * Registration entries (which selectors get which ID) are SPIRE's job;
//     nodemesh would only document the entries to create.
//
// The handshake, the auth map and the manager do not change: they see only
// CertificateProvider and TrustStore.
import type { TrustStore } from './trust.js';
import type { CertificateProvider } from './provider.js';

export interface SpireProviderOptions {
  /** The SPIRE agent admin socket, e.g. unix:///run/spire/sockets/admin.sock. */
  adminSocket: string;
  trust: TrustStore;
}

export function createSpireProvider(_o: SpireProviderOptions): CertificateProvider {
  throw new Error('the SPIRE certificate provider is not implemented (see auth/src/certs/spire.ts); use the embedded or a bring-your-own CA');
}

// Public surface of auth/: what the node agent, the CLI and other packages import.
export { parseSpiffeId, mustParseSpiffeId, workloadSpiffeId, parseWorkloadId, checkTrustDomain, type SpiffeId } from './spiffe/id.js';
export { sniForSpiffeId, isSpiffeSni } from './spiffe/sni.js';
export { X509Authority, type Svid, type IssueOptions } from './certs/authority.js';
export { TrustStore, type TrustEvent } from './certs/trust.js';
export { verifySvidChain, type VerifyResult, type PeerRole } from './certs/verify.js';
export { StaticCertificateProvider, type CertificateProvider, type ProviderEvent } from './certs/provider.js';
export { EmbeddedCertificateProvider, systemClock, type Clock, type EmbeddedProviderOptions } from './certs/embedded.js';
export { createSpireProvider, type SpireProviderOptions } from './certs/spire.js';
export { PrivateKeyPem } from './certs/secret.js';
export { InMemoryAuthMap } from './authmap/memory.js';
export { authKeyString, type AuthEntry, type AuthKey, type AuthMap, type AuthType } from './authmap/types.js';
export { AuthServer, type AuthServerOptions, type ResponderOutcome } from './handshake/server.js';
export { initiateHandshake, type HandshakeResult, type NodeAddress } from './handshake/client.js';
export { AuthManager, type AuthDecision, type AuthManagerOptions, type FlowKey } from './manager.js';
export { AuthMetrics } from './metrics.js';
export { AUTH_FAILURE_REASONS, isAuthFailureReason, type AuthFailureReason } from './reasons.js';
export type * from './datapath.js';

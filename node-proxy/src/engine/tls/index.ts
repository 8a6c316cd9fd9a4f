// TLS helpers shared by listeners (downstream) and clusters (upstream).
export { downstreamTlsContext, type DownstreamTls } from './downstream.js';
export type { Missing } from './material.js';
export { peerPrincipals, type PeerPrincipals } from './san.js';
export { secretStore, toSecretStore, type SecretStore, type SecretsArg } from './secrets.js';
export { upstreamTlsOptions, type UpstreamTls } from './upstream.js';

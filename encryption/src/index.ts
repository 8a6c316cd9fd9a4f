// Public surface of encryption/: the agent, its data path, and the pure
// pieces (MTU, planning, strict-mode ruleset, IPsec configuration) that tests
// and other components use.
export { EncryptionAgent, AGENT_STATE_FILE, ROTATE_REQUEST_FILE } from './agent.js';
export type { AgentOptions, AgentState, EncryptionMode } from './agent.js';
export { WireGuardDatapath, WireGuardUnavailableError } from './datapath.js';
export type { Implementation } from './datapath.js';
export { tunnelMtu, tunnelMtuForPaths, WIREGUARD_OVERHEAD } from './mtu.js';
export { desiredState, wgPeerArgs, routeCommands, canonicalCidr, cidrsOverlap, TUNNEL_ROUTE_METRIC } from './plan.js';
export type { DesiredState, PeerConfig } from './plan.js';
export { strictRuleset, applyStrict, removeStrict, strictDrops, STRICT_TABLE, STRICT_COUNTER } from './strict.js';
export { ipsecConfig, ipsecRotation, checkIpsecKernel, missingIpsecFeatures, IpsecUnavailableError } from './ipsec.js';
export { encryptionStatus, formatStatus } from './status.js';
export type { EncryptionStatus, PeerStatus } from './status.js';
export { parseWgDump } from './wg-dump.js';
export { KeyStore, generatePrivateKey, publicKeyOf } from './keys.js';

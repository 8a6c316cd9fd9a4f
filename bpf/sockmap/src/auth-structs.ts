// Codecs of the auth datapath's structs (issue #6), each naming its C header
// under bpf/sockmap/include/; structs.test.ts checks them against the BTF of
// the compiled objects, as the steering codecs in structs.ts.
import { isIPv4 } from 'node:net';
import type { Codec } from './structs.js';

/** enum nm_auth_type (auth_map.h). */
export const AUTH_TYPE_SPIFFE_MTLS = 1;
/** enum nm_auth_role (auth_map.h). */
export const AUTH_ROLES = { initiator: 1, responder: 2 } as const;
export type AuthRole = keyof typeof AUTH_ROLES;
/** enum nm_auth_mode (auth_required_map.h). */
export const AUTH_MODE_REQUIRED = 1;
export const AUTH_MODE_PER_CONNECTION = 2;
/** What nm_auth_required says of a port: an identity pair entry is enough, or each connection needs its own. */
export type AuthPortMode = 'required' | 'per-connection';
export const AUTH_PORT_MODES: Record<AuthPortMode, number> = { required: AUTH_MODE_REQUIRED, 'per-connection': AUTH_MODE_PER_CONNECTION };
/** NM_NAME_MAX (auth_name.h). */
export const NAME_MAX = 2048;
const SERIAL_MAX = 48;

export interface AuthKeyIds {
  localId: number;
  remoteId: number;
  remoteNode: number;
  authType: number;
}

export const AUTH_KEY: Codec<AuthKeyIds> = {
  cName: 'nm_auth_key',
  header: 'auth_map.h',
  size: 12,
  fields: { local_id: { offset: 0, size: 4 }, remote_id: { offset: 4, size: 4 }, remote_node: { offset: 8, size: 2 }, auth_type: { offset: 10, size: 1 }, pad: { offset: 11, size: 1 } },
  encode(k) {
    const b = Buffer.alloc(12);
    b.writeUInt32LE(k.localId, 0);
    b.writeUInt32LE(k.remoteId, 4);
    b.writeUInt16LE(k.remoteNode, 8);
    b[10] = k.authType;
    return b;
  },
  decode(b) {
    return { localId: b.readUInt32LE(0), remoteId: b.readUInt32LE(4), remoteNode: b.readUInt16LE(8), authType: b[10]! };
  },
};

export interface AuthInfo {
  /** CLOCK_BOOTTIME ns: what the programs compare with bpf_ktime_get_boot_ns(). */
  expiresBootNs: bigint;
  /** Wall clock, ms since epoch (user space only). */
  expiresMs: number;
  authenticatedMs: number;
  role: AuthRole;
  localSerial: string;
  remoteSerial: string;
}

function putString(b: Buffer, at: number, max: number, s: string, what: string): void {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length > max) throw new Error(`${what} is ${bytes.length} bytes, more than ${max}`);
  bytes.copy(b, at);
}
function getString(b: Buffer, at: number, max: number): string {
  const s = b.subarray(at, at + max);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? max : nul).toString('utf8');
}

export const AUTH_INFO: Codec<AuthInfo> = {
  cName: 'nm_auth_info',
  header: 'auth_map.h',
  size: 128,
  fields: {
    expires_boot_ns: { offset: 0, size: 8 },
    expires_ms: { offset: 8, size: 8 },
    authenticated_ms: { offset: 16, size: 8 },
    role: { offset: 24, size: 1 },
    pad: { offset: 25, size: 7 },
    local_serial: { offset: 32, size: SERIAL_MAX },
    remote_serial: { offset: 80, size: SERIAL_MAX },
  },
  encode(v) {
    const b = Buffer.alloc(128);
    b.writeBigUInt64LE(v.expiresBootNs, 0);
    b.writeBigUInt64LE(BigInt(Math.max(0, Math.round(v.expiresMs))), 8);
    b.writeBigUInt64LE(BigInt(Math.max(0, Math.round(v.authenticatedMs))), 16);
    b[24] = AUTH_ROLES[v.role];
    putString(b, 32, SERIAL_MAX, v.localSerial, 'local serial');
    putString(b, 80, SERIAL_MAX, v.remoteSerial, 'remote serial');
    return b;
  },
  decode(b) {
    return {
      expiresBootNs: b.readBigUInt64LE(0),
      expiresMs: Number(b.readBigUInt64LE(8)),
      authenticatedMs: Number(b.readBigUInt64LE(16)),
      role: b[24] === AUTH_ROLES.initiator ? 'initiator' : 'responder',
      localSerial: getString(b, 32, SERIAL_MAX),
      remoteSerial: getString(b, 80, SERIAL_MAX),
    };
  },
};

export interface IpIdentity {
  identityId: number;
  nodeId: number;
}

export const IP_IDENTITY: Codec<IpIdentity> = {
  cName: 'nm_ip_identity',
  header: 'auth_ip_identity_map.h',
  size: 8,
  fields: { identity_id: { offset: 0, size: 4 }, node_id: { offset: 4, size: 2 }, pad: { offset: 6, size: 2 } },
  encode(v) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(v.identityId, 0);
    b.writeUInt16LE(v.nodeId, 4);
    return b;
  },
  decode(b) {
    return { identityId: b.readUInt32LE(0), nodeId: b.readUInt16LE(4) };
  },
};

/** The key of nm_ip_identity: an IPv4 address in network order (a __u32 in C). */
export function ipv4Key(address: string): Buffer {
  if (!isIPv4(address)) throw new Error(`not an IPv4 address: ${address}`);
  return Buffer.from(address.split('.').map(Number));
}
export const ipv4FromKey = (b: Buffer) => `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;

export interface AuthRequiredKey {
  identityId: number;
  /** Local TCP port; 0 = every port of the identity. */
  port: number;
}

export const AUTH_REQUIRED_KEY: Codec<AuthRequiredKey> = {
  cName: 'nm_auth_required_key',
  header: 'auth_required_map.h',
  size: 8,
  fields: { identity_id: { offset: 0, size: 4 }, port: { offset: 4, size: 2 }, pad: { offset: 6, size: 2 } },
  encode(k) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(k.identityId, 0);
    b.writeUInt16LE(k.port, 4);
    return b;
  },
  decode(b) {
    return { identityId: b.readUInt32LE(0), port: b.readUInt16LE(4) };
  },
};

export const AUTH_REQUIRED_VALUE: Codec<{ mode: number }> = {
  cName: 'nm_auth_required_value',
  header: 'auth_required_map.h',
  size: 4,
  fields: { mode: { offset: 0, size: 1 }, pad: { offset: 1, size: 3 } },
  encode(v) {
    const b = Buffer.alloc(4);
    b[0] = v.mode;
    return b;
  },
  decode(b) {
    return { mode: b[0]! };
  },
};

export const NAME: Codec<string> = {
  cName: 'nm_name',
  header: 'auth_name.h',
  size: 4 + NAME_MAX,
  fields: { len: { offset: 0, size: 2 }, pad: { offset: 2, size: 2 }, name: { offset: 4, size: NAME_MAX } },
  encode(s) {
    const b = Buffer.alloc(4 + NAME_MAX);
    const bytes = Buffer.from(s, 'utf8');
    if (!bytes.length || bytes.length > NAME_MAX) throw new Error(`name of ${bytes.length} bytes: must be 1..${NAME_MAX}`);
    b.writeUInt16LE(bytes.length, 0);
    bytes.copy(b, 4);
    return b;
  },
  decode(b) {
    const len = Math.min(b.readUInt16LE(0), NAME_MAX);
    return b.subarray(4, 4 + len).toString('utf8');
  },
};

export interface AuthGate {
  /** IPv4 address the gate listens on. */
  address: string;
  /** 0 = no gate: auth-required connects without an entry are refused. */
  port: number;
}

export const AUTH_GATE: Codec<AuthGate> = {
  cName: 'nm_auth_gate',
  header: 'auth_gate_map.h',
  size: 8,
  fields: { addr4: { offset: 0, size: 4 }, port: { offset: 4, size: 2 }, flags: { offset: 6, size: 1 }, pad: { offset: 7, size: 1 } },
  encode(v) {
    const b = Buffer.alloc(8);
    ipv4Key(v.address).copy(b, 0);
    b.writeUInt16LE(v.port, 4);
    return b;
  },
  decode(b) {
    return { address: ipv4FromKey(b.subarray(0, 4)), port: b.readUInt16LE(4) };
  },
};

export interface AuthTunnel {
  /** Whether auth-required packets from other nodes must come out of the tunnel. */
  required: boolean;
  /** The tunnel interface (in the receiving node's namespace); 0 = none at the moment: with `required`, every such packet is dropped. */
  ifindex: number;
}

export const AUTH_TUNNEL: Codec<AuthTunnel> = {
  cName: 'nm_auth_tunnel',
  header: 'auth_tunnel_map.h',
  size: 8,
  fields: { ifindex: { offset: 0, size: 4 }, required: { offset: 4, size: 1 }, pad: { offset: 5, size: 3 } },
  encode(v) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(v.ifindex, 0);
    b[4] = v.required ? 1 : 0;
    return b;
  },
  decode(b) {
    return { ifindex: b.readUInt32LE(0), required: b[4] !== 0 };
  },
};

/** A TCP connection as its receiver sees it: the initiator's address and port, the receiving workload's. */
export interface ConnTuple {
  saddr: string;
  daddr: string;
  sport: number;
  dport: number;
}

export const AUTH_CONN_KEY: Codec<ConnTuple> = {
  cName: 'nm_auth_conn_key',
  header: 'auth_conn_map.h',
  size: 12,
  fields: { saddr: { offset: 0, size: 4 }, daddr: { offset: 4, size: 4 }, sport: { offset: 8, size: 2 }, dport: { offset: 10, size: 2 } },
  encode(k) {
    const b = Buffer.alloc(12);
    ipv4Key(k.saddr).copy(b, 0);
    ipv4Key(k.daddr).copy(b, 4);
    b.writeUInt16LE(k.sport, 8);
    b.writeUInt16LE(k.dport, 10);
    return b;
  },
  decode(b) {
    return { saddr: ipv4FromKey(b.subarray(0, 4)), daddr: ipv4FromKey(b.subarray(4, 8)), sport: b.readUInt16LE(8), dport: b.readUInt16LE(10) };
  },
};

export interface AuthConnInfo {
  expiresBootNs: bigint;
  /** 0n until the connection's SYN arrived; then 1 << 32 | its sequence number (set by the program). */
  boundSyn: bigint;
  localId: number;
  remoteId: number;
  remoteNode: number;
  authType: number;
  expiresMs: number;
  authenticatedMs: number;
}

export const AUTH_CONN_INFO: Codec<AuthConnInfo> = {
  cName: 'nm_auth_conn_info',
  header: 'auth_conn_map.h',
  size: 48,
  fields: {
    expires_boot_ns: { offset: 0, size: 8 },
    bound_syn: { offset: 8, size: 8 },
    local_id: { offset: 16, size: 4 },
    remote_id: { offset: 20, size: 4 },
    remote_node: { offset: 24, size: 2 },
    auth_type: { offset: 26, size: 1 },
    pad: { offset: 27, size: 5 },
    expires_ms: { offset: 32, size: 8 },
    authenticated_ms: { offset: 40, size: 8 },
  },
  encode(v) {
    const b = Buffer.alloc(48);
    b.writeBigUInt64LE(v.expiresBootNs, 0);
    b.writeBigUInt64LE(v.boundSyn, 8);
    b.writeUInt32LE(v.localId, 16);
    b.writeUInt32LE(v.remoteId, 20);
    b.writeUInt16LE(v.remoteNode, 24);
    b[26] = v.authType;
    b.writeBigUInt64LE(BigInt(Math.max(0, Math.round(v.expiresMs))), 32);
    b.writeBigUInt64LE(BigInt(Math.max(0, Math.round(v.authenticatedMs))), 40);
    return b;
  },
  decode(b) {
    return {
      expiresBootNs: b.readBigUInt64LE(0),
      boundSyn: b.readBigUInt64LE(8),
      localId: b.readUInt32LE(16),
      remoteId: b.readUInt32LE(20),
      remoteNode: b.readUInt16LE(24),
      authType: b[26]!,
      expiresMs: Number(b.readBigUInt64LE(32)),
      authenticatedMs: Number(b.readBigUInt64LE(40)),
    };
  },
};

export const AUTH_CODECS: Codec<never>[] = [AUTH_KEY, AUTH_INFO, IP_IDENTITY, AUTH_REQUIRED_KEY, AUTH_REQUIRED_VALUE, NAME, AUTH_GATE, AUTH_TUNNEL, AUTH_CONN_KEY, AUTH_CONN_INFO] as unknown as Codec<never>[];

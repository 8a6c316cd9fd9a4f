// Codecs for the structs the BPF programs and the agent share through maps.
// Each names the C header it must stay in sync with; structs.test.ts checks
// every layout here against the BTF of the compiled objects.
import { isIPv4 } from 'node:net';
import type { FieldLayout } from './btf.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const IPPROTO_TCP = 6;

export interface Codec<T> {
  /** The C struct name (BTF). */
  cName: string;
  /** Header under bpf/sockmap/include/ that defines it. */
  header: string;
  size: number;
  fields: Record<string, FieldLayout>;
  encode(value: T): Buffer;
  decode(buf: Buffer): T;
}

function ipv4Bytes(address: string): Buffer {
  if (!isIPv4(address)) throw new Error(`not an IPv4 address: ${address}`);
  return Buffer.from(address.split('.').map(Number));
}
const ipv4String = (b: Buffer, at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

/** A TCP/IPv4 endpoint as the programs store it. */
export interface Endpoint4 {
  address: string;
  port: number;
}

export interface Tuple {
  src: Endpoint4;
  dst: Endpoint4;
}

export const TUPLE: Codec<Tuple> = {
  cName: 'nm_tuple',
  header: 'tuple.h',
  size: 40,
  fields: { saddr: { offset: 0, size: 16 }, daddr: { offset: 16, size: 16 }, sport: { offset: 32, size: 2 }, dport: { offset: 34, size: 2 }, family: { offset: 36, size: 1 }, pad: { offset: 37, size: 3 } },
  encode(t) {
    const b = Buffer.alloc(40);
    ipv4Bytes(t.src.address).copy(b, 0);
    ipv4Bytes(t.dst.address).copy(b, 16);
    b.writeUInt16LE(t.src.port, 32);
    b.writeUInt16LE(t.dst.port, 34);
    b[36] = AF_INET;
    return b;
  },
  decode(b) {
    return { src: { address: ipv4String(b, 0), port: b.readUInt16LE(32) }, dst: { address: ipv4String(b, 16), port: b.readUInt16LE(34) } };
  },
};

export interface OrigDst extends Endpoint4 {
  cgroupId: bigint;
}

export const ORIG_DST: Codec<OrigDst> = {
  cName: 'nm_orig_dst',
  header: 'orig_dst.h',
  size: 32,
  fields: { addr: { offset: 0, size: 16 }, port: { offset: 16, size: 2 }, family: { offset: 18, size: 1 }, flags: { offset: 19, size: 1 }, pad: { offset: 20, size: 4 }, cgroup_id: { offset: 24, size: 8 } },
  encode(o) {
    const b = Buffer.alloc(32);
    ipv4Bytes(o.address).copy(b, 0);
    b.writeUInt16LE(o.port, 16);
    b[18] = AF_INET;
    b.writeBigUInt64LE(o.cgroupId, 24);
    return b;
  },
  decode(b) {
    return { address: ipv4String(b, 0), port: b.readUInt16LE(16), cgroupId: b.readBigUInt64LE(24) };
  },
};

/** A mesh service address:port (TCP); port 0 stands for every port of the address. */
export interface ServiceKey {
  address: string;
  port: number;
}

export const SERVICE_KEY: Codec<ServiceKey> = {
  cName: 'nm_service_key',
  header: 'services_map.h',
  size: 20,
  fields: { addr: { offset: 0, size: 16 }, port: { offset: 16, size: 2 }, family: { offset: 18, size: 1 }, proto: { offset: 19, size: 1 } },
  encode(k) {
    const b = Buffer.alloc(20);
    ipv4Bytes(k.address).copy(b, 0);
    b.writeUInt16LE(k.port, 16);
    b[18] = AF_INET;
    b[19] = IPPROTO_TCP;
    return b;
  },
  decode(b) {
    return { address: ipv4String(b, 0), port: b.readUInt16LE(16) };
  },
};

export const SERVICE_VALUE: Codec<{ flags: number }> = {
  cName: 'nm_service_value',
  header: 'services_map.h',
  size: 4,
  fields: { flags: { offset: 0, size: 4 } },
  encode(v) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v.flags, 0);
    return b;
  },
  decode(b) {
    return { flags: b.readUInt32LE(0) };
  },
};

export interface SteeringConfig {
  /** The node proxy's capture address (IPv4). */
  proxy: Endpoint4;
  /** Whether sockops puts local pairs into the sockhash (sk_msg fast path). */
  sockmap: boolean;
}

export const CONFIG: Codec<SteeringConfig> = {
  cName: 'nm_config',
  header: 'config_map.h',
  size: 8,
  fields: { proxy_addr4: { offset: 0, size: 4 }, proxy_port: { offset: 4, size: 2 }, sockmap: { offset: 6, size: 1 }, pad: { offset: 7, size: 1 } },
  encode(c) {
    const b = Buffer.alloc(8);
    ipv4Bytes(c.proxy.address).copy(b, 0);
    b.writeUInt16LE(c.proxy.port, 4);
    b[6] = c.sockmap ? 1 : 0;
    return b;
  },
  decode(b) {
    return { proxy: { address: ipv4String(b, 0), port: b.readUInt16LE(4) }, sockmap: b[6] === 1 };
  },
};

/** enum nm_role in cgroups_map.h. */
export const ROLES = { none: 0, mesh: 1, proxy: 2, excluded: 3 } as const;
export type Role = keyof typeof ROLES;

export const CGROUP_ROLE: Codec<Role> = {
  cName: 'nm_cgroup_role',
  header: 'cgroups_map.h',
  size: 4,
  fields: { role: { offset: 0, size: 4 } },
  encode(r) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(ROLES[r], 0);
    return b;
  },
  decode(b) {
    const v = b.readUInt32LE(0);
    return (Object.keys(ROLES) as Role[]).find((k) => ROLES[k] === v) ?? 'none';
  },
};

export interface Cidr4 {
  address: string;
  prefixLength: number;
}

export const CIDR4_KEY: Codec<Cidr4> = {
  cName: 'nm_cidr4_key',
  header: 'excluded_maps.h',
  size: 8,
  fields: { prefixlen: { offset: 0, size: 4 }, addr: { offset: 4, size: 4 } },
  encode(c) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(c.prefixLength, 0);
    ipv4Bytes(c.address).copy(b, 4);
    return b;
  },
  decode(b) {
    return { prefixLength: b.readUInt32LE(0), address: ipv4String(b, 4) };
  },
};

export const ALL_CODECS: Codec<never>[] = [TUPLE, ORIG_DST, SERVICE_KEY, SERVICE_VALUE, CONFIG, CGROUP_ROLE, CIDR4_KEY] as unknown as Codec<never>[];

/**
 * enum nm_counter in counters_map.h, in order (the array index is the
 * counter's slot in nm_counters). Append only.
 */
export const COUNTERS = [
  'connect_redirected',
  'connect_not_service',
  'connect_not_mesh',
  'connect_from_proxy',
  'connect_excluded_cgroup',
  'connect_excluded_port',
  'connect_excluded_cidr',
  'connect_not_tcp',
  'connect_no_config',
  'connect_orig_store_failed',
  'sockops_pair_stored',
  'sockops_pair_store_failed',
  'sockops_sockhash_added',
  'sockops_sockhash_failed',
  'sockops_sockmap_off',
  'getsockopt_answered',
  'getsockopt_miss',
  'getsockopt_short_buffer',
  'msg_redirect_hit',
  'msg_redirect_miss',
  'connect6_not_v4_mapped',
  'getpeername_answered',
  'auth_ingress_allowed',
  'auth_ingress_not_required',
  'auth_drop_unknown_identity',
  'auth_drop_no_entry',
  'auth_drop_expired',
  'auth_connect_authenticated',
  'auth_connect_not_required',
  'auth_connect_held',
  'auth_connect_no_gate',
  'auth_connect_orig_store_failed',
  'auth_connect_held_per_connection',
  'auth_ingress_conn_allowed',
  'auth_drop_no_conn_entry',
  'auth_drop_conn_expired',
  'auth_drop_conn_reused',
  'auth_drop_outside_tunnel',
] as const;
export type CounterName = (typeof COUNTERS)[number];
export type Counters = Record<CounterName, bigint>;

/** The C enumerator of a counter: connect_redirected → NM_C_CONNECT_REDIRECTED. */
export const counterEnumerator = (name: CounterName) => `NM_C_${name.toUpperCase()}`;

// The pinned maps of the auth datapath (issue #6), at the level of numbers:
// identity and node ids, the auth entries keyed by ids, the ipcache
// (nm_ip_identity), the per-port requirements (nm_auth_required) and the
// per-connection entries (nm_auth_conn, keyed by 4-tuple). The
// AuthMap the auth agent writes through (SPIFFE IDs and wall-clock times)
// lives on the auth side, auth/src/authmap/bpf.ts, which builds on this:
// auth/ depends on bpf/, never the other way round.
//
// Identity ids. The programs key everything by small integers; their
// allocation is kept in the pins themselves, so every user-space writer (the
// auth agent, the bpf agent) and every restart sees the same ids with no
// state file and no lock:
//   nm_identities: id (u32, never 0) → SPIFFE ID
//   nm_nodes:      id (1..65535)     → node name
// An ID's id is found by open addressing: start at a hash of the name
// (sha256, first 4 bytes), take the first slot that holds the name or is
// free, and claim a free one with BPF_NOEXIST; a writer that loses the race
// for a slot reads it again and moves on. Entries are never deleted (a
// deleted slot would break the probe chains of later names), so an id is
// stable for as long as the pin lives; the tables hold 64k names each.
//
// Times. nm_auth stores the expiry as CLOCK_BOOTTIME ns, the clock of
// bpf_ktime_get_boot_ns(): it keeps counting across suspend and is not moved
// by wall-clock changes. Wall-clock expiries are converted once, at write
// time, against clock_gettime(CLOCK_BOOTTIME).
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import koffi from 'koffi';
import { BpfError, check, libbpf } from './libbpf.js';
import { attachLink, cgroupId, loadWithPinnedMaps } from './loader.js';
import { BpfMap } from './maps.js';
import { DEFAULT_OBJECTS_DIR, DEFAULT_PIN_ROOT } from './preflight.js';
import {
  AUTH_CONN_INFO,
  AUTH_CONN_KEY,
  AUTH_GATE,
  AUTH_TUNNEL,
  AUTH_INFO,
  AUTH_KEY,
  AUTH_MODE_PER_CONNECTION,
  AUTH_PORT_MODES,
  AUTH_REQUIRED_KEY,
  AUTH_REQUIRED_VALUE,
  IP_IDENTITY,
  ipv4FromKey,
  ipv4Key,
  NAME,
  type AuthConnInfo,
  type AuthGate,
  type AuthTunnel,
  type AuthInfo,
  type AuthPortMode,
  type ConnTuple,
  type AuthKeyIds,
  type AuthRequiredKey,
  type IpIdentity,
} from './auth-structs.js';

export const AUTH_MAPS = ['nm_auth', 'nm_ip_identity', 'nm_identities', 'nm_nodes', 'nm_auth_required', 'nm_auth_gate', 'nm_auth_tunnel', 'nm_auth_conn'] as const;
export type AuthMapName = (typeof AUTH_MAPS)[number];
/** The objects whose maps these are: the receive side (src/auth_ingress.bpf.c) and the initiating side (src/auth_connect4.bpf.c). */
export const AUTH_OBJECTS = ['auth_ingress', 'auth_connect4'] as const;

const BPF_NOEXIST = 1n;
const ZERO_KEY = Buffer.alloc(4);
const EEXIST = 17;
const CLOCK_BOOTTIME = 7;

let clockGettime: ((clk: number, ts: Buffer) => number) | undefined;
/** clock_gettime(CLOCK_BOOTTIME) in ns: the clock bpf_ktime_get_boot_ns() reads. */
export function bootTimeNs(): bigint {
  clockGettime ??= koffi.load('libc.so.6').func('int clock_gettime(int clk, _Out_ uint8_t *ts)') as (clk: number, ts: Buffer) => number;
  const ts = Buffer.alloc(16);
  if (clockGettime(CLOCK_BOOTTIME, ts) !== 0) throw new Error('clock_gettime(CLOCK_BOOTTIME) failed');
  return ts.readBigInt64LE(0) * 1_000_000_000n + ts.readBigInt64LE(8);
}

/**
 * Creates the auth maps' pins under `pinRoot` when they are missing, by
 * loading the auth object with its maps pinned (nothing is attached). An
 * existing pin is reused as is.
 */
export function ensureAuthMaps(pinRoot = DEFAULT_PIN_ROOT, objectsDir = DEFAULT_OBJECTS_DIR): void {
  if (AUTH_MAPS.every((m) => existsSync(join(pinRoot, 'maps', m)))) return;
  for (const o of AUTH_OBJECTS) loadWithPinnedMaps(join(objectsDir, `${o}.o`), pinRoot).close();
}

const BPF_CGROUP_INET_INGRESS = 0;
const BPF_CGROUP_INET4_CONNECT = 10;
export const AUTH_INGRESS_PROGRAM = 'nm_auth_ingress';
export const AUTH_CONNECT4_PROGRAM = 'nm_auth_connect4';
const AUTH_PROGRAMS = [
  { object: 'auth_ingress', program: AUTH_INGRESS_PROGRAM, attachType: BPF_CGROUP_INET_INGRESS },
  { object: 'auth_connect4', program: AUTH_CONNECT4_PROGRAM, attachType: BPF_CGROUP_INET4_CONNECT },
] as const;

export interface AuthAttachReport {
  links: { program: string; cgroup: string; link: 'created' | 'updated' }[];
  removedLinks: string[];
}

/**
 * Attaches both halves of the auth datapath to the workloads' (mesh)
 * cgroups: nm_auth_ingress (receive side) and nm_auth_connect4 (initiating
 * side), with pinned bpf_links `links/<program>_mesh<cgroup id>` (not
 * `_cg<id>`: the steering loader removes the `_cg` links of any cgroup but
 * the node's). As the loader: the maps are the pinned ones, an existing link
 * is updated in place, links of mesh cgroups no longer given are removed
 * (detached). `nodemesh bpf detach` (removing the pin root) detaches them
 * with the rest.
 */
export function attachAuthPrograms(o: { cgroups: readonly string[]; pinRoot?: string; objectsDir?: string }): AuthAttachReport {
  const pinRoot = o.pinRoot ?? DEFAULT_PIN_ROOT;
  for (const d of ['maps', 'progs', 'links']) mkdirSync(join(pinRoot, d), { recursive: true });
  const report: AuthAttachReport = { links: [], removedLinks: [] };
  const ids = new Set(o.cgroups.map((c) => cgroupId(c)));
  for (const p of AUTH_PROGRAMS) {
    const obj = loadWithPinnedMaps(join(o.objectsDir ?? DEFAULT_OBJECTS_DIR, `${p.object}.o`), pinRoot);
    try {
      const progFd = obj.programs.get(p.program);
      if (progFd === undefined) throw new Error(`${p.object}.o has no program ${p.program}`);
      for (const cgroup of o.cgroups) {
        const cgFd = openSync(cgroup, 'r');
        try {
          const link = attachLink(progFd, cgFd, p.attachType, join(pinRoot, 'links', `${p.program}_mesh${cgroupId(cgroup)}`));
          report.links.push({ program: p.program, cgroup, link });
        } finally {
          closeSync(cgFd);
        }
      }
      const progPin = join(pinRoot, 'progs', p.program);
      if (existsSync(progPin)) unlinkSync(progPin);
      check(`pin ${progPin}`, libbpf().obj_pin(progFd, progPin));
    } finally {
      obj.close();
    }
    for (const pin of readdirSync(join(pinRoot, 'links'))) {
      const m = new RegExp(`^${p.program}_mesh(\\d+)$`).exec(pin);
      if (m && !ids.has(BigInt(m[1]!))) {
        unlinkSync(join(pinRoot, 'links', pin));
        report.removedLinks.push(pin);
      }
    }
  }
  return report;
}

class NameTable {
  readonly #byName = new Map<string, number>();
  readonly #byId = new Map<number, string>();
  constructor(
    private readonly map: BpfMap,
    /** Ids are 1..max. */
    private readonly max: number,
  ) {}

  #key(id: number): Buffer {
    const k = Buffer.alloc(4);
    k.writeUInt32LE(id);
    return k;
  }

  #read(id: number): string | undefined {
    const v = this.map.lookup(this.#key(id));
    return v && NAME.decode(v);
  }

  #remember(name: string, id: number): number {
    this.#byName.set(name, id);
    this.#byId.set(id, name);
    return id;
  }

  /** The id of `name`; allocated when `allocate` and absent. */
  id(name: string, allocate = true): number | undefined {
    const known = this.#byName.get(name);
    if (known !== undefined) return known;
    const encoded = NAME.encode(name);
    const h = createHash('sha256').update(name).digest().readUInt32LE(0);
    let id = (h % this.max) + 1;
    for (let probes = 0; probes < this.max; probes++, id = (id % this.max) + 1) {
      const at = this.#read(id);
      if (at === name) return this.#remember(name, id);
      if (at !== undefined) continue;
      if (!allocate) return undefined;
      try {
        this.map.update(this.#key(id), encoded, BPF_NOEXIST);
        return this.#remember(name, id);
      } catch (e) {
        if (!(e instanceof BpfError && e.errno === EEXIST)) throw e;
        // Another writer claimed the slot meanwhile: it may hold this very name.
        if (this.#read(id) === name) return this.#remember(name, id);
      }
    }
    throw new Error(`${this.map.info.name} is full (${this.max} names)`);
  }

  name(id: number): string | undefined {
    const known = this.#byId.get(id);
    if (known !== undefined) return known;
    const n = this.#read(id);
    return n === undefined ? undefined : (this.#remember(n, id), n);
  }

  size(): number {
    return this.map.keys().length;
  }
}

export interface AuthEntryIds {
  key: AuthKeyIds;
  info: AuthInfo;
}

/** The pinned auth maps of a pin root. */
export class AuthDatapath {
  readonly identities: NameTable;
  readonly nodes: NameTable;

  private constructor(
    readonly pinRoot: string,
    private readonly maps: Map<AuthMapName, BpfMap>,
  ) {
    this.identities = new NameTable(this.map('nm_identities'), 0xffff_fffe);
    this.nodes = new NameTable(this.map('nm_nodes'), 0xffff);
  }

  /** Opens the pins (see ensureAuthMaps to create them). */
  static open(pinRoot = DEFAULT_PIN_ROOT): AuthDatapath {
    const maps = new Map<AuthMapName, BpfMap>();
    try {
      for (const name of AUTH_MAPS) {
        const path = join(pinRoot, 'maps', name);
        if (!existsSync(path)) throw new Error(`the auth datapath maps are not pinned: ${path} is missing (nodemesh bpf attach, or ensureAuthMaps)`);
        maps.set(name, BpfMap.openPinned(path));
      }
    } catch (e) {
      for (const m of maps.values()) m.close();
      throw e;
    }
    return new AuthDatapath(pinRoot, maps);
  }

  map(name: AuthMapName): BpfMap {
    return this.maps.get(name)!;
  }

  close(): void {
    for (const m of this.maps.values()) m.close();
  }

  // --- identity index (the IdentityIndex of auth/src/datapath.ts) ---

  identityId(spiffeId: string): number {
    return this.identities.id(spiffeId)!;
  }
  spiffeId(identityId: number): string | undefined {
    return this.identities.name(identityId);
  }
  nodeId(node: string): number {
    return this.nodes.id(node)!;
  }
  nodeName(nodeId: number): string | undefined {
    return this.nodes.name(nodeId);
  }

  // --- nm_auth ---

  setAuth(key: AuthKeyIds, info: AuthInfo): void {
    this.map('nm_auth').update(AUTH_KEY.encode(key), AUTH_INFO.encode(info));
  }
  getAuth(key: AuthKeyIds): AuthInfo | undefined {
    const v = this.map('nm_auth').lookup(AUTH_KEY.encode(key));
    return v && AUTH_INFO.decode(v);
  }
  deleteAuth(key: AuthKeyIds): boolean {
    return this.map('nm_auth').delete(AUTH_KEY.encode(key));
  }
  /** Every entry (a snapshot); entries deleted while listing are skipped. */
  listAuth(): AuthEntryIds[] {
    const m = this.map('nm_auth');
    return m.keys().flatMap((k) => {
      const v = m.lookup(k);
      return v ? [{ key: AUTH_KEY.decode(k), info: AUTH_INFO.decode(v) }] : [];
    });
  }

  // --- nm_auth_conn ---

  setConn(tuple: ConnTuple, info: AuthConnInfo): void {
    this.map('nm_auth_conn').update(AUTH_CONN_KEY.encode(tuple), AUTH_CONN_INFO.encode(info));
  }
  getConn(tuple: ConnTuple): AuthConnInfo | undefined {
    const v = this.map('nm_auth_conn').lookup(AUTH_CONN_KEY.encode(tuple));
    return v && AUTH_CONN_INFO.decode(v);
  }
  deleteConn(tuple: ConnTuple): boolean {
    return this.map('nm_auth_conn').delete(AUTH_CONN_KEY.encode(tuple));
  }
  /** Every entry (a snapshot); entries deleted or evicted while listing are skipped. */
  listConn(): { tuple: ConnTuple; info: AuthConnInfo }[] {
    const m = this.map('nm_auth_conn');
    return m.keys().flatMap((k) => {
      const v = m.lookup(k);
      return v ? [{ tuple: AUTH_CONN_KEY.decode(k), info: AUTH_CONN_INFO.decode(v) }] : [];
    });
  }

  // --- nm_ip_identity ---

  setIpIdentity(address: string, v: IpIdentity): void {
    this.map('nm_ip_identity').update(ipv4Key(address), IP_IDENTITY.encode(v));
  }
  deleteIpIdentity(address: string): boolean {
    return this.map('nm_ip_identity').delete(ipv4Key(address));
  }
  ipIdentities(): { address: string; identity: IpIdentity }[] {
    const m = this.map('nm_ip_identity');
    return m.keys().flatMap((k) => {
      const v = m.lookup(k);
      return v ? [{ address: ipv4FromKey(k), identity: IP_IDENTITY.decode(v) }] : [];
    });
  }
  /** Makes nm_ip_identity hold exactly `wanted` (address → SPIFFE ID on a node), touching only the difference. */
  syncIpIdentities(wanted: readonly { address: string; spiffeId: string; node: string }[]): { set: number; removed: number } {
    const m = this.map('nm_ip_identity');
    const want = new Map(wanted.map((w) => [ipv4Key(w.address).toString('hex'), IP_IDENTITY.encode({ identityId: this.identityId(w.spiffeId), nodeId: this.nodeId(w.node) })]));
    let set = 0;
    let removed = 0;
    for (const k of m.keys()) if (!want.has(k.toString('hex'))) (m.delete(k), removed++);
    for (const [hex, v] of want) {
      const have = m.lookup(Buffer.from(hex, 'hex'));
      if (have && have.equals(v)) continue;
      m.update(Buffer.from(hex, 'hex'), v);
      set++;
    }
    return { set, removed };
  }

  // --- nm_auth_gate ---

  /** Where the gate listens; port 0: none (auth-required connects without an entry are refused). */
  gate(): AuthGate {
    return AUTH_GATE.decode(this.map('nm_auth_gate').lookup(ZERO_KEY)!);
  }
  setGate(g: AuthGate): void {
    this.map('nm_auth_gate').update(ZERO_KEY, AUTH_GATE.encode(g));
  }

  // --- nm_auth_tunnel ---

  /** Whether auth-required packets from other nodes must come out of the tunnel interface, and which one. */
  tunnel(): AuthTunnel {
    return AUTH_TUNNEL.decode(this.map('nm_auth_tunnel').lookup(ZERO_KEY)!);
  }
  setTunnel(t: AuthTunnel): void {
    this.map('nm_auth_tunnel').update(ZERO_KEY, AUTH_TUNNEL.encode(t));
  }

  // --- nm_auth_required ---

  requirements(): AuthRequiredKey[] {
    return this.map('nm_auth_required').keys().map((k) => AUTH_REQUIRED_KEY.decode(k));
  }
  /**
   * What the datapath requires of a connection to (identity, port): the
   * stronger of the port's entry and the identity's port 0 entry, as the
   * programs read it (nm_auth_port_mode); undefined when nothing is required.
   */
  portMode(spiffeId: string, port: number): AuthPortMode | undefined {
    const identityId = this.identities.id(spiffeId, false);
    if (identityId === undefined) return undefined;
    const m = this.map('nm_auth_required');
    let mode = 0;
    for (const p of [port, 0]) {
      const v = m.lookup(AUTH_REQUIRED_KEY.encode({ identityId, port: p }));
      const n = v ? AUTH_REQUIRED_VALUE.decode(v).mode : 0;
      // Unknown modes count as the strictest, as in the programs.
      mode = Math.max(mode, n > AUTH_MODE_PER_CONNECTION ? AUTH_MODE_PER_CONNECTION : n);
    }
    return mode === 0 ? undefined : mode === AUTH_MODE_PER_CONNECTION ? 'per-connection' : 'required';
  }
  /**
   * Makes nm_auth_required hold exactly `wanted` (SPIFFE ID, port; 0 = every
   * port; mode, default required), touching only the difference. The same
   * key wanted twice gets the stronger mode.
   */
  syncRequirements(wanted: readonly { spiffeId: string; port: number; mode?: AuthPortMode }[]): { added: number; removed: number; changed: number } {
    const m = this.map('nm_auth_required');
    const want = new Map<string, number>();
    for (const w of wanted) {
      const hex = AUTH_REQUIRED_KEY.encode({ identityId: this.identityId(w.spiffeId), port: w.port }).toString('hex');
      want.set(hex, Math.max(want.get(hex) ?? 0, AUTH_PORT_MODES[w.mode ?? 'required']));
    }
    const have = new Map(m.keys().map((k) => [k.toString('hex'), AUTH_REQUIRED_VALUE.decode(m.lookup(k) ?? Buffer.alloc(4)).mode]));
    let added = 0;
    let removed = 0;
    let changed = 0;
    for (const hex of have.keys()) if (!want.has(hex)) (m.delete(Buffer.from(hex, 'hex')), removed++);
    for (const [hex, mode] of want) {
      const cur = have.get(hex);
      if (cur === mode) continue;
      m.update(Buffer.from(hex, 'hex'), AUTH_REQUIRED_VALUE.encode({ mode }));
      if (cur === undefined) added++;
      else changed++;
    }
    return { added, removed, changed };
  }

  /** Entries per map (a snapshot), with each map's capacity. */
  mapSizes(): { name: AuthMapName; entries: number; maxEntries: number }[] {
    return AUTH_MAPS.map((name) => ({ name, entries: this.map(name).keys().length, maxEntries: this.map(name).info.maxEntries }));
  }
}

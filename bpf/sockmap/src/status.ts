// What is attached and what the programs counted, read from the pins alone
// (links, maps) through the bpf syscall: `nodemesh bpf status`.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AUTH_MAPS, AuthDatapath, type AuthMapName } from './auth-map.js';
import { check, closeFd, libbpf } from './libbpf.js';
import { cString, objInfo } from './maps.js';
import { Steering, type MapName } from './loader.js';
import { cgroup2Mount } from './preflight.js';
import type { Counters, Role, SteeringConfig } from './structs.js';

/** struct bpf_link_info / bpf_prog_info prefixes (uapi; checked against vmlinux BTF by structs.test.ts). */
export const LINK_INFO_LAYOUT = { type: 0, id: 4, prog_id: 8, cgroup_cgroup_id: 16, cgroup_attach_type: 24, sockmap_map_id: 16, sockmap_attach_type: 20 } as const;
export const PROG_INFO_LAYOUT = { type: 0, id: 4, name: 64 } as const;

const LINK_TYPE_CGROUP = 3;
const LINK_TYPE_SOCKMAP = 14;
const ATTACH_TYPES: Record<number, string> = { 0: 'inet_ingress', 3: 'sock_ops', 7: 'sk_msg_verdict', 10: 'connect4', 11: 'connect6', 21: 'getsockopt', 29: 'getpeername4', 30: 'getpeername6' };

export interface LinkStatus {
  pin: string;
  linkId: number;
  program: string;
  programId: number;
  attachType: string;
  /** cgroup links: the cgroup's path when found under the cgroup2 mount, else its id. */
  cgroup?: string;
  /** sk_msg link: the map id. */
  mapId?: number;
}

export interface SteeringStatus {
  pinRoot: string;
  config?: SteeringConfig;
  links: LinkStatus[];
  maps: { name: MapName; entries: number; maxEntries: number }[];
  counters: Counters;
  cgroups: { id: string; path?: string; role: Role }[];
  services: number;
  /** The auth datapath's maps (issue #6), when pinned; its counters are in `counters` (auth_*). */
  auth?: { maps: { name: AuthMapName; entries: number; maxEntries: number }[] };
}

function authStatus(pinRoot: string): SteeringStatus['auth'] {
  if (!AUTH_MAPS.every((m) => existsSync(join(pinRoot, 'maps', m)))) return undefined;
  const dp = AuthDatapath.open(pinRoot);
  try {
    return { maps: dp.mapSizes() };
  } finally {
    dp.close();
  }
}

function programName(id: number): string {
  const fd = libbpf().prog_get_fd_by_id(id);
  if (fd < 0) return `prog ${id}`;
  try {
    return cString(objInfo(fd), PROG_INFO_LAYOUT.name, 16);
  } finally {
    closeFd(fd);
  }
}

/** Finds a cgroup directory by id (= inode) under the cgroup2 mount; bounded walk. */
export function cgroupPath(id: bigint, root = cgroup2Mount(), maxDirs = 20_000): string | undefined {
  if (!root) return undefined;
  const queue = [root];
  for (let n = 0; queue.length && n < maxDirs; n++) {
    const d = queue.shift()!;
    try {
      if (statSync(d, { bigint: true }).ino === id) return d;
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) queue.push(join(d, e.name));
    } catch {
      // removed while walking
    }
  }
  return undefined;
}

export function steeringStatus(pinRoot: string): SteeringStatus {
  const steering = Steering.open(pinRoot);
  try {
    const links: LinkStatus[] = [];
    for (const pin of steering.linkPins()) {
      const path = join(pinRoot, 'links', pin);
      const fd = check(`open link ${path}`, libbpf().obj_get(path));
      try {
        const b = objInfo(fd);
        const L = LINK_INFO_LAYOUT;
        const type = b.readUInt32LE(L.type);
        const programId = b.readUInt32LE(L.prog_id);
        const base = { pin, linkId: b.readUInt32LE(L.id), programId, program: programName(programId) };
        if (type === LINK_TYPE_CGROUP) {
          const id = b.readBigUInt64LE(L.cgroup_cgroup_id);
          const at = b.readUInt32LE(L.cgroup_attach_type);
          links.push({ ...base, attachType: ATTACH_TYPES[at] ?? `attach type ${at}`, cgroup: cgroupPath(id) ?? `cgroup id ${id}` });
        } else if (type === LINK_TYPE_SOCKMAP) {
          const at = b.readUInt32LE(L.sockmap_attach_type);
          links.push({ ...base, attachType: ATTACH_TYPES[at] ?? `attach type ${at}`, mapId: b.readUInt32LE(L.sockmap_map_id) });
        } else links.push({ ...base, attachType: `link type ${type}` });
      } finally {
        closeFd(fd);
      }
    }
    const auth = authStatus(pinRoot);
    const cgroups = steering.cgroupRoles().map(({ id, role }) => ({ id: String(id), path: cgroupPath(id), role }));
    return {
      pinRoot,
      config: steering.config(),
      links,
      maps: steering.mapSizes(),
      counters: steering.counters(),
      cgroups,
      services: steering.services().length,
      ...(auth ? { auth } : {}),
    };
  } finally {
    steering.close();
  }
}

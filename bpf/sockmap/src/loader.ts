// The agent's side of steering: loads the compiled objects through libbpf,
// pins maps (reusing pins an earlier agent left, so their contents — the
// sockhash with live sockets included — survive a restart), attaches each
// program with a pinned bpf_link (an existing link is updated in place, so
// attaching again is idempotent and never leaves a moment without a
// program), and writes the maps the programs read.
//
// Pin layout under the pin root (default /sys/fs/bpf/nodemesh):
//   maps/<map>                 every map, by its C name
//   progs/<program>            the program the links currently run
//   links/<program>_cg<id>     cgroup links (id: the cgroup's id = inode)
//   links/nm_sk_msg            the sk_msg link on maps/nm_sockhash
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BpfError, check, closeFd, lastErrno, libbpf, resetLog, takeLog, type Handle } from './libbpf.js';
import { BpfMap } from './maps.js';
import { readCounters } from './counters.js';
import { BPFFS, DEFAULT_OBJECTS_DIR, DEFAULT_PIN_ROOT, OBJECTS, preflight } from './preflight.js';
import {
  CGROUP_ROLE,
  CIDR4_KEY,
  CONFIG,
  SERVICE_KEY,
  SERVICE_VALUE,
  type Cidr4,
  type Counters,
  type Role,
  type ServiceKey,
  type SteeringConfig,
} from './structs.js';

export const MAPS = ['nm_config', 'nm_services', 'nm_cgroups', 'nm_excl_ports', 'nm_excl_cidrs', 'nm_orig_cookie', 'nm_orig_pair', 'nm_sockhash', 'nm_counters'] as const;
export type MapName = (typeof MAPS)[number];

export class SteeringError extends Error {
  override name = 'SteeringError';
}

export interface AttachOptions {
  /** cgroup v2 directory whose processes are steered (a node's cgroup). */
  cgroup: string;
  pinRoot?: string;
  objectsDir?: string;
  config: SteeringConfig;
}

export interface AttachReport {
  maps: { name: string; reused: boolean }[];
  programs: { name: string; link: 'created' | 'updated' }[];
  /** Link pins of another cgroup, removed (detached). */
  removedLinks: string[];
}

/** The cgroup id the kernel uses (bpf_get_current_cgroup_id): the cgroup directory's inode. */
export function cgroupId(path: string): bigint {
  return statSync(path, { bigint: true }).ino;
}

/**
 * Loads, pins and attaches everything, then writes `config`. Safe to call
 * again (an agent restart): pinned maps keep their entries and links are
 * updated to the newly loaded programs.
 */
export function attach(opts: AttachOptions): { steering: Steering; report: AttachReport } {
  const pinRoot = opts.pinRoot ?? DEFAULT_PIN_ROOT;
  const objectsDir = opts.objectsDir ?? DEFAULT_OBJECTS_DIR;
  const problem = preflight({ cgroup: opts.cgroup, pinRoot, objectsDir });
  if (problem) throw new SteeringError(problem);
  for (const d of ['maps', 'progs', 'links']) mkdirSync(join(pinRoot, d), { recursive: true });

  const report: AttachReport = { maps: [], programs: [], removedLinks: [] };
  const seenMaps = new Set<string>();
  const objects: Handle[] = [];
  const loaded: { object: string; name: string; fd: number; attachType: number }[] = [];
  try {
    for (const object of OBJECTS) {
      const o = loadObject(join(objectsDir, `${object}.o`), pinRoot, (name, reused) => {
        if (!seenMaps.has(name)) report.maps.push({ name, reused });
        seenMaps.add(name);
      });
      objects.push(o);
      for (let p = libbpf().next_program(o, null); p; p = libbpf().next_program(o, p)) {
        loaded.push({ object, name: libbpf().program_name(p), fd: libbpf().program_fd(p), attachType: libbpf().program_expected_attach_type(p) });
      }
    }
    const steering = Steering.open(pinRoot);
    // Before connect4 runs: without a config it redirects nothing.
    steering.setConfig(opts.config);
    const cgFd = openSync(opts.cgroup, 'r');
    try {
      const cgId = cgroupId(opts.cgroup);
      for (const prog of loaded) {
        const onSockhash = prog.object === 'sk_msg';
        const linkPin = join(pinRoot, 'links', onSockhash ? prog.name : `${prog.name}_cg${cgId}`);
        const target = onSockhash ? steering.map('nm_sockhash').fd : cgFd;
        report.programs.push({ name: prog.name, link: attachLink(prog.fd, target, prog.attachType, linkPin) });
        const progPin = join(pinRoot, 'progs', prog.name);
        if (existsSync(progPin)) unlinkSync(progPin);
        check(`pin ${progPin}`, libbpf().obj_pin(prog.fd, progPin));
      }
      // One node cgroup per pin root: links an earlier run made on another
      // cgroup (--cgroup changed) are removed, which detaches them.
      for (const pin of readdirSync(join(pinRoot, 'links'))) {
        const m = /_cg(\d+)$/.exec(pin);
        if (m && BigInt(m[1]!) !== cgId) {
          unlinkSync(join(pinRoot, 'links', pin));
          report.removedLinks.push(pin);
        }
      }
    } finally {
      closeSync(cgFd);
    }
    return { steering, report };
  } finally {
    // The links and pins hold what must stay; the agent's handles can go.
    for (const o of objects) libbpf().object_close(o);
  }
}

function loadObject(path: string, pinRoot: string, onMap: (name: string, reused: boolean) => void): Handle {
  resetLog();
  const obj = libbpf().open_file(path, null);
  if (!obj) throw new BpfError(`open ${path}`, lastErrno(), takeLog());
  try {
    for (let m = libbpf().next_map(obj, null); m; m = libbpf().next_map(obj, m)) {
      const name = libbpf().map_name(m);
      if (name.startsWith('.')) continue; // .rodata/.bss: per object, not shared
      const pin = join(pinRoot, 'maps', name);
      onMap(name, existsSync(pin));
      check(`set pin path of ${name}`, libbpf().map_set_pin_path(m, pin));
    }
    const r = libbpf().object_load(obj);
    if (r < 0) throw new BpfError(`load ${path}`, -r, takeLog());
    return obj;
  } catch (e) {
    libbpf().object_close(obj);
    throw e;
  }
}

/** A loaded object whose maps are the pinned ones under `pinRoot` (tests and probes; attach() is the agent's path). */
export interface LoadedObject {
  programs: Map<string, number>;
  close(): void;
}

export function loadWithPinnedMaps(objectPath: string, pinRoot: string): LoadedObject {
  mkdirSync(join(pinRoot, 'maps'), { recursive: true });
  const obj = loadObject(objectPath, pinRoot, () => undefined);
  const programs = new Map<string, number>();
  for (let p = libbpf().next_program(obj, null); p; p = libbpf().next_program(obj, p)) programs.set(libbpf().program_name(p), libbpf().program_fd(p));
  return { programs, close: () => libbpf().object_close(obj) };
}

export function attachLink(progFd: number, targetFd: number, attachType: number, pin: string): 'created' | 'updated' {
  if (existsSync(pin)) {
    const linkFd = check(`open link ${pin}`, libbpf().obj_get(pin));
    try {
      check(`update link ${pin}`, libbpf().link_update(linkFd, progFd, null));
      return 'updated';
    } finally {
      closeFd(linkFd);
    }
  }
  const linkFd = check(`attach (link ${pin})`, libbpf().link_create(progFd, targetFd, attachType, null));
  try {
    check(`pin ${pin}`, libbpf().obj_pin(linkFd, pin));
    return 'created';
  } finally {
    closeFd(linkFd);
  }
}

/**
 * Removes every pin under the root: the links go, so the programs are
 * detached; sockets in the sockhash fall back to the normal TCP path.
 */
export function detach(pinRoot = DEFAULT_PIN_ROOT): void {
  // A recursive removal of whatever path a user typed would be a disaster:
  // only a directory below the bpffs mount point is ever removed.
  const root = resolve(pinRoot);
  if (!root.startsWith(`${BPFFS}/`)) throw new Error(`refusing to detach ${JSON.stringify(pinRoot)}: a pin root must be a directory under ${BPFFS}/`);
  if (existsSync(root)) rmSync(root, { recursive: true, force: true });
}

/** The pinned maps of a steering instance: what the agent writes and `nodemesh bpf status` reads. */
export class Steering {
  private constructor(
    readonly pinRoot: string,
    private readonly maps: Map<MapName, BpfMap>,
  ) {}

  /** Opens the pinned maps of an attached instance. */
  static open(pinRoot = DEFAULT_PIN_ROOT): Steering {
    const maps = new Map<MapName, BpfMap>();
    try {
      for (const name of MAPS) {
        const path = join(pinRoot, 'maps', name);
        if (!existsSync(path)) throw new SteeringError(`steering is not attached: ${path} is missing (run nodemesh bpf attach)`);
        maps.set(name, BpfMap.openPinned(path));
      }
    } catch (e) {
      for (const m of maps.values()) m.close();
      throw e;
    }
    return new Steering(pinRoot, maps);
  }

  map(name: MapName): BpfMap {
    return this.maps.get(name)!;
  }

  close(): void {
    for (const m of this.maps.values()) m.close();
  }

  setConfig(config: SteeringConfig): void {
    this.map('nm_config').update(Buffer.alloc(4), CONFIG.encode(config));
  }

  config(): SteeringConfig | undefined {
    const v = this.map('nm_config').lookup(Buffer.alloc(4));
    const c = v && CONFIG.decode(v);
    return c && c.proxy.port ? c : undefined;
  }

  /** Marks a cgroup (and its descendants without a role of their own); 'none' removes the mark. */
  setCgroupRole(cgroupPath: string, role: Role): void {
    this.setCgroupIdRole(cgroupId(cgroupPath), role);
  }

  setCgroupIdRole(id: bigint, role: Role): void {
    const key = Buffer.alloc(8);
    key.writeBigUInt64LE(id);
    if (role === 'none') this.map('nm_cgroups').delete(key);
    else this.map('nm_cgroups').update(key, CGROUP_ROLE.encode(role));
  }

  cgroupRoles(): { id: bigint; role: Role }[] {
    const m = this.map('nm_cgroups');
    return m.keys().flatMap((k) => {
      const v = m.lookup(k);
      return v ? [{ id: k.readBigUInt64LE(0), role: CGROUP_ROLE.decode(v) }] : [];
    });
  }

  services(): ServiceKey[] {
    return this.map('nm_services').keys().map((k) => SERVICE_KEY.decode(k));
  }

  /**
   * Makes nm_services hold exactly `wanted`, touching only the difference,
   * so a model update never leaves a moment where a service is not steered.
   */
  syncServices(wanted: readonly ServiceKey[]): { added: number; removed: number; unchanged: number } {
    const m = this.map('nm_services');
    const want = new Map(wanted.map((k) => [SERVICE_KEY.encode(k).toString('hex'), k]));
    const have = new Set(m.keys().map((k) => k.toString('hex')));
    let added = 0;
    let removed = 0;
    for (const [hex, k] of want) {
      if (have.has(hex)) continue;
      m.update(SERVICE_KEY.encode(k), SERVICE_VALUE.encode({ flags: 0 }));
      added++;
    }
    for (const hex of have) {
      if (want.has(hex)) continue;
      m.delete(Buffer.from(hex, 'hex'));
      removed++;
    }
    return { added, removed, unchanged: want.size - added };
  }

  /** Destinations never redirected (replaces the previous sets). */
  setExclusions(ex: { ports: number[]; cidrs: Cidr4[] }): void {
    const ports = this.map('nm_excl_ports');
    const portKey = (p: number) => {
      const b = Buffer.alloc(2);
      b.writeUInt16LE(p);
      return b;
    };
    const wantPorts = new Set(ex.ports.map((p) => portKey(p).toString('hex')));
    for (const k of ports.keys()) if (!wantPorts.has(k.toString('hex'))) ports.delete(k);
    for (const p of ex.ports) ports.update(portKey(p), Buffer.from([1]));
    const cidrs = this.map('nm_excl_cidrs');
    const wantCidrs = new Set(ex.cidrs.map((c) => CIDR4_KEY.encode(c).toString('hex')));
    for (const k of cidrs.keys()) if (!wantCidrs.has(k.toString('hex'))) cidrs.delete(k);
    for (const c of ex.cidrs) cidrs.update(CIDR4_KEY.encode(c), Buffer.from([1]));
  }

  /** Every counter, summed over CPUs. */
  counters(): Counters {
    return readCounters(this.map('nm_counters'));
  }

  /** Entries per map (a snapshot), with each map's capacity. */
  mapSizes(): { name: MapName; entries: number; maxEntries: number }[] {
    return MAPS.map((name) => {
      const m = this.map(name);
      // Arrays always hold max_entries slots; counting keys says nothing.
      const entries = m.info.type === 2 || m.info.type === 6 ? m.info.maxEntries : m.keys().length;
      return { name, entries, maxEntries: m.info.maxEntries };
    });
  }

  /** The pinned links, by file name (see the pin layout above). */
  linkPins(): string[] {
    const dir = join(this.pinRoot, 'links');
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  }
}

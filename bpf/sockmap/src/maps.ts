// A BPF map by file descriptor (from a loaded object or a pin), with the
// element syscalls over Buffers and the kernel's own description of it.
import { BpfError, check, closeFd, lastErrno, libbpf } from './libbpf.js';

const ENOENT = 2;
/** BPF_MAP_TYPE_PERCPU_* values hold one slot per possible CPU. */
const PERCPU_TYPES = new Set([5 /* PERCPU_HASH */, 6 /* PERCPU_ARRAY */, 10 /* LRU_PERCPU_HASH */]);

export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
}

/** struct bpf_map_info prefix (uapi; checked against vmlinux BTF by structs.test.ts). */
export const MAP_INFO_LAYOUT = { type: 0, id: 4, key_size: 8, value_size: 12, max_entries: 16, map_flags: 20, name: 24 } as const;

export function objInfo(fd: number, size = 512): Buffer {
  const buf = Buffer.alloc(size);
  const len = [size];
  check('bpf_obj_get_info_by_fd', libbpf().obj_get_info_by_fd(fd, buf, len));
  return buf;
}

const cString = (b: Buffer, at: number, max: number) => {
  const s = b.subarray(at, at + max);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? max : nul).toString('utf8');
};
export { cString };

export class BpfMap {
  readonly info: MapInfo;
  private closed = false;

  constructor(readonly fd: number) {
    const b = objInfo(fd);
    const L = MAP_INFO_LAYOUT;
    this.info = {
      type: b.readUInt32LE(L.type),
      id: b.readUInt32LE(L.id),
      keySize: b.readUInt32LE(L.key_size),
      valueSize: b.readUInt32LE(L.value_size),
      maxEntries: b.readUInt32LE(L.max_entries),
      flags: b.readUInt32LE(L.map_flags),
      name: cString(b, L.name, 16),
    };
  }

  /** Opens a pinned map (bpf_obj_get). */
  static openPinned(path: string): BpfMap {
    return new BpfMap(check(`bpf_obj_get ${path}`, libbpf().obj_get(path)));
  }

  get perCpu(): boolean {
    return PERCPU_TYPES.has(this.info.type);
  }

  /** The size of a value buffer: per-CPU maps hold one 8-aligned slot per possible CPU. */
  get valueBufferSize(): number {
    return this.perCpu ? Math.ceil(this.info.valueSize / 8) * 8 * possibleCpus() : this.info.valueSize;
  }

  update(key: Buffer, value: Buffer, flags = 0n): void {
    check(`update ${this.info.name}`, libbpf().map_update_elem(this.fd, key, value, flags));
  }

  lookup(key: Buffer): Buffer | undefined {
    const value = Buffer.alloc(this.valueBufferSize);
    const r = libbpf().map_lookup_elem(this.fd, key, value);
    if (r === -ENOENT) return undefined;
    check(`lookup ${this.info.name}`, r);
    return value;
  }

  /** Deletes the key; false when it was absent. */
  delete(key: Buffer): boolean {
    const r = libbpf().map_delete_elem(this.fd, key);
    if (r === -ENOENT) return false;
    check(`delete ${this.info.name}`, r);
    return true;
  }

  /** Every key (a snapshot: the programs may change the map meanwhile). */
  keys(): Buffer[] {
    const out: Buffer[] = [];
    let prev: Buffer | null = null;
    for (let i = 0; i <= this.info.maxEntries; i++) {
      const next = Buffer.alloc(this.info.keySize);
      const r = libbpf().map_get_next_key(this.fd, prev, next);
      if (r === -ENOENT) break;
      check(`get_next_key ${this.info.name}`, r);
      out.push(next);
      prev = next;
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeFd(this.fd);
  }
}

let cpus: number | undefined;
export function possibleCpus(): number {
  if (cpus === undefined) {
    const n = libbpf().num_possible_cpus();
    if (n <= 0) throw new BpfError('libbpf_num_possible_cpus', -n || lastErrno());
    cpus = n;
  }
  return cpus;
}

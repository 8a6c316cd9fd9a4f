// Struct layouts and enum values from BTF (a compiled object's .BTF section,
// or the kernel's /sys/kernel/btf/vmlinux), through libbpf's btf__* API. The
// layout test compares them with the TypeScript codecs in structs.ts.
import koffi from 'koffi';
import { BpfError, lastErrno, libbpf, type Handle } from './libbpf.js';

const BTF_KIND_STRUCT = 4;
const BTF_KIND_UNION = 5;
const BTF_KIND_ENUM = 6;
const BTF_KIND_TYPEDEF = 8;
const BTF_KIND_VOLATILE = 9;
const BTF_KIND_CONST = 10;
const BTF_KIND_RESTRICT = 11;
const BTF_TYPE_SIZE = 12; // struct btf_type: name_off, info, size/type
const BTF_MEMBER_SIZE = 12; // struct btf_member: name_off, type, offset
const BTF_ENUM_SIZE = 8; // struct btf_enum: name_off, val

export interface FieldLayout {
  offset: number;
  size: number;
}

export interface StructLayout {
  name: string;
  size: number;
  fields: Record<string, FieldLayout>;
}

export class Btf {
  private constructor(private readonly handle: Handle) {}

  /** Parses the BTF of an ELF object or a raw BTF file. */
  static open(path: string): Btf {
    const h = libbpf().btf_parse(path, null);
    if (!h) throw new BpfError(`btf__parse ${path}`, lastErrno());
    return new Btf(h);
  }

  close(): void {
    libbpf().btf_free(this.handle);
  }

  private raw(id: number, extra: number): Buffer {
    const t = libbpf().btf_type_by_id(this.handle, id);
    if (!t) throw new Error(`BTF type id ${id} not found`);
    return Buffer.from(koffi.view(t, BTF_TYPE_SIZE + extra));
  }

  private find(name: string, kind: number): number {
    const id = libbpf().btf_find_by_name_kind(this.handle, name, kind);
    if (id < 0) throw new Error(`BTF has no ${kind === BTF_KIND_STRUCT ? 'struct' : 'enum'} ${name}`);
    return id;
  }

  has(kind: 'struct' | 'enum', name: string): boolean {
    return libbpf().btf_find_by_name_kind(this.handle, name, kind === 'struct' ? BTF_KIND_STRUCT : BTF_KIND_ENUM) > 0;
  }

  struct(name: string): StructLayout {
    const id = this.find(name, BTF_KIND_STRUCT);
    const head = this.raw(id, 0);
    const info = head.readUInt32LE(4);
    const vlen = info & 0xffff;
    const kflag = info >>> 31;
    const t = this.raw(id, vlen * BTF_MEMBER_SIZE);
    const fields: Record<string, FieldLayout> = {};
    for (let i = 0; i < vlen; i++) {
      const at = BTF_TYPE_SIZE + i * BTF_MEMBER_SIZE;
      const memberName = libbpf().btf_name_by_offset(this.handle, t.readUInt32LE(at));
      const type = t.readUInt32LE(at + 4);
      const bitOffset = kflag ? t.readUInt32LE(at + 8) & 0xffffff : t.readUInt32LE(at + 8);
      if (bitOffset % 8) throw new Error(`struct ${name}.${memberName}: bitfields are not supported by the codecs`);
      fields[memberName || `<anon@${bitOffset / 8}>`] = { offset: bitOffset / 8, size: Number(libbpf().btf_resolve_size(this.handle, type)) };
    }
    return { name, size: t.readUInt32LE(8), fields };
  }

  /**
   * Byte offset and size of a member given as a dotted path, descending into
   * anonymous unions/structs on the way (e.g. bpf_link_info 'cgroup.cgroup_id').
   */
  memberOffset(structName: string, path: string): FieldLayout {
    let id = this.find(structName, BTF_KIND_STRUCT);
    let base = 0;
    const parts = path.split('.');
    for (let i = 0; i < parts.length; i++) {
      const found = this.findMember(id, parts[i]!);
      if (!found) throw new Error(`struct ${structName} has no member ${parts.slice(0, i + 1).join('.')}`);
      base += found.offset;
      id = found.type;
      if (i === parts.length - 1) return { offset: base, size: Number(libbpf().btf_resolve_size(this.handle, id)) };
    }
    throw new Error('unreachable');
  }

  private kindOf(id: number): { kind: number; vlen: number; kflag: number; ref: number } {
    const h = this.raw(id, 0);
    const info = h.readUInt32LE(4);
    return { kind: (info >>> 24) & 0x1f, vlen: info & 0xffff, kflag: info >>> 31, ref: h.readUInt32LE(8) };
  }

  private resolve(id: number): number {
    for (;;) {
      const k = this.kindOf(id);
      if (![BTF_KIND_TYPEDEF, BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT].includes(k.kind)) return id;
      id = k.ref;
    }
  }

  /** A named member of a struct/union, searched through anonymous members; offset in bytes. */
  private findMember(id: number, name: string): { offset: number; type: number } | undefined {
    id = this.resolve(id);
    const k = this.kindOf(id);
    if (k.kind !== BTF_KIND_STRUCT && k.kind !== BTF_KIND_UNION) return undefined;
    const t = this.raw(id, k.vlen * BTF_MEMBER_SIZE);
    for (let i = 0; i < k.vlen; i++) {
      const at = BTF_TYPE_SIZE + i * BTF_MEMBER_SIZE;
      const memberName = libbpf().btf_name_by_offset(this.handle, t.readUInt32LE(at));
      const type = t.readUInt32LE(at + 4);
      const bits = k.kflag ? t.readUInt32LE(at + 8) & 0xffffff : t.readUInt32LE(at + 8);
      if (memberName === name) return { offset: bits / 8, type };
      if (!memberName) {
        const inner = this.findMember(type, name);
        if (inner) return { offset: bits / 8 + inner.offset, type: inner.type };
      }
    }
    return undefined;
  }

  enumValues(name: string): Record<string, number> {
    const id = this.find(name, BTF_KIND_ENUM);
    const vlen = this.raw(id, 0).readUInt32LE(4) & 0xffff;
    const t = this.raw(id, vlen * BTF_ENUM_SIZE);
    const out: Record<string, number> = {};
    for (let i = 0; i < vlen; i++) {
      const at = BTF_TYPE_SIZE + i * BTF_ENUM_SIZE;
      out[libbpf().btf_name_by_offset(this.handle, t.readUInt32LE(at))] = t.readInt32LE(at + 4);
    }
    return out;
  }
}

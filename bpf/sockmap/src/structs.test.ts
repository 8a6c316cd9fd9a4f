// The contract between the programs and the agent: every struct the codecs
// in structs.ts encode has the same size and member offsets/sizes in the
// compiled objects' BTF, the counter names follow enum nm_counter, and the
// uapi info structs the status code reads match this kernel's BTF. Reads BTF
// files only: no root needed; skips when the objects are not built.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Btf } from './btf.js';
import { MAP_INFO_LAYOUT } from './maps.js';
import { DEFAULT_OBJECTS_DIR, objectsMissing, VMLINUX_BTF } from './preflight.js';
import { LINK_INFO_LAYOUT, PROG_INFO_LAYOUT } from './status.js';
import { AUTH_CODECS } from './auth-structs.js';
import { ALL_CODECS, COUNTERS, CGROUP_ROLE, CIDR4_KEY, CONFIG, counterEnumerator, ORIG_DST, ROLES, SERVICE_KEY, TUPLE } from './structs.js';

let skip = objectsMissing();
if (!skip) {
  try {
    Btf.open(VMLINUX_BTF).close();
  } catch (e) {
    skip = `libbpf or kernel BTF unavailable: ${(e as Error).message}`;
  }
}
if (skip) console.log(`# SKIPPED BTF layout checks: ${skip}`);

function withObjectBtf<T>(fn: (btfs: { object: string; btf: Btf }[]) => T): T {
  const objects = readdirSync(DEFAULT_OBJECTS_DIR).filter((f) => f.endsWith('.o'));
  const btfs = objects.map((o) => ({ object: o, btf: Btf.open(join(DEFAULT_OBJECTS_DIR, o)) }));
  try {
    return fn(btfs);
  } finally {
    for (const b of btfs) b.btf.close();
  }
}

describe('shared struct layouts (compiled objects BTF vs TypeScript codecs)', { skip }, () => {
  it('every codec matches its C struct in every object that has it', () => {
    withObjectBtf((btfs) => {
      for (const codec of [...ALL_CODECS, ...AUTH_CODECS]) {
        const holders = btfs.filter((b) => b.btf.has('struct', codec.cName));
        assert.ok(holders.length > 0, `no object has struct ${codec.cName} (${codec.header})`);
        for (const { object, btf } of holders) {
          const layout = btf.struct(codec.cName);
          assert.equal(layout.size, codec.size, `sizeof(struct ${codec.cName}) in ${object}`);
          assert.deepEqual(layout.fields, codec.fields, `struct ${codec.cName} members in ${object}`);
        }
      }
    });
  });

  it('counter names follow enum nm_counter, slot for slot, within the map', () => {
    withObjectBtf((btfs) => {
      const holders = btfs.filter((b) => b.btf.has('enum', 'nm_counter'));
      assert.ok(holders.length >= 4, 'each program object carries enum nm_counter');
      for (const { object, btf } of holders) {
        const values = btf.enumValues('nm_counter');
        const max = values.NM_C_MAX!;
        const { NM_C_MAX: _, ...slots } = values;
        assert.deepEqual(slots, Object.fromEntries(COUNTERS.map((n, i) => [counterEnumerator(n), i])), object);
        assert.ok(COUNTERS.length <= max, `${COUNTERS.length} counters fit in nm_counters (${max})`);
      }
    });
  });

  it('the role values follow enum nm_role', () => {
    withObjectBtf((btfs) => {
      const b = btfs.find((x) => x.btf.has('enum', 'nm_role'));
      assert.ok(b, 'connect4.o carries enum nm_role');
      const values = b.btf.enumValues('nm_role');
      assert.deepEqual(values, { NM_ROLE_NONE: ROLES.none, NM_ROLE_MESH: ROLES.mesh, NM_ROLE_PROXY: ROLES.proxy, NM_ROLE_EXCLUDED: ROLES.excluded });
    });
  });

  it("the uapi info structs read by status and the loader match this kernel's BTF", () => {
    const btf = Btf.open(VMLINUX_BTF);
    try {
      for (const [field, offset] of Object.entries(MAP_INFO_LAYOUT)) assert.equal(btf.memberOffset('bpf_map_info', field).offset, offset, `bpf_map_info.${field}`);
      for (const [field, offset] of Object.entries(PROG_INFO_LAYOUT)) assert.equal(btf.memberOffset('bpf_prog_info', field).offset, offset, `bpf_prog_info.${field}`);
      const link: Record<keyof typeof LINK_INFO_LAYOUT, string> = {
        type: 'type',
        id: 'id',
        prog_id: 'prog_id',
        cgroup_cgroup_id: 'cgroup.cgroup_id',
        cgroup_attach_type: 'cgroup.attach_type',
        sockmap_map_id: 'sockmap.map_id',
        sockmap_attach_type: 'sockmap.attach_type',
      };
      for (const [k, path] of Object.entries(link)) assert.equal(btf.memberOffset('bpf_link_info', path).offset, LINK_INFO_LAYOUT[k as keyof typeof link], `bpf_link_info.${path}`);
    } finally {
      btf.close();
    }
  });
});

describe('codecs round-trip', () => {
  it('encodes and decodes every struct', () => {
    const t = { src: { address: '127.0.0.1', port: 40000 }, dst: { address: '127.0.0.1', port: 15001 } };
    assert.deepEqual(TUPLE.decode(TUPLE.encode(t)), t);
    const o = { address: '10.96.0.20', port: 80, cgroupId: 12345n };
    assert.deepEqual(ORIG_DST.decode(ORIG_DST.encode(o)), o);
    assert.deepEqual(SERVICE_KEY.decode(SERVICE_KEY.encode({ address: '10.96.0.20', port: 443 })), { address: '10.96.0.20', port: 443 });
    const c = { proxy: { address: '127.0.0.1', port: 15001 }, sockmap: true };
    assert.deepEqual(CONFIG.decode(CONFIG.encode(c)), c);
    assert.equal(CGROUP_ROLE.decode(CGROUP_ROLE.encode('proxy')), 'proxy');
    assert.deepEqual(CIDR4_KEY.decode(CIDR4_KEY.encode({ address: '10.96.0.0', prefixLength: 12 })), { address: '10.96.0.0', prefixLength: 12 });
  });

  it('stores addresses in network order and ports in host order, as the programs read them', () => {
    const k = SERVICE_KEY.encode({ address: '10.96.0.20', port: 80 });
    assert.deepEqual([...k.subarray(0, 4)], [10, 96, 0, 20]);
    assert.equal(k.readUInt16LE(16), 80);
    assert.equal(k[18], 2);
    assert.equal(k[19], 6);
    assert.throws(() => SERVICE_KEY.encode({ address: 'fd00::1', port: 80 }), /not an IPv4 address/);
  });
});


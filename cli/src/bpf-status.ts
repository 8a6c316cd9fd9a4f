// `nodemesh bpf status`: what steering has attached (programs per cgroup),
// how full its maps are, and its counters by reason — read from the pins.
import { existsSync } from 'node:fs';
import { SteeringError } from '../../bpf/sockmap/src/loader.js';
import { steeringStatus } from '../../bpf/sockmap/src/status.js';

export function runBpfStatus(flags: { pinRoot: string; json?: boolean }): void {
  if (process.getuid?.() !== 0) {
    console.error('nodemesh bpf status: needs root (reading pinned BPF maps)');
    process.exit(1);
  }
  if (!existsSync(flags.pinRoot)) {
    console.error(`nodemesh bpf status: nothing attached: ${flags.pinRoot} does not exist (nodemesh bpf attach)`);
    process.exit(1);
  }
  let s;
  try {
    s = steeringStatus(flags.pinRoot);
  } catch (e) {
    console.error(`nodemesh bpf status: ${e instanceof SteeringError ? e.message : (e as Error).message}`);
    process.exit(1);
  }
  if (flags.json) {
    console.log(JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2));
    return;
  }
  console.log(`pins: ${s.pinRoot}`);
  console.log(s.config ? `proxy: ${s.config.proxy.address}:${s.config.proxy.port}, sockmap ${s.config.sockmap ? 'on' : 'off'}` : 'proxy: not configured (nothing is redirected)');
  console.log('\nattached programs:');
  const byTarget = new Map<string, string[]>();
  for (const l of s.links) {
    const target = l.cgroup ? `cgroup ${l.cgroup}` : `map id ${l.mapId} (nm_sockhash)`;
    byTarget.set(target, [...(byTarget.get(target) ?? []), `${l.program} (${l.attachType}, link ${l.linkId}, prog ${l.programId})`]);
  }
  for (const [target, progs] of byTarget) console.log(`  ${target}\n    ${progs.join('\n    ')}`);
  console.log('\ncgroups with a role:');
  for (const c of s.cgroups) console.log(`  ${c.role.padEnd(8)} ${c.path ?? `id ${c.id} (gone)`}`);
  console.log('\nmaps:');
  for (const m of s.maps) console.log(`  ${m.name.padEnd(16)} ${String(m.entries).padStart(6)} / ${m.maxEntries}`);
  if (s.auth) {
    console.log('\nauth maps (issue #6):');
    for (const m of s.auth.maps) console.log(`  ${m.name.padEnd(16)} ${String(m.entries).padStart(6)} / ${m.maxEntries}`);
  }
  console.log('\ncounters:');
  for (const [name, v] of Object.entries(s.counters)) if (v > 0n) console.log(`  ${name.padEnd(28)} ${v}`);
  if (Object.values(s.counters).every((v) => v === 0n)) console.log('  (all zero)');
}

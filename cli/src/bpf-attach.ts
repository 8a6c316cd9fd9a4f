// `nodemesh bpf attach` / `nodemesh bpf detach`: the node agent's steering
// step, one shot. attach loads and attaches the programs (or updates the
// pinned links of an earlier run: running it again is an agent restart and
// keeps established connections), then makes the maps match the mesh model
// and the flags. Everything it sets up lives in pins, so nothing has to keep
// running; detach removes the pins and with them the programs.
import { isIPv4 } from 'node:net';
import { BpfError } from '../../bpf/sockmap/src/libbpf.js';
import { attach, cgroupId, detach, SteeringError } from '../../bpf/sockmap/src/loader.js';
import { serviceKeys } from '../../bpf/sockmap/src/services.js';
import type { Cidr4, Role } from '../../bpf/sockmap/src/structs.js';
import { loadDirectory } from '../../xds-server/src/provider/file/index.js';
import { translateResources } from '../../xds-server/src/translate/kubernetes/index.js';

export interface BpfAttachFlags {
  cgroup: string;
  pinRoot: string;
  proxy: string;
  config?: string;
  meshCgroup: string[];
  proxyCgroup: string[];
  excludeCgroup: string[];
  excludePort: string[];
  excludeCidr: string[];
  sockmap: boolean;
  trustDomain: string;
  clusterDomain: string;
  json?: boolean;
}

function fail(message: string, command = 'attach'): never {
  console.error(`nodemesh bpf ${command}: ${message}`);
  process.exit(1);
}

export function parseEndpoint(s: string, command = 'attach'): { address: string; port: number } {
  const m = /^(.+):(\d+)$/.exec(s);
  if (!m || !isIPv4(m[1]!) || Number(m[2]) < 1 || Number(m[2]) > 65535) fail(`--proxy ${s}: want IPv4:port`, command);
  return { address: m[1]!, port: Number(m[2]) };
}

export function parseCidr(s: string, command = 'attach'): Cidr4 {
  const [address, len = '32'] = s.split('/');
  if (!address || !isIPv4(address) || !/^\d+$/.test(len) || Number(len) > 32) fail(`--exclude-cidr ${s}: want an IPv4 CIDR`, command);
  return { address, prefixLength: Number(len) };
}

export async function runBpfAttach(flags: BpfAttachFlags): Promise<void> {
  const proxy = parseEndpoint(flags.proxy);
  const ports = flags.excludePort.map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`--exclude-port ${p}: want 1..65535`);
    return n;
  });
  const cidrs = flags.excludeCidr.map((c) => parseCidr(c));

  let keys: { address: string; port: number }[] = [];
  let skipped: { service: string; vip: string; port: number; reason: string }[] = [];
  if (flags.config) {
    const loaded = await loadDirectory(flags.config);
    const { model } = translateResources(loaded.resources, flags);
    ({ keys, skipped } = serviceKeys(model));
  }

  let result;
  try {
    result = attach({ cgroup: flags.cgroup, pinRoot: flags.pinRoot, config: { proxy, sockmap: flags.sockmap } });
  } catch (e) {
    if (e instanceof SteeringError || e instanceof BpfError) fail(e.message);
    throw e;
  }
  const { steering, report } = result;
  try {
    const roles = new Map<bigint, Role>();
    for (const [list, role] of [
      [flags.meshCgroup, 'mesh'],
      [flags.proxyCgroup, 'proxy'],
      [flags.excludeCgroup, 'excluded'],
    ] as const) {
      for (const path of list) {
        try {
          roles.set(cgroupId(path), role);
        } catch (e) {
          fail(`cgroup ${path}: ${(e as Error).message}`);
        }
      }
    }
    // The roles map holds exactly what this run was told.
    for (const { id } of steering.cgroupRoles()) if (!roles.has(id)) steering.setCgroupIdRole(id, 'none');
    for (const [id, role] of roles) steering.setCgroupIdRole(id, role);
    steering.setExclusions({ ports, cidrs });
    const services = flags.config ? steering.syncServices(keys) : undefined;
    const out = { pinRoot: flags.pinRoot, cgroup: flags.cgroup, ...report, services, skipped, roles: roles.size };
    if (flags.json) {
      console.log(JSON.stringify(out));
      return;
    }
    const reused = report.maps.filter((m) => m.reused).length;
    console.log(`steering attached to ${flags.cgroup} (pins in ${flags.pinRoot})`);
    console.log(`  programs: ${report.programs.map((p) => `${p.name} (${p.link})`).join(', ')}`);
    console.log(`  maps: ${report.maps.length} (${reused} reused from an earlier run)`);
    if (report.removedLinks.length) console.log(`  detached from the previous cgroup: ${report.removedLinks.join(', ')}`);
    if (services) console.log(`  services: ${keys.length} address:ports (+${services.added} -${services.removed})`);
    for (const s of skipped) console.log(`  skipped ${s.service} ${s.vip}:${s.port}: ${s.reason}`);
    console.log(`  cgroups: ${roles.size} with a role; proxy ${proxy.address}:${proxy.port}; sockmap ${flags.sockmap ? 'on' : 'off'}`);
  } finally {
    steering.close();
  }
}

export function runBpfDetach(flags: { pinRoot: string }): void {
  detach(flags.pinRoot);
  console.log(`removed ${flags.pinRoot}: programs detached`);
}

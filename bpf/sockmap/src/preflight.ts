// What steering needs from the machine, checked before anything is loaded so
// a failure is one message naming what is missing (not a verifier log).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { libbpf } from './libbpf.js';

export const DEFAULT_PIN_ROOT = '/sys/fs/bpf/nodemesh';
export const BPFFS = '/sys/fs/bpf';
export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';
export const DEFAULT_OBJECTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'build');
/** The objects the agent loads, in attach order (see loader.ts). */
export const OBJECTS = ['sk_msg', 'getsockopt', 'getpeername', 'sockops', 'connect4', 'connect6'] as const;

const BPF_FS_MAGIC = 0xcafe4a11;
const CGROUP2_SUPER_MAGIC = 0x63677270;

const fsType = (path: string): number | undefined => {
  try {
    return Number(statfsSync(path).type);
  } catch {
    return undefined;
  }
};

export const isBpffs = (path: string) => fsType(path) === BPF_FS_MAGIC;
export const isCgroup2 = (path: string) => fsType(path) === CGROUP2_SUPER_MAGIC;

/** Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts). */
export function cgroup2Mount(): string | undefined {
  const line = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .find((f) => f[2] === 'cgroup2');
  return line?.[1];
}

/** Why the compiled objects cannot be used, or undefined when they are all there. */
export function objectsMissing(objectsDir = DEFAULT_OBJECTS_DIR, names: readonly string[] = OBJECTS): string | undefined {
  const missing = names.filter((n) => !existsSync(join(objectsDir, `${n}.o`)));
  if (!missing.length) return undefined;
  return `BPF objects not built (${missing.map((n) => `${n}.o`).join(', ')} missing in ${objectsDir}): run npm run build:bpf (needs clang, llvm, libbpf-dev, bpftool)`;
}

/**
 * Mounts bpffs at /sys/fs/bpf when it is not (as Cilium's agent does): pins
 * must outlive the agent. Returns why it cannot, or undefined.
 */
export function ensureBpffs(pinRoot: string): string | undefined {
  let dir = pinRoot;
  while (!existsSync(dir)) dir = dirname(dir);
  if (isBpffs(dir)) return undefined;
  if (pinRoot.startsWith(`${BPFFS}/`) && existsSync(BPFFS) && !isBpffs(BPFFS)) {
    const r = spawnSync('mount', ['-t', 'bpf', 'bpf', BPFFS], { encoding: 'utf8' });
    if (r.status === 0 && isBpffs(BPFFS)) return undefined;
    return `bpffs is not mounted at ${BPFFS} and mounting it failed (${(r.stderr ?? '').trim() || `exit ${r.status}`}): mount -t bpf bpf ${BPFFS}`;
  }
  return `pin root ${pinRoot} is not on a bpf filesystem (mount -t bpf bpf ${BPFFS})`;
}

/**
 * Everything attach() needs, in the order a user would fix it; the first
 * problem is returned as one sentence.
 */
export function preflight(opts: { cgroup: string; pinRoot: string; objectsDir?: string }): string | undefined {
  if (process.getuid?.() !== 0) return 'eBPF steering needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN to attach to cgroups)';
  if (!existsSync(VMLINUX_BTF)) return `kernel BTF is missing (${VMLINUX_BTF}): the kernel needs CONFIG_DEBUG_INFO_BTF=y (Linux >= 5.10 recommended; sockmap links need >= 6.10)`;
  if (!existsSync(opts.cgroup)) return `cgroup ${opts.cgroup} does not exist`;
  if (!isCgroup2(opts.cgroup)) return `${opts.cgroup} is not on a cgroup v2 hierarchy (cgroup2 is usually at /sys/fs/cgroup or /sys/fs/cgroup/unified)`;
  const objects = objectsMissing(opts.objectsDir);
  if (objects) return objects;
  const fs = ensureBpffs(opts.pinRoot);
  if (fs) return fs;
  try {
    mkdirSync(opts.pinRoot, { recursive: true });
  } catch (e) {
    return `cannot create pin root ${opts.pinRoot}: ${(e as Error).message}`;
  }
  return undefined;
}

/**
 * Why steering cannot be attached on this machine, or undefined — the checks
 * of preflight() that do not depend on a particular cgroup or pin root, plus
 * libbpf itself. For callers that pick steering when it is available.
 */
export function steeringUnavailable(objectsDir = DEFAULT_OBJECTS_DIR): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!existsSync(VMLINUX_BTF)) return `kernel BTF is missing (${VMLINUX_BTF})`;
  if (!cgroup2Mount()) return 'no cgroup v2 hierarchy is mounted';
  const objects = objectsMissing(objectsDir);
  if (objects) return objects;
  const fs = ensureBpffs(`${BPFFS}/nodemesh`);
  if (fs) return fs;
  try {
    libbpf();
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

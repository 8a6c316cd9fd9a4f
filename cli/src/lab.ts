// A throwaway network namespace for running the node proxy on real traffic.
// Connections to service VIPs go to the proxy's capture port, where the
// original destination is read back with SO_ORIGINAL_DST: through nodemesh's
// eBPF steering (bpf/sockmap: cgroup/connect4 + cgroup/getsockopt) when this
// machine can attach it (root, BTF, cgroup v2, built objects), otherwise
// through one nft redirect rule (VIPs made local). The namespace (and the
// steering's cgroup and pins) are removed on exit, and leftovers of a crashed
// run (same name prefix, no live pid) are removed at start.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { LAB_PINS_ENV, removeLabSteering, startLabSteering, steerLabServices } from '../../bpf/sockmap/src/lab-steering.js';

export const LAB_ENV = 'NODEMESH_LAB_NETNS';
const PREFIX = 'nodemesh-lab-';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespace, nftables)';
  if (!has('ip')) return 'needs ip (Debian package iproute2)';
  if (!has('nft')) return 'needs nft (Debian package nftables)';
  return undefined;
}

export function inLab(): boolean {
  return !!process.env[LAB_ENV];
}

function removeStaleLabs(): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length));
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      // no such process: a crashed run's namespace
    }
    if (!alive) spawnSync('ip', ['netns', 'del', name]);
    if (!alive) removeLabSteering(name);
  }
}

/** Re-runs this command inside a new lab namespace and exits with its status. */
export function reexecInLab(): void {
  removeStaleLabs();
  const ns = `${PREFIX}${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const steering = startLabSteering(ns);
  if (typeof steering === 'string') console.error(`lab: eBPF steering unavailable (${steering}); using an nft redirect`);
  const cleanup = () => {
    spawnSync('ip', ['netns', 'del', ns]);
    if (typeof steering !== 'string') steering.stop();
  };
  const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  // With steering the child joins its cgroup first, and enters only the
  // network namespace (nsenter), keeping the host's /sys where the cgroup and
  // the pins live (`ip netns exec` remounts /sys).
  const child =
    typeof steering === 'string'
      ? spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: 'inherit', env: { ...process.env, [LAB_ENV]: ns } })
      : spawn('sh', ['-c', 'echo $$ > "$0" && exec "$@"', `${steering.cgroup}/cgroup.procs`, 'nsenter', `--net=/run/netns/${ns}`, ...argv], {
          stdio: 'inherit',
          env: { ...process.env, [LAB_ENV]: ns, [LAB_PINS_ENV]: steering.pinRoot },
        });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    cleanup();
    process.exit(code ?? (signal ? 1 : 0));
  });
}

/** Inside the lab: workload addresses become local, VIP traffic is redirected to `capturePort` (eBPF or nft). */
export function setUpLab(opts: { workloadAddresses: string[]; vips: string[]; capturePort: number }): void {
  for (const a of new Set(opts.workloadAddresses)) if (!a.startsWith('127.')) spawnSync('ip', ['addr', 'add', `${a}/32`, 'dev', 'lo']);
  for (const v of new Set(opts.vips)) spawnSync('ip', ['route', 'add', 'local', `${v}/32`, 'dev', 'lo']);
  if (!opts.vips.length) return;
  const pins = process.env[LAB_PINS_ENV];
  if (pins) return steerLabServices(pins, opts.vips, opts.capturePort);
  const set = [...new Set(opts.vips)].join(', ');
  execFileSync('nft', [
    `add table ip nodemesh_lab; add chain ip nodemesh_lab out { type nat hook output priority -100; }; add rule ip nodemesh_lab out ip daddr { ${set} } tcp dport 1-65535 redirect to :${opts.capturePort}`,
  ]);
}

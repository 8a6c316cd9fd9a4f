// A throwaway network namespace for running the node proxy on real traffic
// before eBPF steering (#5) exists: service VIPs are made local and one nft
// rule redirects connections to them into the proxy's capture port, where
// the original destination is read back with SO_ORIGINAL_DST — the same call
// nodemesh's cgroup/getsockopt hook will answer. The namespace is removed on
// exit, and leftovers of a crashed run (same name prefix, no live pid) are
// removed at start.
import { execFileSync, spawn, spawnSync } from 'node:child_process';

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
  }
}

/** Re-runs this command inside a new lab namespace and exits with its status. */
export function reexecInLab(): void {
  removeStaleLabs();
  const ns = `${PREFIX}${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const cleanup = () => spawnSync('ip', ['netns', 'del', ns]);
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [LAB_ENV]: ns },
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    cleanup();
    process.exit(code ?? (signal ? 1 : 0));
  });
}

/** Inside the lab: workload addresses become local, VIP traffic is redirected to `capturePort`. */
export function setUpLab(opts: { workloadAddresses: string[]; vips: string[]; capturePort: number }): void {
  for (const a of new Set(opts.workloadAddresses)) if (!a.startsWith('127.')) spawnSync('ip', ['addr', 'add', `${a}/32`, 'dev', 'lo']);
  for (const v of new Set(opts.vips)) spawnSync('ip', ['route', 'add', 'local', `${v}/32`, 'dev', 'lo']);
  if (!opts.vips.length) return;
  const set = [...new Set(opts.vips)].join(', ');
  execFileSync('nft', [
    `add table ip nodemesh_lab; add chain ip nodemesh_lab out { type nat hook output priority -100; }; add rule ip nodemesh_lab out ip daddr { ${set} } tcp dport 1-65535 redirect to :${opts.capturePort}`,
  ]);
}

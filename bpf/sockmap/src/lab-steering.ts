// eBPF steering for `nodemesh demo`'s lab namespace (cli/src/lab.ts), in
// place of its nft redirect when the machine can do it: the lab process runs
// in its own cgroup, marked as a mesh workload, and every port of every
// service VIP is redirected to the capture port. The demo runs the node
// proxy in the same process as its clients, so the proxy is not told apart
// by cgroup here; its upstream connections go to workload addresses, which
// are not VIPs, so nothing loops.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { removeCgroupTree } from './cgroups.js';
import { attach, detach, Steering } from './loader.js';
import { cgroup2Mount, steeringUnavailable } from './preflight.js';

export const LAB_PINS_ENV = 'NODEMESH_LAB_PINS';

export interface LabSteering {
  cgroup: string;
  pinRoot: string;
  /** Detaches and removes the cgroup (its processes are killed). */
  stop(): void;
}

/** Attaches steering to a new cgroup named `name`, or returns why it cannot. */
export function startLabSteering(name: string): LabSteering | string {
  const why = steeringUnavailable();
  if (why) return why;
  const cgroup = join(cgroup2Mount()!, name);
  const pinRoot = join('/sys/fs/bpf', name);
  mkdirSync(cgroup, { recursive: true });
  try {
    // The proxy port stays 0 (nothing redirected) until the lab sets it up.
    const { steering } = attach({ cgroup, pinRoot, config: { proxy: { address: '127.0.0.1', port: 0 }, sockmap: true } });
    steering.setCgroupRole(cgroup, 'mesh');
    steering.close();
  } catch (e) {
    // e.g. a kernel that rejects a program: the caller falls back to nft.
    removeLabSteering(name);
    return (e as Error).message.split('\n')[0]!;
  }
  return { cgroup, pinRoot, stop: () => removeLabSteering(name) };
}

/** Removes the cgroup and pins of a lab named `name` (a crashed run's too). */
export function removeLabSteering(name: string): void {
  detach(join('/sys/fs/bpf', name));
  const root = cgroup2Mount();
  if (root && existsSync(join(root, name))) removeCgroupTree(join(root, name));
}

/** Inside the lab: redirect every port of `vips` to 127.0.0.1:`capturePort`. */
export function steerLabServices(pinRoot: string, vips: string[], capturePort: number): void {
  const s = Steering.open(pinRoot);
  try {
    s.syncServices([...new Set(vips)].map((address) => ({ address, port: 0 })));
    s.setConfig({ proxy: { address: '127.0.0.1', port: capturePort }, sockmap: true });
  } finally {
    s.close();
  }
}

// `nodemesh encryption status`: what the agent last decided (agent.json in its
// state dir) joined with what the kernel says now — peers, handshakes and
// bytes from `wg show <if> dump` (wg's machine-readable output), the tunnel
// MTU from `ip link`, strict-mode drops from the nft counter.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Run } from './exec.js';
import { AGENT_STATE_FILE, type AgentState } from './agent.js';
import { readNodes } from './nodes.js';
import { strictDrops } from './strict.js';
import { parseWgDump } from './wg-dump.js';

export interface PeerStatus {
  node: string | undefined;
  publicKey: string;
  /** "active" owns the node's CIDRs; "staged" is a rotation's next key. */
  role: 'active' | 'staged';
  endpoint: string | undefined;
  allowedIPs: string[];
  latestHandshake: string | undefined;
  rxBytes: number;
  txBytes: number;
}

export interface EncryptionStatus {
  mode: string;
  implementation: string;
  node: string;
  ifname: string;
  publicKey: string | undefined;
  listenPort: number;
  mtu: number | undefined;
  underlayMtu: number;
  strict: boolean;
  strictDrops: { packets: number; bytes: number } | undefined;
  rotation: AgentState['rotation'];
  lastKeySwitch: string | undefined;
  peers: PeerStatus[];
  problems: string[];
  reconciledAt: string;
}

export async function encryptionStatus(run: Run, stateDir: string): Promise<EncryptionStatus> {
  let state: AgentState;
  try {
    state = JSON.parse(readFileSync(join(stateDir, AGENT_STATE_FILE), 'utf8')) as AgentState;
  } catch {
    throw new Error(`no encryption agent state in ${stateDir} (is the agent running with --state-dir ${stateDir}?)`);
  }
  const dump = parseWgDump(await run('wg', ['show', state.ifname, 'dump']));
  const [link] = JSON.parse(await run('ip', ['-j', 'link', 'show', 'dev', state.ifname])) as Array<{ mtu?: number }>;
  const byKey = new Map<string, { node: string; role: 'active' | 'staged' }>();
  for (const n of readNodes(state.configDir).nodes) {
    const wg = n.spec.wireGuard;
    if (wg === undefined) continue;
    byKey.set(wg.publicKey, { node: n.metadata.name, role: 'active' });
    if (wg.nextPublicKey) byKey.set(wg.nextPublicKey, { node: n.metadata.name, role: 'staged' });
  }
  return {
    mode: state.mode,
    implementation: state.implementation,
    node: state.node,
    ifname: state.ifname,
    publicKey: dump.iface.publicKey,
    listenPort: dump.iface.listenPort,
    mtu: link?.mtu,
    underlayMtu: state.underlayMtu,
    strict: state.strict,
    strictDrops: state.strict ? await strictDrops(run) : undefined,
    rotation: state.rotation,
    lastKeySwitch: state.lastKeySwitch,
    peers: dump.peers.map((p) => ({
      node: byKey.get(p.publicKey)?.node,
      publicKey: p.publicKey,
      role: byKey.get(p.publicKey)?.role ?? (p.allowedIPs.length > 0 ? 'active' : 'staged'),
      endpoint: p.endpoint,
      allowedIPs: p.allowedIPs,
      latestHandshake: p.latestHandshake > 0 ? new Date(p.latestHandshake * 1000).toISOString() : undefined,
      rxBytes: p.rxBytes,
      txBytes: p.txBytes,
    })),
    problems: state.problems,
    reconciledAt: state.reconciledAt,
  };
}

const ago = (iso: string | undefined, now: Date) => (iso === undefined ? 'never' : `${Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000))}s ago`);

/** Human-readable status (pure; tested). */
export function formatStatus(s: EncryptionStatus, now = new Date()): string {
  const lines = [
    `mode:        ${s.mode} (${s.implementation}), interface ${s.ifname}, port ${s.listenPort}`,
    `node:        ${s.node}, public key ${s.publicKey ?? '(none)'}`,
    `mtu:         ${s.mtu ?? '?'} (underlay ${s.underlayMtu})`,
    `strict mode: ${s.strict ? `on, ${s.strictDrops?.packets ?? 0} packets (${s.strictDrops?.bytes ?? 0} bytes) dropped unencrypted` : 'off'}`,
  ];
  if (s.rotation) lines.push(`rotation:    waiting for peers to acknowledge ${s.rotation.nextPublicKey} (since ${s.rotation.since})`);
  if (s.lastKeySwitch) lines.push(`last switch: ${s.lastKeySwitch}`);
  lines.push('', 'NODE\tROLE\tENDPOINT\tALLOWED IPS\tHANDSHAKE\tRX\tTX');
  for (const p of s.peers) {
    lines.push([p.node ?? '?', p.role, p.endpoint ?? '-', p.allowedIPs.join(',') || '-', ago(p.latestHandshake, now), String(p.rxBytes), String(p.txBytes)].join('\t'));
  }
  if (s.peers.length === 0) lines.push('(no peers)');
  for (const p of s.problems) lines.push(`problem: ${p}`);
  return `${lines.join('\n')}\n`;
}

// `nodemesh auth status`: what the node's auth agent holds (from its admin
// endpoint): local identities, auth entries, pending handshakes, failures by
// reason on both sides, and the auth requirements for this node's workloads.
import type { AuthAgentStatus } from '../../auth/src/agent.js';

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd());
}

function reasons(f: Partial<Record<string, number>>): string {
  const list = Object.entries(f).sort(([a], [b]) => (a < b ? -1 : 1));
  return list.length === 0 ? 'none' : list.map(([r, n]) => `${r}=${n}`).join(' ');
}

export function formatAuthStatus(s: AuthAgentStatus): string {
  const out: string[] = [];
  out.push(`node ${s.node}  trust domain ${s.trustDomain}  auth service ${s.listen}  config generation ${s.generation}`);
  out.push(`local identities (${s.identities.length}):`);
  for (const id of s.identities) out.push(`  ${id}`);
  out.push(`entries (${s.entries.length}):`);
  if (s.entries.length > 0) {
    out.push(
      ...table([
        ['LOCAL', 'REMOTE', 'REMOTE NODE', 'ROLE', 'EXPIRES IN', 'AUTHENTICATED AT'],
        ...s.entries.map((e) => [e.localIdentity, e.remoteIdentity, e.remoteNode, e.role, e.expiresIn, new Date(e.authenticatedAt).toISOString()]),
      ]),
    );
  }
  if (s.connections > 0) out.push(`per-connection entries: ${s.connections}`);
  out.push(`pending handshakes (${s.pending.length}):`);
  for (const p of s.pending) out.push(`  ${p}`);
  if (s.backoff.length > 0) {
    out.push(`backing off after a refusal (${s.backoff.length}): new flows refused without a handshake until then`);
    for (const b of s.backoff) out.push(`  ${b.key}  ${b.reason}, retry in ${b.retryIn}`);
  }
  if (s.preauth) {
    const p = s.preauth;
    out.push(`preauthentication: ${p.pairs} pairs named by policy${p.dropped ? ` (${p.dropped} more over the cap: they authenticate on their first connection)` : ''}; last pass ${p.lastPassAt ?? 'not yet'}: ${p.authenticated} authenticated, ${p.refused} refused`);
  }
  out.push(`failures by reason: initiator: ${reasons(s.failures.initiator)}; responder: ${reasons(s.failures.responder)}`);
  out.push(`responder handshakes: ${s.handshakes.responderOk} ok, ${s.handshakes.responderFailed} refused`);
  if (s.gate) out.push(`auth gate ${s.gate.listen}${s.gate.bpf ? '' : ' (not steered: no --bpf-pin-root)'}: ${s.gate.held} held, ${s.gate.forwarded} forwarded, refused: ${reasons(s.gate.refused)}`);
  else out.push('auth gate: off (no --gate): nothing holds auth-required connections on this node');
  if (s.tunnel?.required) {
    out.push(
      s.tunnel.ifindex
        ? `tunnel check: on: auth-required packets from other nodes are delivered only out of ${s.tunnel.interface ?? '?'} (ifindex ${s.tunnel.ifindex})`
        : `tunnel check: on, but ${s.tunnel.interface ?? 'the tunnel interface'} is missing: auth-required packets from other nodes are dropped`,
    );
  } else if (s.tunnel) out.push('tunnel check: off (no --tunnel-interface): a source address from another node is believed on any interface');
  out.push(`auth requirements for workloads on this node (${s.requirements.length}):`);
  for (const r of s.requirements) {
    const ports = r.ports.length === 0 ? 'every port' : r.ports.map((p) => `${p.protocol}/${p.port === 0 ? '*' : p.port}${p.endPort !== undefined ? `-${p.endPort}` : ''}`).join(',');
    const from = r.sources.any ? 'any source' : [...r.sources.identities, ...r.sources.ipBlocks.map((b) => `ipBlock ${b.cidr}`)].join(', ');
    out.push(`  ${(r.scope === 'connection' ? `${r.mode} per connection` : r.mode).padEnd(8)} ${r.destination.identity} at ${r.destination.address} ${ports} from ${from}`);
  }
  if (s.configErrors.length > 0) {
    out.push(`configuration problems (${s.configErrors.length}):`);
    for (const e of s.configErrors) out.push(`  ${e}`);
  }
  return `${out.join('\n')}\n`;
}

export async function fetchAuthStatus(admin: string): Promise<AuthAgentStatus> {
  const res = await fetch(`http://${admin}/status`);
  if (!res.ok) throw new Error(`${admin}/status answered ${res.status}`);
  return (await res.json()) as AuthAgentStatus;
}

export async function runAuthStatus(flags: { admin: string; json?: boolean }, write: (s: string) => void = (s) => process.stdout.write(s)): Promise<void> {
  try {
    const s = await fetchAuthStatus(flags.admin);
    write(flags.json ? `${JSON.stringify(s, null, 2)}\n` : formatAuthStatus(s));
  } catch (err) {
    console.error(`nodemesh auth status: cannot reach the auth agent at ${flags.admin}: ${(err as Error).message}`);
    process.exitCode = 2;
  }
}

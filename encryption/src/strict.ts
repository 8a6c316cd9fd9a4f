// Strict mode: pod traffic to another node's pods that would leave this node
// any other way than through the tunnel is dropped and counted, instead of
// being sent in clear.
//
// Chosen mechanism: one nftables table in the node's network namespace with
// a rule in the forward hook (traffic of local pods) and one in the output
// hook (traffic the node itself originates): destination in a remote pod
// CIDR and output interface not the WireGuard interface → count, drop. It is
// checked after the routing decision, so it catches every way a packet can
// end up unencrypted — a missing or deleted tunnel route falling back to the
// CNI's native route, a peer without a key, an agent that is down (the table
// outlives the agent on purpose) — without having to know which one. The
// alternative, a blackhole route per remote CIDR behind the tunnel routes,
// cannot count and is removed together with the routes it should guard.
//
// The ruleset is replaced in one `nft -f -` transaction that keeps the
// table, its chains and the named counter (only sets and chain contents are
// flushed), so reconciling never resets the drop count.
import { ipFamilyOf } from '../../crds/src/ip.js';
import type { Run } from './exec.js';

export const STRICT_TABLE = 'nodemesh_encryption';
export const STRICT_COUNTER = 'unencrypted_drops';

export interface StrictConfig {
  ifname: string;
  /** This node's pod CIDRs: never dropped (a cluster-wide strict CIDR usually contains them). */
  localCIDRs: readonly string[];
  /** Remote pod CIDRs: every known peer's, plus any configured cluster-wide strict CIDRs. */
  remoteCIDRs: readonly string[];
}

const split = (cidrs: readonly string[]) => ({
  v4: cidrs.filter((c) => ipFamilyOf(c.split('/')[0] ?? '') === 'IPv4'),
  v6: cidrs.filter((c) => ipFamilyOf(c.split('/')[0] ?? '') === 'IPv6'),
});

/** The nft script (pure; tested) that installs or updates strict mode. */
export function strictRuleset(cfg: StrictConfig): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(cfg.ifname)) throw new Error(`invalid interface name ${JSON.stringify(cfg.ifname)}`);
  const local = split(cfg.localCIDRs);
  const remote = split(cfg.remoteCIDRs);
  const t = `inet ${STRICT_TABLE}`;
  const lines = [`add table ${t}`, `add counter ${t} ${STRICT_COUNTER}`];
  for (const [name, type, elems] of [
    ['local_v4', 'ipv4_addr', local.v4],
    ['local_v6', 'ipv6_addr', local.v6],
    ['remote_v4', 'ipv4_addr', remote.v4],
    ['remote_v6', 'ipv6_addr', remote.v6],
  ] as const) {
    lines.push(`add set ${t} ${name} { type ${type}; flags interval; auto-merge; }`, `flush set ${t} ${name}`);
    if (elems.length > 0) lines.push(`add element ${t} ${name} { ${elems.join(', ')} }`);
  }
  for (const hook of ['forward', 'output']) {
    lines.push(`add chain ${t} ${hook} { type filter hook ${hook} priority filter; policy accept; }`, `flush chain ${t} ${hook}`);
    lines.push(`add rule ${t} ${hook} ip daddr @local_v4 return`, `add rule ${t} ${hook} ip6 daddr @local_v6 return`);
    lines.push(`add rule ${t} ${hook} ip daddr @remote_v4 oifname != "${cfg.ifname}" counter name ${STRICT_COUNTER} drop`);
    lines.push(`add rule ${t} ${hook} ip6 daddr @remote_v6 oifname != "${cfg.ifname}" counter name ${STRICT_COUNTER} drop`);
  }
  return `${lines.join('\n')}\n`;
}

export async function applyStrict(run: Run, cfg: StrictConfig): Promise<void> {
  await run('nft', ['-f', '-'], { input: strictRuleset(cfg) });
}

export async function removeStrict(run: Run): Promise<void> {
  const tables = await run('nft', ['list', 'tables']);
  if (tables.split('\n').some((l) => l.trim() === `table inet ${STRICT_TABLE}`)) await run('nft', ['delete', 'table', 'inet', STRICT_TABLE]);
}

/** Packets and bytes strict mode has dropped, or undefined when strict mode is not installed. */
export async function strictDrops(run: Run): Promise<{ packets: number; bytes: number } | undefined> {
  let out: string;
  try {
    out = await run('nft', ['-j', 'list', 'counter', 'inet', STRICT_TABLE, STRICT_COUNTER]);
  } catch {
    return undefined;
  }
  const doc = JSON.parse(out) as { nftables?: Array<{ counter?: { packets?: number; bytes?: number } }> };
  const c = doc.nftables?.find((e) => e.counter !== undefined)?.counter;
  return c === undefined ? undefined : { packets: c.packets ?? 0, bytes: c.bytes ?? 0 };
}

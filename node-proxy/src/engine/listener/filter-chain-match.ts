// Envoy's filter chain selection: criteria are applied in a fixed order
// (destination port, destination IP, server name, transport protocol,
// application protocols, source IP, source port) and at each step only the
// most specific candidates survive; a chain that leaves a criterion empty
// matches anything at that step but loses to one that names the value.
import { cidrContains, parseCidr, type CidrRange as Cidr } from '../rbac/cidr.js';

export interface ChainMatch {
  destinationPort?: number;
  prefixRanges: Cidr[];
  serverNames: string[];
  transportProtocol?: string;
  applicationProtocols: string[];
  sourcePrefixRanges: Cidr[];
  sourcePorts: number[];
}

export interface ConnectionFacts {
  destinationAddress: string;
  destinationPort: number;
  sourceAddress: string;
  sourcePort: number;
  /** "tls" or "raw_buffer", as tls_inspector reports it. */
  transportProtocol: string;
  serverName?: string;
  applicationProtocols: string[];
}

type Cidrs = { address_prefix?: string; prefix_len?: { value?: number } }[] | undefined;

export function compileChainMatch(m: Record<string, unknown> | undefined): ChainMatch {
  const cidrs = (list: Cidrs): Cidr[] => (list ?? []).map((r) => parseCidr(r.address_prefix ?? '', r.prefix_len?.value ?? 0));
  return {
    destinationPort: (m?.destination_port as { value?: number } | undefined)?.value,
    prefixRanges: cidrs(m?.prefix_ranges as Cidrs),
    serverNames: ((m?.server_names as string[] | undefined) ?? []).map((s) => s.toLowerCase()),
    transportProtocol: (m?.transport_protocol as string | undefined) || undefined,
    applicationProtocols: (m?.application_protocols as string[] | undefined) ?? [],
    sourcePrefixRanges: cidrs(m?.source_prefix_ranges as Cidrs),
    sourcePorts: (m?.source_ports as number[] | undefined) ?? [],
  };
}

/** Returns the index of the selected chain, or -1 (use the default filter chain). */
export function selectChain(chains: readonly ChainMatch[], c: ConnectionFacts): number {
  let cand = chains.map((_, i) => i);
  const step = (score: (m: ChainMatch) => number | undefined) => {
    // score: undefined = excluded, 0 = criterion empty, higher = more specific.
    let best = -1;
    const scored: [number, number][] = [];
    for (const i of cand) {
      const s = score(chains[i]!);
      if (s === undefined) continue;
      scored.push([i, s]);
      if (s > best) best = s;
    }
    cand = scored.filter(([, s]) => s === best).map(([i]) => i);
  };
  step((m) => (m.destinationPort === undefined ? 0 : m.destinationPort === c.destinationPort ? 1 : undefined));
  step((m) => cidrScore(m.prefixRanges, c.destinationAddress));
  step((m) => serverNameScore(m.serverNames, c.serverName));
  step((m) => (m.transportProtocol === undefined ? 0 : m.transportProtocol === c.transportProtocol ? 1 : undefined));
  step((m) => (m.applicationProtocols.length === 0 ? 0 : m.applicationProtocols.some((p) => c.applicationProtocols.includes(p)) ? 1 : undefined));
  step((m) => cidrScore(m.sourcePrefixRanges, c.sourceAddress));
  step((m) => (m.sourcePorts.length === 0 ? 0 : m.sourcePorts.includes(c.sourcePort) ? 1 : undefined));
  return cand.length ? cand[0]! : -1;
}

function cidrScore(ranges: Cidr[], addr: string): number | undefined {
  if (!ranges.length) return 0;
  let best: number | undefined;
  for (const r of ranges) if (cidrContains(r, addr) && (best === undefined || r.len + 1 > best)) best = r.len + 1;
  return best;
}

function serverNameScore(names: string[], sni: string | undefined): number | undefined {
  if (!names.length) return 0;
  if (!sni) return undefined;
  let best: number | undefined;
  for (const n of names) {
    // Exact beats any wildcard; a longer wildcard suffix beats a shorter one.
    const s = n === sni ? 1000 : n.startsWith('*.') && sni.endsWith(n.slice(1)) ? n.length : undefined;
    if (s !== undefined && (best === undefined || s > best)) best = s;
  }
  return best;
}

// Served listeners and their attached routes → GatewayPortIR: listeners on
// one port merge into one port, one virtual host per hostname served there.
// A request's host selects the most specific listener, and within it every
// route whose hostname covers the host, in precedence order — so each
// virtual host holds exactly the routes the spec says may answer it.
// TLS, TCP and UDP listeners become the port's streams (streams.ts); a UDP
// listener is a port of its own, beside a TCP-based one of the same number.
import type { GatewayPortIR, HttpRouteIR, VirtualHostIR } from '../../model/gateway.js';
import type { Attachment } from './attach.js';
import { isUdp, type GatewayState, type ListenerState } from './gateways.js';
import { l4Streams, tlsStreams, type CompiledStreamRoute, type Superseded } from './streams.js';
import { ANY_HOST, compareHostSpecificity, covers } from './hostnames.js';
import { compareEntries, type RankedEntry } from './precedence.js';

function listenerHost(l: ListenerState): string {
  return l.spec.hostname ?? ANY_HOST;
}

function created(a: Attachment): number {
  const t = a.route.route.metadata.creationTimestamp;
  return t === undefined ? Number.POSITIVE_INFINITY : Date.parse(t);
}

/**
 * The attachments whose hostnames may cover a host, in their original order.
 * Indexed because every hostname becomes a virtual host: scanning all
 * attachments per host is quadratic (5,000 routes with a hostname each took
 * 30 s). A host is covered by an equal hostname or by a wildcard; only the
 * few wildcard attachments are checked for every host.
 */
class AttachmentIndex {
  private readonly exact = new Map<string, number[]>();
  private readonly wild: number[] = [];

  constructor(readonly all: readonly Attachment[]) {
    all.forEach((a, i) => {
      let wildcard = false;
      for (const h of new Set(a.hostnames)) {
        if (h.startsWith('*')) wildcard = true;
        else {
          const list = this.exact.get(h);
          if (list) list.push(i);
          else this.exact.set(h, [i]);
        }
      }
      if (wildcard) this.wild.push(i);
    });
  }

  candidates(host: string): Attachment[] {
    const exact = this.exact.get(host) ?? [];
    const idx = this.wild.length ? [...new Set([...exact, ...this.wild])].sort((a, b) => a - b) : exact;
    return idx.map((i) => this.all[i]!);
  }
}

function virtualHost(host: string, owner: ListenerState, index: AttachmentIndex): VirtualHostIR {
  const ranked: RankedEntry[] = [];
  const seen = new Set<string>();
  for (const a of index.candidates(host)) {
    if (a.listener !== owner) continue;
    const { namespace, name } = a.route.route.metadata;
    if (seen.has(`${namespace}/${name}`)) continue; // two parentRefs to one listener: serve the route once
    // The most specific of the route's hostnames that covers this host.
    const hostname = a.hostnames.filter((h) => covers(h, host)).sort(compareHostSpecificity)[0];
    if (hostname === undefined) continue;
    seen.add(`${namespace}/${name}`);
    for (const entry of a.route.entries) ranked.push({ entry, hostname, created: created(a), namespace, name });
  }
  ranked.sort(compareEntries);
  const routes: HttpRouteIR[] = ranked.map((r) => structuredClone(r.entry.ir));
  return { name: host, domains: [host], routes };
}

/**
 * Ports of one Gateway, ascending (a UDP port after the TCP-based port of the
 * same number), from its served listeners and the routes attached to them.
 * Stream routes that an older route keeps from (part of) a listener are added
 * to `superseded`.
 */
export function buildPorts(
  state: GatewayState,
  attachments: readonly Attachment[],
  streamAttachments: readonly Attachment<CompiledStreamRoute>[] = [],
  superseded: Superseded[] = [],
): GatewayPortIR[] {
  const byPort = new Map<string, { port: number; udp: boolean; listeners: ListenerState[] }>();
  for (const l of state.listeners) {
    if (!l.usable) continue;
    const key = `${l.spec.port}/${isUdp(l.spec) ? 'udp' : 'tcp'}`;
    const entry = byPort.get(key) ?? { port: l.spec.port, udp: isUdp(l.spec), listeners: [] };
    entry.listeners.push(l);
    byPort.set(key, entry);
  }
  const streamsOfGateway = streamAttachments.filter((a) => a.gateway === state);
  const ports: GatewayPortIR[] = [];
  for (const { port, listeners: all } of [...byPort.values()].sort((a, b) => a.port - b.port || Number(a.udp) - Number(b.udp))) {
    const protocols = new Set(all.map((l) => l.spec.protocol));
    // Conflicts are settled (gateways.ts): a port holds HTTP, HTTPS and/or TLS, TCP, or UDP listeners.
    if (protocols.has('TCP') || protocols.has('UDP')) {
      const protocol = protocols.has('UDP') ? 'UDP' : 'TCP';
      ports.push({ port, protocol, virtualHosts: [], certificates: [], streams: l4Streams(all[0]!, streamsOfGateway, superseded) });
      continue;
    }
    const listeners = all.filter((l) => l.spec.protocol !== 'TLS');
    const listenerSet = new Set(listeners);
    const mine = attachments.filter((a) => a.gateway === state && listenerSet.has(a.listener));
    const hosts = [...new Set(mine.flatMap((a) => a.hostnames))].sort(compareHostSpecificity);
    const index = new AttachmentIndex(mine);
    const virtualHosts: VirtualHostIR[] = [];
    for (const host of hosts) {
      // The listener a request for this host reaches: the most specific one whose hostname covers it.
      const owner = listeners.filter((l) => covers(listenerHost(l), host)).sort((a, b) => compareHostSpecificity(listenerHost(a), listenerHost(b)))[0];
      if (owner === undefined) continue;
      const vh = virtualHost(host, owner, index);
      if (vh.routes.length > 0) virtualHosts.push(vh);
    }
    // A listener's hostname that no route claims must still not fall through
    // to a wider virtual host (another listener's): an empty one answers 404.
    for (const l of listeners) {
      const own = listenerHost(l);
      if (own === ANY_HOST || virtualHosts.some((v) => v.name === own)) continue;
      if (virtualHosts.some((v) => covers(v.name, own))) virtualHosts.push({ name: own, domains: [own], routes: [] });
    }
    virtualHosts.sort((a, b) => compareHostSpecificity(a.name, b.name));
    const protocol = protocols.has('HTTP') ? 'HTTP' : protocols.has('HTTPS') ? 'HTTPS' : 'TLS';
    const certificates =
      protocol === 'HTTPS'
        ? [...listeners]
            .sort((a, b) => compareHostSpecificity(listenerHost(a), listenerHost(b)))
            .map((l) => ({ hostnames: [l.spec.hostname ?? ''], certs: l.certs.map((c) => ({ ...c })) }))
        : [];
    const streams = protocols.has('TLS') ? tlsStreams(state.gateway, all, streamsOfGateway, listeners.map(listenerHost), superseded) : [];
    ports.push({ port, protocol, virtualHosts, certificates, streams });
  }
  return ports;
}

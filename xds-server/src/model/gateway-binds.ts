// Ports that two gateways (Gateway API Gateways, the Ingress gateway) would
// both bind on the node proxy. Envoy binds listeners with SO_REUSEPORT on
// Linux, so two listeners on one address:port would not fail: the kernel
// would spread connections between them at random. Each overlapping port is
// therefore given to one gateway, in the order the caller ranks them, and the
// others lose that port with an error naming the owner.
import type { GatewayIR, GatewayPortIR } from './gateway.js';

export interface BindConflict {
  /** The gateway that loses the port. */
  gateway: GatewayIR;
  port: number;
  transport: 'TCP' | 'UDP';
  /** The gateway that keeps it, and the address the two overlap on. */
  owner: GatewayIR;
  address: string;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

function transportOf(p: GatewayPortIR): 'TCP' | 'UDP' {
  return p.protocol === 'UDP' ? 'UDP' : 'TCP';
}

function addressesOf(gw: GatewayIR): string[] {
  return gw.addresses.length ? gw.addresses : ['0.0.0.0'];
}

// A wildcard bind covers every address of the node (and `::` covers IPv4 too
// on a dual-stack socket), so it overlaps any other bind of the same port.
function overlap(a: string, b: string): boolean {
  return a === b || WILDCARDS.has(a) || WILDCARDS.has(b);
}

/**
 * `gateways` in rank order (the first keeps a contested port). Returns them
 * without the ports they lose (a gateway left without ports is dropped) and
 * one conflict per lost port.
 */
export function resolveBindConflicts(gateways: readonly GatewayIR[]): { gateways: GatewayIR[]; conflicts: BindConflict[] } {
  const claimed: { gateway: GatewayIR; address: string; port: number; transport: 'TCP' | 'UDP' }[] = [];
  const conflicts: BindConflict[] = [];
  const out: GatewayIR[] = [];
  for (const gw of gateways) {
    const addresses = addressesOf(gw);
    const ports = gw.ports.filter((p) => {
      const transport = transportOf(p);
      for (const address of addresses) {
        const other = claimed.find((c) => c.port === p.port && c.transport === transport && overlap(c.address, address));
        if (other) {
          conflicts.push({ gateway: gw, port: p.port, transport, owner: other.gateway, address: other.address === address ? address : `${other.address} and ${address}` });
          return false;
        }
      }
      return true;
    });
    for (const p of ports) for (const address of addresses) claimed.push({ gateway: gw, address, port: p.port, transport: transportOf(p) });
    if (ports.length === gw.ports.length) out.push(gw);
    else if (ports.length > 0) out.push({ ...gw, ports });
  }
  return { gateways: out, conflicts };
}

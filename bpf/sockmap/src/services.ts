// Which service address:ports the programs steer, from the mesh model (the
// same MeshModel the xds-server translates into listeners). Pure; what cannot
// be steered is reported and skipped, never silently dropped.
import { isIPv4, isIPv6 } from 'node:net';
import type { MeshModel } from '../../../xds-server/src/model/types.js';
import type { ServiceKey } from './structs.js';

export interface SkippedServicePort {
  /** namespace/name */
  service: string;
  vip: string;
  port: number;
  reason: string;
}

export interface ServiceSelection {
  keys: ServiceKey[];
  skipped: SkippedServicePort[];
}

/**
 * Every (VIP, TCP port) of every service. Skips, with the reason: ports
 * outside 1..65535, non-TCP ports (UDP/SCTP are not steered: connect4 only
 * redirects TCP), and VIPs of a family this node's steering lacks (native
 * IPv6: the capture listener is IPv4).
 */
export function serviceKeys(model: MeshModel): ServiceSelection {
  const keys = new Map<string, ServiceKey>();
  const skipped: SkippedServicePort[] = [];
  for (const svc of model.services) {
    const service = `${svc.namespace}/${svc.name}`;
    for (const vip of svc.vips) {
      for (const p of svc.ports) {
        const skip = (reason: string) => skipped.push({ service, vip, port: p.port, reason });
        if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) skip(`invalid port ${p.port}`);
        else if (p.protocol !== 'TCP') skip(`protocol ${p.protocol} is not steered (TCP only)`);
        else if (isIPv6(vip)) skip('IPv6 VIP: not steered yet (the capture listener is IPv4; connect6 steers IPv4-mapped destinations only)');
        else if (!isIPv4(vip)) skip(`not an IP address: ${vip}`);
        else keys.set(`${vip}:${p.port}`, { address: vip, port: p.port });
      }
    }
  }
  return { keys: [...keys.values()], skipped };
}

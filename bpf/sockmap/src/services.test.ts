import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MeshModel, Service, ServicePort } from '../../../xds-server/src/model/types.js';
import { serviceKeys } from './services.js';

const port = (p: number, protocol: ServicePort['protocol'] = 'TCP'): ServicePort => ({ name: `p${p}`, port: p, protocol, appProtocol: 'tcp' });
const svc = (name: string, vips: string[], ports: ServicePort[]): Service => ({
  namespace: 'default',
  name,
  hostname: `${name}.default.svc.cluster.local`,
  vips,
  ports,
  endpoints: [],
  lbPolicy: 'ROUND_ROBIN',
  source: { kind: 'Service', namespace: 'default', name },
});
const model = (services: Service[]): MeshModel => ({ trustDomain: 'cluster.local', clusterDomain: 'cluster.local', services });

describe('serviceKeys (mesh model → steered VIP:ports)', () => {
  it('takes every TCP port of every IPv4 VIP, once', () => {
    const r = serviceKeys(model([svc('web', ['10.96.0.20'], [port(80), port(443)]), svc('dup', ['10.96.0.20'], [port(80)]), svc('headless', [], [port(80)])]));
    assert.deepEqual(r.keys, [
      { address: '10.96.0.20', port: 80 },
      { address: '10.96.0.20', port: 443 },
    ]);
    assert.deepEqual(r.skipped, []);
  });

  it('reports and skips invalid ports, non-TCP ports and IPv6 VIPs', () => {
    const r = serviceKeys(model([svc('bad', ['10.96.0.21', 'fd00::21'], [port(0), port(70000), port(53, 'UDP'), port(8080)])]));
    assert.deepEqual(r.keys, [{ address: '10.96.0.21', port: 8080 }]);
    assert.deepEqual(
      r.skipped.map((s) => `${s.vip}:${s.port} ${s.reason}`),
      [
        '10.96.0.21:0 invalid port 0',
        '10.96.0.21:70000 invalid port 70000',
        '10.96.0.21:53 protocol UDP is not steered (TCP only)',
        'fd00::21:0 invalid port 0',
        'fd00::21:70000 invalid port 70000',
        'fd00::21:53 protocol UDP is not steered (TCP only)',
        'fd00::21:8080 IPv6 VIP: not steered yet (the capture listener is IPv4; connect6 steers IPv4-mapped destinations only)',
      ],
    );
    assert.ok(r.skipped.every((s) => s.service === 'default/bad'));
  });
});

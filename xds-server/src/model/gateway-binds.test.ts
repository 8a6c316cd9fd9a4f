import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GatewayIR, GatewayPortIR } from './gateway.js';
import { resolveBindConflicts } from './gateway-binds.js';
import type { MeshModel } from './types.js';
import { validateModel } from './validate.js';

const port = (n: number, protocol: GatewayPortIR['protocol'] = 'HTTP'): GatewayPortIR => ({ port: n, protocol, virtualHosts: [], certificates: [], streams: [] });
const gw = (name: string, addresses: string[], ...ports: GatewayPortIR[]): GatewayIR => ({
  namespace: 'default',
  name,
  source: { kind: 'Gateway', namespace: 'default', name },
  addresses,
  ports,
});

describe('resolveBindConflicts', () => {
  it('keeps gateways on distinct addresses or ports', () => {
    const input = [gw('a', ['10.0.0.1'], port(80)), gw('b', ['10.0.0.2'], port(80)), gw('c', ['0.0.0.0'], port(8080))];
    const r = resolveBindConflicts(input);
    assert.deepEqual(r.conflicts, []);
    assert.deepEqual(r.gateways, input);
  });

  it('gives a port bound twice on one address to the first gateway only', () => {
    const a = gw('a', ['10.0.0.1'], port(80), port(443, 'HTTPS'));
    const b = gw('b', ['10.0.0.1'], port(80), port(8443, 'HTTPS'));
    const r = resolveBindConflicts([a, b]);
    assert.deepEqual(r.gateways.map((g) => [g.name, g.ports.map((p) => p.port)]), [['a', [80, 443]], ['b', [8443]]]);
    assert.deepEqual(r.conflicts.map((c) => [c.gateway.name, c.port, c.owner.name, c.address]), [['b', 80, 'a', '10.0.0.1']]);
  });

  it('treats a wildcard address as overlapping every address, in both orders', () => {
    assert.deepEqual(resolveBindConflicts([gw('a', ['0.0.0.0'], port(80)), gw('b', ['127.0.0.1'], port(80))]).conflicts.map((c) => c.gateway.name), ['b']);
    assert.deepEqual(resolveBindConflicts([gw('a', ['127.0.0.1'], port(80)), gw('b', [], port(80))]).conflicts.map((c) => [c.gateway.name, c.address]), [['b', '127.0.0.1 and 0.0.0.0']]);
    assert.equal(resolveBindConflicts([gw('a', ['::'], port(80)), gw('b', ['10.0.0.1'], port(80))]).conflicts.length, 1);
  });

  it('lets TCP and UDP share a port number, and drops a gateway left without ports', () => {
    const r = resolveBindConflicts([gw('a', ['0.0.0.0'], port(53, 'TCP')), gw('b', ['0.0.0.0'], port(53, 'UDP')), gw('c', ['0.0.0.0'], port(53, 'TLS'))]);
    assert.deepEqual(r.gateways.map((g) => g.name), ['a', 'b']);
    assert.deepEqual(r.conflicts.map((c) => [c.gateway.name, c.transport, c.owner.name]), [['c', 'TCP', 'a']]);
  });
});

describe('validateModel: gateways', () => {
  const model = (gateways: GatewayIR[]): MeshModel => ({ trustDomain: 'td', clusterDomain: 'cluster.local', services: [], gateways });
  const messages = (m: MeshModel) => validateModel(m).map((e) => `${e.path}: ${e.message}`);

  it('accepts gateways the translators produce', () => {
    assert.deepEqual(messages(model([gw('a', ['10.0.0.1'], port(80), port(443, 'HTTPS'), port(53, 'UDP')), gw('b', ['10.0.0.2'], port(80))])), []);
  });

  it('reports a port bound twice, a bad address or port, and a duplicate gateway, with their paths', () => {
    assert.deepEqual(messages(model([gw('a', ['0.0.0.0'], port(80)), gw('b', ['127.0.0.1'], port(80))])), [
      'gateways[1].ports: TCP port 80 on 0.0.0.0 and 127.0.0.1 is also bound by gateway default/a',
    ]);
    assert.deepEqual(messages(model([gw('a', ['not-an-ip'], port(0), port(8080), port(8080, 'HTTPS'))])), [
      'gateways[0].addresses[0]: "not-an-ip" is not an IP address',
      'gateways[0].ports[0].port: 0 is not a port (1-65535)',
      'gateways[0].ports[2].port: TCP/8080 appears twice in one gateway',
    ]);
    assert.deepEqual(messages(model([gw('a', ['10.0.0.1'], port(80)), gw('a', ['10.0.0.2'], port(81))])), ['gateways[1]: duplicate gateway default/a (also gateways[0])']);
  });
});

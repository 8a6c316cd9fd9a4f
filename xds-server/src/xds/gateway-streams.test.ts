// Gateway streams beyond the goldens: the weight arithmetic of refused
// shares, naming of UDP listeners beside TCP ones, and what a terminating
// chain offers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMessage } from '../../../api/src/any.js';
import type { GatewayIR, GatewayPortIR, StreamRouteIR } from '../model/gateway.js';
import { gatewayResources } from './gateways.js';
import { streamChain, streamClusters } from './gateway-streams.js';
import { INVALID_BACKEND_CLUSTER } from './names.js';

const source = { kind: 'TCPRoute', namespace: 'default', name: 'r' };
const stream = (extra: Partial<StreamRouteIR> = {}): StreamRouteIR => ({ name: 'default/r', source, hostnames: [], backends: [{ cluster: 'a', weight: 3 }, { cluster: 'b', weight: 1 }], ...extra });
const port = (p: Partial<GatewayPortIR>): GatewayPortIR => ({ port: 53, protocol: 'TCP', virtualHosts: [], certificates: [], streams: [stream()], ...p });
const gw = (ports: GatewayPortIR[]): GatewayIR => ({ namespace: 'default', name: 'edge', source: { kind: 'Gateway', namespace: 'default', name: 'edge' }, addresses: ['192.0.2.1'], ports });

describe('gateway streams', () => {
  it('gives the refused share back as the integer weight the route had, leaves weight 0 out, and refuses all without weight', () => {
    // 3 + 1 valid, 4 invalid: the invalid share is one half.
    assert.deepEqual(streamClusters(stream({ invalidBackendShare: 0.5 })), [
      { name: 'a', weight: 3 },
      { name: 'b', weight: 1 },
      { name: INVALID_BACKEND_CLUSTER, weight: 4 },
    ]);
    assert.deepEqual(streamClusters(stream({ backends: [{ cluster: 'a', weight: 1 }, { cluster: 'z', weight: 0 }] })), [{ name: 'a', weight: 1 }]);
    assert.deepEqual(streamClusters(stream({ backends: [{ cluster: 'z', weight: 0 }] })), [{ name: INVALID_BACKEND_CLUSTER, weight: 1 }]);
    assert.deepEqual(streamClusters(stream({ backends: [], invalidBackendShare: 1 })), [{ name: INVALID_BACKEND_CLUSTER, weight: 1 }]);
  });

  it('names a UDP listener apart from the TCP listener of the same port, and emits neither for a port without streams', () => {
    const names = gatewayResources(gw([port({}), port({ protocol: 'UDP', streams: [stream({ backends: [{ cluster: 'u', weight: 1 }] })] }), port({ port: 54, streams: [] }), port({ port: 54, protocol: 'UDP', streams: [] })])).map((r) => r.name);
    assert.deepEqual(names, ['gateway|default/edge|192.0.2.1:53', 'gateway|default/edge|192.0.2.1:53/udp']);
  });

  it('terminates TLS without offering ALPN on stream chains, and names the chain after its stream', () => {
    const cert = { secret: 'default/c', certChainPem: 'x', privateKeyPem: 'y' };
    const chain = streamChain('l', stream({ hostnames: ['db.example.com'], terminate: [cert] }));
    assert.equal(chain.name, 'default/r');
    assert.deepEqual(chain.filter_chain_match, { server_names: ['db.example.com'] });
    const tls = decodeMessage('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', (chain.transport_socket!.typed_config as { value: Uint8Array }).value);
    const common = tls.common_tls_context as { alpn_protocols?: string[]; tls_certificate_sds_secret_configs: { name: string }[] };
    assert.deepEqual(common.alpn_protocols ?? [], []);
    assert.deepEqual(common.tls_certificate_sds_secret_configs.map((s) => s.name), ['default/c']);
    const secrets = gatewayResources(gw([port({ port: 443, protocol: 'TLS', streams: [stream({ hostnames: ['db.example.com'], terminate: [cert] })] })])).filter((r) => r.name === 'default/c');
    assert.equal(secrets.length, 1, 'the terminating stream brings its Secret');
  });
});

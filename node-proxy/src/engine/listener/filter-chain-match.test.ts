import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileChainMatch, selectChain, type ConnectionFacts } from './filter-chain-match.js';

const facts = (f: Partial<ConnectionFacts>): ConnectionFacts => ({
  destinationAddress: '10.96.0.10',
  destinationPort: 80,
  sourceAddress: '10.0.0.1',
  sourcePort: 40000,
  transportProtocol: 'raw_buffer',
  applicationProtocols: [],
  ...f,
});
const cidr = (p: string, n: number) => ({ address_prefix: p, prefix_len: { value: n } });

describe('filter chain selection (Envoy order: port, IP, SNI, transport, ALPN, source)', () => {
  it('a chain naming the destination port beats one that leaves it empty, and a non-matching port excludes', () => {
    const chains = [compileChainMatch({}), compileChainMatch({ destination_port: { value: 80 } }), compileChainMatch({ destination_port: { value: 443 } })];
    assert.equal(selectChain(chains, facts({})), 1);
    assert.equal(selectChain(chains, facts({ destinationPort: 8080 })), 0);
  });

  it('the longest destination prefix wins; no match falls to the empty criterion or -1', () => {
    const chains = [compileChainMatch({ prefix_ranges: [cidr('10.0.0.0', 8)] }), compileChainMatch({ prefix_ranges: [cidr('10.96.0.0', 16)] })];
    assert.equal(selectChain(chains, facts({})), 1);
    assert.equal(selectChain(chains, facts({ destinationAddress: '10.1.2.3' })), 0);
    assert.equal(selectChain(chains, facts({ destinationAddress: '192.168.1.1' })), -1);
  });

  it('IPv6 prefixes match IPv6 destinations only', () => {
    const chains = [compileChainMatch({ prefix_ranges: [cidr('fd00::', 8)] })];
    assert.equal(selectChain(chains, facts({ destinationAddress: 'fd00::1' })), 0);
    assert.equal(selectChain(chains, facts({ destinationAddress: '10.0.0.1' })), -1);
  });

  it('server names: exact beats wildcard, longer wildcard beats shorter; no SNI excludes chains that name one', () => {
    const chains = [
      compileChainMatch({ server_names: ['*.example.com'] }),
      compileChainMatch({ server_names: ['*.api.example.com'] }),
      compileChainMatch({ server_names: ['www.api.example.com'] }),
      compileChainMatch({}),
    ];
    assert.equal(selectChain(chains, facts({ serverName: 'www.api.example.com' })), 2);
    assert.equal(selectChain(chains, facts({ serverName: 'v1.api.example.com' })), 1);
    assert.equal(selectChain(chains, facts({ serverName: 'shop.example.com' })), 0);
    assert.equal(selectChain(chains, facts({})), 3);
  });

  it('destination port is decided before server name (a port match with any SNI beats an SNI match on another port)', () => {
    const chains = [compileChainMatch({ server_names: ['a.example.com'] }), compileChainMatch({ destination_port: { value: 80 } })];
    assert.equal(selectChain(chains, facts({ serverName: 'a.example.com' })), 1);
  });

  it('transport protocol and ALPN', () => {
    const chains = [compileChainMatch({ transport_protocol: 'tls', application_protocols: ['h2'] }), compileChainMatch({ transport_protocol: 'tls' }), compileChainMatch({ transport_protocol: 'raw_buffer' })];
    assert.equal(selectChain(chains, facts({ transportProtocol: 'tls', applicationProtocols: ['h2', 'http/1.1'] })), 0);
    assert.equal(selectChain(chains, facts({ transportProtocol: 'tls', applicationProtocols: ['http/1.1'] })), 1);
    assert.equal(selectChain(chains, facts({})), 2);
  });

  it('source prefix and source ports narrow last', () => {
    const chains = [compileChainMatch({ source_prefix_ranges: [cidr('10.0.0.0', 24)] }), compileChainMatch({ source_prefix_ranges: [cidr('10.0.0.0', 24)], source_ports: [40000] })];
    assert.equal(selectChain(chains, facts({})), 1);
    assert.equal(selectChain(chains, facts({ sourcePort: 1 })), 0);
    assert.equal(selectChain(chains, facts({ sourceAddress: '10.0.1.1' })), -1);
  });
});

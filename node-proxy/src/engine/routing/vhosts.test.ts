import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VirtualHost } from '../../../../api/src/generated/envoy/config/route/v3/VirtualHost.js';
import { ConfigRejected } from './fields.js';
import { req, table } from './test-helpers.js';

const vh = (name: string, domains: string[]): VirtualHost => ({
  name,
  domains,
  routes: [{ match: { prefix: '/' }, direct_response: { status: 200 } }],
});

function vhostFor(authority: string, hosts: VirtualHost[], ignorePort = false): string | undefined {
  const d = table({ virtual_hosts: hosts, ignore_port_in_host_matching: ignorePort }).route(req({ authority }));
  return d.kind === 'none' ? undefined : d.vhost;
}

const all = [
  vh('exact', ['api.foo.com']),
  vh('suffix', ['*.foo.com']),
  vh('longer-suffix', ['*-bar.foo.com']),
  vh('prefix', ['api.*']),
  vh('longer-prefix', ['api.foo.*']),
  vh('default', ['*']),
];

describe('virtual host selection', () => {
  it('prefers an exact domain over any wildcard', () => {
    assert.equal(vhostFor('api.foo.com', all), 'exact');
  });

  it('then the longest suffix wildcard', () => {
    assert.equal(vhostFor('x.foo.com', all), 'suffix');
    assert.equal(vhostFor('baz-bar.foo.com', all), 'longer-suffix');
  });

  it('prefers a suffix wildcard over a prefix wildcard, then the longest prefix', () => {
    assert.equal(vhostFor('api.foo.com.evil', all), 'longer-prefix');
    assert.equal(vhostFor('api.bar.org', all), 'prefix');
    assert.equal(vhostFor('api.x.foo.com', all), 'suffix');
  });

  it('falls back to "*"', () => {
    assert.equal(vhostFor('other.org', all), 'default');
  });

  it('a wildcard needs at least one character in its place', () => {
    const hosts = [vh('suffix', ['*.foo.com']), vh('prefix', ['foo.*'])];
    assert.equal(vhostFor('.foo.com', hosts), undefined);
    assert.equal(vhostFor('foo.', hosts), undefined);
    assert.equal(vhostFor('a.foo.com', hosts), 'suffix');
  });

  it('is case-insensitive on both sides', () => {
    assert.equal(vhostFor('API.Foo.COM', [vh('exact', ['Api.foo.com'])]), 'exact');
    assert.equal(vhostFor('X.FOO.COM', [vh('suffix', ['*.Foo.com'])]), 'suffix');
  });

  it('no domain matches: no route', () => {
    assert.equal(vhostFor('b.org', [vh('a', ['a.org'])]), undefined);
  });

  it('matches the authority with its port: domains carry ports when clients send them', () => {
    const hosts = [vh('plain', ['example.com']), vh('with-port', ['example.com:8080'])];
    assert.equal(vhostFor('example.com:8080', hosts), 'with-port');
    assert.equal(vhostFor('example.com', hosts), 'plain');
    // As in Envoy, a port-less domain does not match an authority with a port.
    assert.equal(vhostFor('example.com:9090', hosts), undefined);
    assert.equal(vhostFor('example.com:9090', [...hosts, vh('wild', ['example.com:*'])]), 'wild');
  });

  it('ignore_port_in_host_matching strips the authority port before lookup', () => {
    assert.equal(vhostFor('example.com:9090', [vh('plain', ['example.com'])], true), 'plain');
    assert.equal(vhostFor('[::1]:9090', [vh('v6', ['[::1]'])], true), 'v6');
  });

  it('rejects duplicate domains and a second "*"', () => {
    assert.throws(() => table({ virtual_hosts: [vh('a', ['x.com']), vh('b', ['X.com'])] }), ConfigRejected);
    assert.throws(() => table({ virtual_hosts: [vh('a', ['*.x.com']), vh('b', ['*.x.com'])] }), /Duplicate entry of domain \*?\.?x\.com|Duplicate/);
    assert.throws(() => table({ virtual_hosts: [vh('a', ['*']), vh('b', ['*'])] }), /single wildcard/);
  });
});

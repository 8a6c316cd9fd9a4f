import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RequestHead } from '../types.js';
import { ConfigRejected } from '../routing/fields.js';
import { compileRbac } from './engine.js';
import type { RbacConnection } from './matchers.js';
import { decoded } from '../testing/decoded.js';

const decodedRbac = (m: object, fullName = 'envoy.config.rbac.v3.RBAC') => decoded(fullName, m);

type Json = Record<string, unknown>;
const rbac = (action: 'ALLOW' | 'DENY' | 'LOG', policies: Record<string, { permissions: Json[]; principals: Json[] }>) =>
  compileRbac(decodedRbac({ action, policies }));
const only = (permission: Json, principal: Json = { any: true }) => ({ permissions: [permission], principals: [principal] });

const conn = (over: Partial<RbacConnection> = {}): RbacConnection => ({
  sourceAddress: '10.0.0.5',
  sourcePort: 40000,
  destinationAddress: '10.0.1.1',
  destinationPort: 8080,
  ...over,
});
const request = (over: Partial<RequestHead> = {}): RequestHead => ({
  method: 'GET',
  scheme: 'http',
  authority: 'svc',
  path: '/',
  headers: {},
  remoteAddress: '10.0.0.5:40000',
  ...over,
});
const spiffe = (id: string): RbacConnection['tls'] => ({ peer: { uri: [id], dns: [], subject: 'CN=client' } });

describe('RBAC actions', () => {
  it('no rules allows everything', () => {
    assert.deepEqual(compileRbac(undefined).network(conn()), { allowed: true });
    assert.equal(compileRbac(null).http(request(), conn()).allowed, true);
  });

  it('ALLOW allows iff a policy matches, and names it', () => {
    const e = rbac('ALLOW', { 'port-80': only({ destination_port: 80 }) });
    assert.deepEqual(e.network(conn({ destinationPort: 80 })), { allowed: true, policy: 'port-80' });
    assert.deepEqual(e.network(conn({ destinationPort: 81 })), { allowed: false });
  });

  it('ALLOW with no policies denies everything', () => {
    assert.equal(compileRbac(decodedRbac({ action: 'ALLOW' })).network(conn()).allowed, false);
  });

  it('DENY denies iff a policy matches, and names it', () => {
    const e = rbac('DENY', { 'no-admin': only({ url_path: { path: { prefix: '/admin' } } }) });
    assert.deepEqual(e.http(request({ path: '/admin/x' }), conn()), { allowed: false, policy: 'no-admin' });
    assert.deepEqual(e.http(request({ path: '/public' }), conn()), { allowed: true });
  });

  it('LOG always allows and reports the match', () => {
    const e = rbac('LOG', { everything: only({ any: true }) });
    assert.deepEqual(e.network(conn()), { allowed: true, policy: 'everything' });
  });

  it('the first matching policy in name order is the effective one', () => {
    const e = rbac('DENY', { 'z-last': only({ any: true }), 'a-first': only({ any: true }) });
    assert.equal(e.network(conn()).policy, 'a-first');
  });

  it('a policy needs a matching permission and a matching principal', () => {
    const e = rbac('ALLOW', {
      p: { permissions: [{ destination_port: 1 }, { destination_port: 8080 }], principals: [{ source_ip: { address_prefix: '10.9.0.0', prefix_len: { value: 16 } } }] },
    });
    assert.equal(e.network(conn()).allowed, false);
    assert.equal(e.network(conn({ sourceAddress: '10.9.3.4' })).allowed, true);
    assert.equal(e.network(conn({ sourceAddress: '10.9.3.4', destinationPort: 2 })).allowed, false);
  });

  it('refuses conditions', () => {
    assert.throws(
      () => compileRbac(decodedRbac({ policies: { p: { permissions: [{ any: true }], principals: [{ any: true }], condition: { const_expr: { bool_value: true } } } } })),
      ConfigRejected,
    );
  });
});

describe('RBAC permissions', () => {
  const allows = (permission: Json, c: Partial<RbacConnection> = {}, r?: Partial<RequestHead>) => {
    const e = rbac('ALLOW', { p: only(permission) });
    return r ? e.http(request(r), conn(c)).allowed : e.network(conn(c)).allowed;
  };

  it('destination_ip (IPv4 and IPv6)', () => {
    const v4 = { destination_ip: { address_prefix: '10.0.1.0', prefix_len: { value: 24 } } };
    assert.equal(allows(v4), true);
    assert.equal(allows(v4, { destinationAddress: '10.0.2.1' }), false);
    const v6 = { destination_ip: { address_prefix: '2001:db8::', prefix_len: { value: 64 } } };
    assert.equal(allows(v6, { destinationAddress: '2001:db8::42' }), true);
    assert.equal(allows(v6, { destinationAddress: '2001:db8:0:1::42' }), false);
    assert.equal(allows(v6), false);
  });

  it('destination_port and destination_port_range [start, end)', () => {
    assert.equal(allows({ destination_port: 8080 }), true);
    assert.equal(allows({ destination_port: 8081 }), false);
    const range = { destination_port_range: { start: 8000, end: 8080 } };
    assert.equal(allows(range, { destinationPort: 8000 }), true);
    assert.equal(allows(range, { destinationPort: 8079 }), true);
    assert.equal(allows(range, { destinationPort: 8080 }), false);
  });

  it('requested_server_name', () => {
    const p = { requested_server_name: { suffix: '.example.com' } };
    assert.equal(allows(p, { serverName: 'api.example.com' }), true);
    assert.equal(allows(p, { serverName: 'api.other.com' }), false);
    assert.equal(allows(p), false);
  });

  it('header and url_path on requests; never on connections', () => {
    const h = { header: { name: 'x-team', exact_match: 'blue' } };
    assert.equal(allows(h, {}, { headers: { 'x-team': 'blue' } }), true);
    assert.equal(allows(h, {}, { headers: { 'x-team': 'red' } }), false);
    assert.equal(allows(h), false);
    assert.equal(allows({ header: { name: ':method', exact_match: 'POST' } }, {}, { method: 'POST' }), true);
    const path = { url_path: { path: { exact: '/ok' } } };
    assert.equal(allows(path, {}, { path: '/ok?x=1' }), true);
    assert.equal(allows(path, {}, { path: '/ok/no' }), false);
    assert.equal(allows(path), false);
  });

  it('and_rules, or_rules, not_rule', () => {
    const and = { and_rules: { rules: [{ destination_port: 8080 }, { destination_ip: { address_prefix: '10.0.1.1', prefix_len: { value: 32 } } }] } };
    assert.equal(allows(and), true);
    assert.equal(allows(and, { destinationAddress: '10.0.1.2' }), false);
    const or = { or_rules: { rules: [{ destination_port: 1 }, { destination_port: 8080 }] } };
    assert.equal(allows(or), true);
    assert.equal(allows(or, { destinationPort: 2 }), false);
    assert.equal(allows({ not_rule: { destination_port: 8080 } }), false);
    assert.equal(allows({ not_rule: { destination_port: 8080 } }, { destinationPort: 9 }), true);
  });
});

describe('RBAC principals', () => {
  const allows = (principal: Json, c: Partial<RbacConnection> = {}, r?: Partial<RequestHead>) => {
    const e = rbac('ALLOW', { p: only({ any: true }, principal) });
    return r ? e.http(request(r), conn(c)).allowed : e.network(conn(c)).allowed;
  };

  it('authenticated principal_name matches the URI SAN', () => {
    const p = { authenticated: { principal_name: { exact: 'spiffe://cluster.local/ns/a/sa/web' } } };
    assert.equal(allows(p, { tls: spiffe('spiffe://cluster.local/ns/a/sa/web') }), true);
    assert.equal(allows(p, { tls: spiffe('spiffe://cluster.local/ns/a/sa/other') }), false);
    assert.equal(allows(p), false);
  });

  it('authenticated tries URI SANs, then DNS SANs, then the subject', () => {
    const peer = { uri: ['spiffe://x/u'], dns: ['db.internal'], subject: 'CN=client,O=acme' };
    assert.equal(allows({ authenticated: { principal_name: { exact: 'db.internal' } } }, { tls: { peer } }), true);
    assert.equal(allows({ authenticated: { principal_name: { exact: 'CN=client,O=acme' } } }, { tls: { peer } }), true);
    assert.equal(allows({ authenticated: { principal_name: { prefix: 'spiffe://x/' } } }, { tls: { peer } }), true);
  });

  it('authenticated without principal_name needs TLS only', () => {
    assert.equal(allows({ authenticated: {} }, { tls: {} }), true);
    assert.equal(allows({ authenticated: {} }), false);
  });

  it('source_ip and direct_remote_ip use the connection peer; remote_ip the request remote address', () => {
    const range = { address_prefix: '192.168.0.0', prefix_len: { value: 16 } };
    assert.equal(allows({ source_ip: range }, { sourceAddress: '192.168.3.3' }), true);
    assert.equal(allows({ direct_remote_ip: range }, { sourceAddress: '192.168.3.3' }), true);
    assert.equal(allows({ direct_remote_ip: range }), false);
    // remote_ip: the x-forwarded-for derived address of the request, not the proxy hop.
    assert.equal(allows({ remote_ip: range }, { sourceAddress: '10.0.0.5' }, { remoteAddress: '192.168.7.7:1234' }), true);
    assert.equal(allows({ direct_remote_ip: range }, { sourceAddress: '10.0.0.5' }, { remoteAddress: '192.168.7.7:1234' }), false);
    assert.equal(allows({ remote_ip: range }, { sourceAddress: '192.168.1.1' }), true);
  });

  it('IPv6 peers', () => {
    const range = { address_prefix: 'fd00::', prefix_len: { value: 8 } };
    assert.equal(allows({ remote_ip: range }, {}, { remoteAddress: '[fd12::1]:443' }), true);
    assert.equal(allows({ remote_ip: range }, {}, { remoteAddress: '[fe12::1]:443' }), false);
    assert.equal(allows({ direct_remote_ip: range }, { sourceAddress: 'fd00::9' }), true);
  });

  it('header and url_path principals', () => {
    assert.equal(allows({ header: { name: 'x-user', present_match: true } }, {}, { headers: { 'x-user': 'u' } }), true);
    assert.equal(allows({ header: { name: 'x-user', present_match: true } }, {}, {}), false);
    assert.equal(allows({ url_path: { path: { prefix: '/api' } } }, {}, { path: '/api/x' }), true);
  });

  it('and_ids, or_ids, not_id', () => {
    const web = { authenticated: { principal_name: { exact: 'spiffe://x/web' } } };
    const lan = { source_ip: { address_prefix: '10.0.0.0', prefix_len: { value: 8 } } };
    assert.equal(allows({ and_ids: { ids: [web, lan] } }, { tls: spiffe('spiffe://x/web') }), true);
    assert.equal(allows({ and_ids: { ids: [web, lan] } }, { tls: spiffe('spiffe://x/web'), sourceAddress: '11.0.0.1' }), false);
    assert.equal(allows({ or_ids: { ids: [web, lan] } }, { sourceAddress: '11.0.0.1', tls: spiffe('spiffe://x/web') }), true);
    assert.equal(allows({ or_ids: { ids: [web, lan] } }, { sourceAddress: '11.0.0.1' }), false);
    assert.equal(allows({ not_id: web }, { tls: spiffe('spiffe://x/web') }), false);
    assert.equal(allows({ not_id: web }, { tls: spiffe('spiffe://x/db') }), true);
  });

  it('DENY with not_id: deny everyone but one identity', () => {
    const e = rbac('DENY', { 'only-web': only({ any: true }, { not_id: { authenticated: { principal_name: { exact: 'spiffe://x/web' } } } }) });
    assert.equal(e.network(conn({ tls: spiffe('spiffe://x/web') })).allowed, true);
    assert.deepEqual(e.network(conn({ tls: spiffe('spiffe://x/db') })), { allowed: false, policy: 'only-web' });
    assert.equal(e.network(conn()).allowed, false);
  });
});

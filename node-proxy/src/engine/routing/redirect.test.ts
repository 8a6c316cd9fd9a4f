import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RedirectAction } from '../../../../api/src/generated/envoy/config/route/v3/RedirectAction.js';
import type { RouteMatch } from '../../../../api/src/generated/envoy/config/route/v3/RouteMatch.js';
import type { RequestHead } from '../types.js';
import type { RouteDirectDecision } from './actions.js';
import { ConfigRejected } from './fields.js';
import { req, routes } from './test-helpers.js';

function redirect(action: RedirectAction, r: Partial<RequestHead> = {}, match: RouteMatch = { prefix: '/' }) {
  const d = routes([{ name: 'r', match, redirect: action, response_headers_to_add: [{ header: { key: 'x-r', value: '1' } }] }]).route(req(r));
  if (d.kind !== 'redirect') throw new Error(`expected redirect, got ${d.kind}`);
  return d;
}

describe('RedirectAction', () => {
  it('defaults to 301 and the request URI', () => {
    const d = redirect({}, { authority: 'a.com', path: '/p?q=1' });
    assert.equal(d.status, 301);
    assert.equal(d.location, 'http://a.com/p?q=1');
    assert.equal(d.route, 'r');
    assert.deepEqual(d.responseHeaders.map((m) => m.set.map((s) => s.name)), [['x-r']]);
  });

  it('response codes', () => {
    const code = (response_code: RedirectAction['response_code']) => redirect({ response_code }).status;
    assert.equal(code('FOUND'), 302);
    assert.equal(code('SEE_OTHER'), 303);
    assert.equal(code('TEMPORARY_REDIRECT'), 307);
    assert.equal(code('PERMANENT_REDIRECT'), 308);
    assert.equal(code('MOVED_PERMANENTLY'), 301);
  });

  it('https_redirect drops the default port of the old scheme only', () => {
    assert.equal(redirect({ https_redirect: true }, { authority: 'a.com:80', path: '/x' }).location, 'https://a.com/x');
    assert.equal(redirect({ https_redirect: true }, { authority: 'a.com:8080', path: '/x' }).location, 'https://a.com:8080/x');
    assert.equal(redirect({ https_redirect: true }, { authority: 'a.com', path: '/x' }).location, 'https://a.com/x');
    assert.equal(redirect({ https_redirect: true }, { authority: '[::1]:80', path: '/x' }).location, 'https://[::1]/x');
  });

  it('uses x-forwarded-proto to decide which default port to drop', () => {
    // An http URL over TLS: the port is kept, as Envoy does.
    assert.equal(
      redirect({ https_redirect: true }, { scheme: 'https', authority: 'a.com:80', headers: { 'x-forwarded-proto': 'https' } }).location,
      'https://a.com:80/',
    );
    assert.equal(redirect({ scheme_redirect: 'http' }, { scheme: 'https', authority: 'a.com:443' }).location, 'http://a.com/');
  });

  it('scheme_redirect', () => {
    assert.equal(redirect({ scheme_redirect: 'ftp' }, { authority: 'a.com', path: '/f' }).location, 'ftp://a.com/f');
  });

  it('host_redirect replaces host and port; port_redirect replaces the port', () => {
    assert.equal(redirect({ host_redirect: 'b.com' }, { authority: 'a.com:8080', path: '/x' }).location, 'http://b.com/x');
    assert.equal(redirect({ port_redirect: 9000 }, { authority: 'a.com:8080', path: '/x' }).location, 'http://a.com:9000/x');
    assert.equal(redirect({ host_redirect: 'b.com', port_redirect: 9000 }, { authority: 'a.com', path: '/x' }).location, 'http://b.com:9000/x');
  });

  it('path_redirect keeps the request query unless it has its own', () => {
    assert.equal(redirect({ path_redirect: '/new' }, { path: '/old?a=1' }).location, 'http://example.com/new?a=1');
    assert.equal(redirect({ path_redirect: '/new?b=2' }, { path: '/old?a=1' }).location, 'http://example.com/new?b=2');
  });

  it('strip_query, except for path_redirect’s own query', () => {
    assert.equal(redirect({ strip_query: true }, { path: '/p?a=1' }).location, 'http://example.com/p');
    assert.equal(redirect({ path_redirect: '/n', strip_query: true }, { path: '/p?a=1' }).location, 'http://example.com/n');
    assert.equal(redirect({ path_redirect: '/n?b=2', strip_query: true }, { path: '/p?a=1' }).location, 'http://example.com/n?b=2');
  });

  it('https_redirect with strip_query', () => {
    assert.equal(redirect({ https_redirect: true, strip_query: true }, { authority: 'a.com:80', path: '/x?y=z' }).location, 'https://a.com/x');
  });

  it('prefix_rewrite replaces the matched prefix', () => {
    assert.equal(redirect({ prefix_rewrite: '/new/' }, { path: '/old/a?q' }, { prefix: '/old/' }).location, 'http://example.com/new/a?q');
  });

  it('regex_rewrite rewrites the whole path even on a prefix route, keeping the query', () => {
    const d = redirect({ regex_rewrite: { pattern: { regex: '^/v1/(.*)$' }, substitution: '/v2/\\1' } }, { path: '/v1/a/b?q=1' }, { prefix: '/v1' });
    assert.equal(d.location, 'http://example.com/v2/a/b?q=1');
  });

  it('adds a leading slash to a relative path_redirect', () => {
    assert.equal(redirect({ path_redirect: 'rel' }, { path: '/x' }).location, 'http://example.com/rel');
  });
});

describe('DirectResponseAction', () => {
  const direct = (status: number, body?: { inline_string?: string; inline_bytes?: Buffer }, r: Partial<RequestHead> = {}) => {
    const d = routes([{ name: 'd', match: { prefix: '/' }, direct_response: { status, ...(body ? { body } : {}) } }]).route(req(r));
    if (d.kind !== 'direct') throw new Error(`expected direct, got ${d.kind}`);
    return d as RouteDirectDecision;
  };

  it('status and inline_string body', () => {
    const d = direct(418, { inline_string: 'teapot' });
    assert.equal(d.status, 418);
    assert.equal(d.body, 'teapot');
    assert.equal(d.location, undefined);
  });

  it('inline_bytes keeps the exact bytes', () => {
    const d = direct(200, { inline_bytes: Buffer.from([0xff, 0x00, 0x41]) });
    assert.deepEqual(d.bodyBytes, Buffer.from([0xff, 0x00, 0x41]));
  });

  it('no body', () => {
    assert.equal(direct(204).body, undefined);
  });

  it('3xx and 201 carry the request URI as Location', () => {
    assert.equal(direct(302, undefined, { authority: 'a.com', path: '/x?y' }).location, 'http://a.com/x?y');
    assert.equal(direct(201).location, 'http://example.com/');
    assert.equal(direct(200).location, undefined);
  });

  it('rejects a body over max_direct_response_body_size_bytes (4096 by default)', () => {
    assert.throws(() => direct(200, { inline_string: 'x'.repeat(4097) }), ConfigRejected);
    const t = routes([{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'x'.repeat(5000) } } }], {}, {
      max_direct_response_body_size_bytes: { value: 8192 },
    });
    assert.equal(t.route(req()).kind, 'direct');
  });
});

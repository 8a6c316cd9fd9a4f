import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteMatch } from '../../../../api/src/generated/envoy/config/route/v3/RouteMatch.js';
import type { RequestHead } from '../types.js';
import { ConfigRejected } from './fields.js';
import { req, routes } from './test-helpers.js';

function matches(match: RouteMatch, r: Partial<RequestHead>): boolean {
  return routes([{ name: 'r', match, direct_response: { status: 200 } }]).route(req(r)).kind !== 'none';
}

describe('RouteMatch path specifiers', () => {
  it('prefix', () => {
    assert.equal(matches({ prefix: '/api' }, { path: '/api/v1' }), true);
    assert.equal(matches({ prefix: '/api' }, { path: '/apix' }), true);
    assert.equal(matches({ prefix: '/api' }, { path: '/ap' }), false);
    assert.equal(matches({ prefix: '/api' }, { path: '/API/v1' }), false);
  });

  it('prefix ignores the query string', () => {
    assert.equal(matches({ prefix: '/a?x' }, { path: '/a?x=1' }), false);
  });

  it('path is exact on the path without query', () => {
    assert.equal(matches({ path: '/exact' }, { path: '/exact' }), true);
    assert.equal(matches({ path: '/exact' }, { path: '/exact?a=1' }), true);
    assert.equal(matches({ path: '/exact' }, { path: '/exact/' }), false);
    assert.equal(matches({ path: '/exact' }, { path: '/exac' }), false);
  });

  it('safe_regex matches the whole path without query', () => {
    const m = { safe_regex: { regex: '/users/[0-9]+' } };
    assert.equal(matches(m, { path: '/users/12?x=y' }), true);
    assert.equal(matches(m, { path: '/users/12/x' }), false);
    assert.equal(matches(m, { path: '/a/users/12' }), false);
  });

  it('path_separated_prefix matches whole segments', () => {
    const m = { path_separated_prefix: '/api' };
    assert.equal(matches(m, { path: '/api' }), true);
    assert.equal(matches(m, { path: '/api/x' }), true);
    assert.equal(matches(m, { path: '/api?x' }), true);
    assert.equal(matches(m, { path: '/apix' }), false);
  });

  it('path_separated_prefix may not end with "/"', () => {
    assert.throws(() => matches({ path_separated_prefix: '/api/' }, {}), ConfigRejected);
  });

  it('case_sensitive false folds prefix, path and path_separated_prefix but not regex', () => {
    assert.equal(matches({ prefix: '/API', case_sensitive: { value: false } }, { path: '/api/x' }), true);
    assert.equal(matches({ path: '/Exact', case_sensitive: { value: false } }, { path: '/EXACT' }), true);
    assert.equal(matches({ path_separated_prefix: '/Api', case_sensitive: { value: false } }, { path: '/aPI/x' }), true);
    assert.equal(matches({ safe_regex: { regex: '/abc' }, case_sensitive: { value: false } }, { path: '/ABC' }), false);
    assert.equal(matches({ prefix: '/API', case_sensitive: { value: true } }, { path: '/api' }), false);
  });
});

describe('RouteMatch headers and query parameters', () => {
  it('all header matchers must match', () => {
    const m: RouteMatch = { prefix: '/', headers: [{ name: 'x-a', exact_match: '1' }, { name: ':method', exact_match: 'POST' }] };
    assert.equal(matches(m, { method: 'POST', headers: { 'x-a': '1' } }), true);
    assert.equal(matches(m, { method: 'GET', headers: { 'x-a': '1' } }), false);
    assert.equal(matches(m, { method: 'POST', headers: {} }), false);
  });

  it('all query parameter matchers must match', () => {
    const m: RouteMatch = {
      prefix: '/',
      query_parameters: [
        { name: 'v', string_match: { exact: '2' } },
        { name: 'debug', present_match: true },
      ],
    };
    assert.equal(matches(m, { path: '/x?v=2&debug' }), true);
    assert.equal(matches(m, { path: '/x?v=1&debug' }), false);
    assert.equal(matches(m, { path: '/x?v=2' }), false);
  });

  it('the first matching route wins', () => {
    const t = routes([
      { name: 'first', match: { prefix: '/a' }, direct_response: { status: 201 } },
      { name: 'second', match: { prefix: '/ab' }, direct_response: { status: 202 } },
      { name: 'third', match: { prefix: '/' }, direct_response: { status: 203 } },
    ]);
    const route = (path: string) => {
      const d = t.route(req({ path }));
      return d.kind === 'none' ? undefined : d.route;
    };
    assert.equal(route('/abc'), 'first');
    assert.equal(route('/b'), 'third');
  });

  it('no matching route: kind none', () => {
    assert.equal(routes([{ match: { prefix: '/a' }, direct_response: { status: 200 } }]).route(req({ path: '/b' })).kind, 'none');
  });
});

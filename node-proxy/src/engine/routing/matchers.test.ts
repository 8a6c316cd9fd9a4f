import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HeaderMatcher } from '../../../../api/src/generated/envoy/config/route/v3/HeaderMatcher.js';
import type { StringMatcher } from '../../../../api/src/generated/envoy/type/matcher/v3/StringMatcher.js';
import { decoded } from '../testing/decoded.js';
import {
  compileHeaderMatcher,
  compileQueryParameterMatcher,
  compileStringMatcher,
  parseQuery,
  pathOnly,
  requestLookup,
  type HeaderLookup,
} from './matchers.js';
import { req } from './test-helpers.js';

const sm = (m: StringMatcher) => compileStringMatcher(decoded('envoy.type.matcher.v3.StringMatcher', m));
const hm = (m: HeaderMatcher) => compileHeaderMatcher(decoded('envoy.config.route.v3.HeaderMatcher', m));
const lookup = (h: Record<string, string | string[]>): HeaderLookup => requestLookup(req({ headers: h }));
const none: HeaderLookup = () => undefined;

describe('StringMatcher', () => {
  it('exact, prefix, suffix, contains are case-sensitive by default', () => {
    assert.equal(sm({ exact: 'Foo' })('Foo'), true);
    assert.equal(sm({ exact: 'Foo' })('foo'), false);
    assert.equal(sm({ prefix: '/a' })('/ab'), true);
    assert.equal(sm({ prefix: '/a' })('/A'), false);
    assert.equal(sm({ suffix: '.js' })('x.js'), true);
    assert.equal(sm({ suffix: '.js' })('x.jsx'), false);
    assert.equal(sm({ contains: 'mid' })('amidb'), true);
    assert.equal(sm({ contains: 'mid' })('aMIDb'), false);
  });

  it('ignore_case folds ASCII only', () => {
    assert.equal(sm({ exact: 'Foo', ignore_case: true })('fOO'), true);
    assert.equal(sm({ contains: 'MID', ignore_case: true })('amidb'), true);
    assert.equal(sm({ exact: 'é', ignore_case: true })('É'), false);
  });

  it('safe_regex must match the whole value and ignores ignore_case', () => {
    assert.equal(sm({ safe_regex: { regex: '[a-z]+' } })('abc'), true);
    assert.equal(sm({ safe_regex: { regex: '[a-z]+' } })('abc1'), false);
    assert.equal(sm({ safe_regex: { regex: '[a-z]+' }, ignore_case: true })('ABC'), false);
  });

  it('exact empty string matches only the empty string', () => {
    assert.equal(sm({ exact: '' })(''), true);
    assert.equal(sm({ exact: '' })('x'), false);
  });
});

describe('HeaderMatcher', () => {
  it('exact_match', () => {
    assert.equal(hm({ name: 'x-a', exact_match: 'v' })(lookup({ 'x-a': 'v' })), true);
    assert.equal(hm({ name: 'x-a', exact_match: 'v' })(lookup({ 'x-a': 'w' })), false);
    assert.equal(hm({ name: 'x-a', exact_match: 'v' })(none), false);
  });

  it('matches the name case-insensitively', () => {
    assert.equal(hm({ name: 'X-A', exact_match: 'v' })(lookup({ 'x-a': 'v' })), true);
  });

  it('joins several values with ","', () => {
    assert.equal(hm({ name: 'x-a', exact_match: 'a,b' })(lookup({ 'x-a': ['a', 'b'] })), true);
    assert.equal(hm({ name: 'x-a', exact_match: 'a' })(lookup({ 'x-a': ['a', 'b'] })), false);
  });

  it('safe_regex_match is a full match', () => {
    const m = hm({ name: 'x-v', safe_regex_match: { regex: '\\d{3}' } });
    assert.equal(m(lookup({ 'x-v': '123' })), true);
    assert.equal(m(lookup({ 'x-v': '1234' })), false);
  });

  it('range_match is [start, end) over signed 64-bit integers', () => {
    const m = hm({ name: 'x-n', range_match: { start: '-10', end: '0' } });
    assert.equal(m(lookup({ 'x-n': '-10' })), true);
    assert.equal(m(lookup({ 'x-n': '-1' })), true);
    assert.equal(m(lookup({ 'x-n': '0' })), false);
    assert.equal(m(lookup({ 'x-n': 'abc' })), false);
    assert.equal(m(lookup({ 'x-n': '-1.5' })), false);
    const big = hm({ name: 'x-n', range_match: { start: '9007199254740992', end: '9007199254740994' } });
    assert.equal(big(lookup({ 'x-n': '9007199254740993' })), true);
    assert.equal(big(lookup({ 'x-n': '99999999999999999999' })), false);
  });

  it('present_match true and false, with missing headers', () => {
    assert.equal(hm({ name: 'x-p', present_match: true })(lookup({ 'x-p': '' })), true);
    assert.equal(hm({ name: 'x-p', present_match: true })(none), false);
    assert.equal(hm({ name: 'x-p', present_match: false })(none), true);
    assert.equal(hm({ name: 'x-p', present_match: false })(lookup({ 'x-p': 'v' })), false);
  });

  it('invert_match on a missing header only matches for present_match true', () => {
    assert.equal(hm({ name: 'x-p', present_match: true, invert_match: true })(none), true);
    assert.equal(hm({ name: 'x-p', exact_match: 'v', invert_match: true })(none), false);
    assert.equal(hm({ name: 'x-p', exact_match: 'v', invert_match: true })(lookup({ 'x-p': 'w' })), true);
    assert.equal(hm({ name: 'x-p', exact_match: 'v', invert_match: true })(lookup({ 'x-p': 'v' })), false);
  });

  it('prefix_match, suffix_match, contains_match are case-sensitive', () => {
    assert.equal(hm({ name: 'x', prefix_match: 'ab' })(lookup({ x: 'abc' })), true);
    assert.equal(hm({ name: 'x', prefix_match: 'ab' })(lookup({ x: 'ABc' })), false);
    assert.equal(hm({ name: 'x', suffix_match: 'bc' })(lookup({ x: 'abc' })), true);
    assert.equal(hm({ name: 'x', contains_match: 'b' })(lookup({ x: 'abc' })), true);
    assert.equal(hm({ name: 'x', contains_match: 'z' })(lookup({ x: 'abc' })), false);
  });

  it('string_match', () => {
    assert.equal(hm({ name: 'x', string_match: { prefix: 'AB', ignore_case: true } })(lookup({ x: 'abc' })), true);
  });

  it('treat_missing_header_as_empty matches a missing header as ""', () => {
    const empty = hm({ name: 'x', safe_regex_match: { regex: '^$' }, treat_missing_header_as_empty: true });
    assert.equal(empty(none), true);
    assert.equal(hm({ name: 'x', safe_regex_match: { regex: '^$' } })(none), false);
    const inverted = hm({ name: 'x', range_match: { start: '0', end: '10' }, invert_match: true, treat_missing_header_as_empty: true });
    assert.equal(inverted(none), true);
  });

  it('reads pseudo-headers from the request head, and never "host"', () => {
    const r = requestLookup(req({ method: 'POST', authority: 'a.b:80', path: '/p?q', scheme: 'https', headers: { host: 'h' } }));
    assert.equal(hm({ name: ':method', exact_match: 'POST' })(r), true);
    assert.equal(hm({ name: ':authority', exact_match: 'a.b:80' })(r), true);
    assert.equal(hm({ name: ':path', exact_match: '/p?q' })(r), true);
    assert.equal(hm({ name: ':scheme', exact_match: 'https' })(r), true);
    assert.equal(hm({ name: 'host', present_match: true })(r), false);
  });
});

describe('query parameters', () => {
  it('parses the first value of each name, undecoded; a bare key has the empty value', () => {
    const q = parseQuery('/p?a=1&a=2&b&c=%20');
    assert.equal(q.get('a'), '1');
    assert.equal(q.get('b'), '');
    assert.equal(q.get('c'), '%20');
    assert.equal(parseQuery('/p').size, 0);
  });

  it('string_match and present_match', () => {
    const m = compileQueryParameterMatcher(decoded('envoy.config.route.v3.QueryParameterMatcher', { name: 'debug', string_match: { exact: '1' } }));
    assert.equal(m(parseQuery('/?debug=1')), true);
    assert.equal(m(parseQuery('/?debug=2')), false);
    assert.equal(m(parseQuery('/')), false);
    const p = compileQueryParameterMatcher(decoded('envoy.config.route.v3.QueryParameterMatcher', { name: 'debug', present_match: true }));
    assert.equal(p(parseQuery('/?debug')), true);
    assert.equal(p(parseQuery('/?other=1')), false);
  });

  it('pathOnly strips the query and the fragment', () => {
    assert.equal(pathOnly('/data#frag?x=1'), '/data');
    assert.equal(pathOnly('/data?x=1#f'), '/data');
    assert.equal(pathOnly('/data'), '/data');
  });
});

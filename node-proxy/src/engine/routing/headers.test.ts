import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import type { HeaderValueOption } from '../../../../api/src/generated/envoy/config/core/v3/HeaderValueOption.js';
import { decoded } from '../testing/decoded.js';
import type { HeaderMutation, Headers } from '../types.js';
import { ConfigRejected } from './fields.js';
import { formatValue } from './formatter.js';
import { applyHeaderMutations, compileHeaderValueOption } from './headers.js';
import { forward, req, routes, table } from './test-helpers.js';

const option = (o: HeaderValueOption) => compileHeaderValueOption(decoded('envoy.config.core.v3.HeaderValueOption', o), 'test');
const level = (set: HeaderValueOption[], remove: string[] = []): HeaderMutation => ({ set: set.map(option), remove });

describe('HeaderValueOption', () => {
  it('defaults to APPEND_IF_EXISTS_OR_ADD; legacy append maps to append or overwrite', () => {
    assert.equal(option({ header: { key: 'X-A', value: 'v' } }).action, 'APPEND_IF_EXISTS_OR_ADD');
    assert.equal(option({ header: { key: 'x', value: 'v' }, append: { value: true } }).action, 'APPEND_IF_EXISTS_OR_ADD');
    assert.equal(option({ header: { key: 'x', value: 'v' }, append: { value: false } }).action, 'OVERWRITE_IF_EXISTS_OR_ADD');
    assert.equal(option({ header: { key: 'x', value: 'v' }, append_action: 'ADD_IF_ABSENT' }).action, 'ADD_IF_ABSENT');
    assert.equal(option({ header: { key: 'X-A', value: 'v' } }).name, 'x-a');
  });

  it('rejects append together with a non-default append_action', () => {
    assert.throws(() => option({ header: { key: 'x', value: 'v' }, append: { value: true }, append_action: 'ADD_IF_ABSENT' }), ConfigRejected);
  });

  it('rejects pseudo-headers and host', () => {
    assert.throws(() => option({ header: { key: ':path', value: '/' } }), ConfigRejected);
    assert.throws(() => option({ header: { key: 'Host', value: 'h' } }), ConfigRejected);
  });

  it('rejects unknown or unterminated formatter commands', () => {
    assert.throws(() => option({ header: { key: 'x', value: '%REQ(x)%' } }), ConfigRejected);
    assert.throws(() => option({ header: { key: 'x', value: '100%' } }), ConfigRejected);
    assert.throws(() => option({ header: { key: 'x', value: '%START_TIME(%s)%' } }), ConfigRejected);
  });
});

describe('applyHeaderMutations', () => {
  it('APPEND_IF_EXISTS_OR_ADD adds another value', () => {
    const h: Headers = { 'x-a': '1' };
    applyHeaderMutations(h, [level([{ header: { key: 'x-a', value: '2' } }, { header: { key: 'x-b', value: '3' } }])]);
    assert.deepEqual(h, { 'x-a': ['1', '2'], 'x-b': '3' });
  });

  it('ADD_IF_ABSENT only adds a missing header', () => {
    const h: Headers = { 'x-a': '1' };
    applyHeaderMutations(h, [
      level([
        { header: { key: 'x-a', value: '2' }, append_action: 'ADD_IF_ABSENT' },
        { header: { key: 'x-b', value: '3' }, append_action: 'ADD_IF_ABSENT' },
      ]),
    ]);
    assert.deepEqual(h, { 'x-a': '1', 'x-b': '3' });
  });

  it('OVERWRITE_IF_EXISTS_OR_ADD replaces every value or adds', () => {
    const h: Headers = { 'x-a': ['1', '2'] };
    applyHeaderMutations(h, [
      level([
        { header: { key: 'x-a', value: '9' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
        { header: { key: 'x-b', value: '8' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
      ]),
    ]);
    assert.deepEqual(h, { 'x-a': '9', 'x-b': '8' });
  });

  it('OVERWRITE_IF_EXISTS never adds', () => {
    const h: Headers = { 'x-a': '1' };
    applyHeaderMutations(h, [
      level([
        { header: { key: 'x-a', value: '9' }, append_action: 'OVERWRITE_IF_EXISTS' },
        { header: { key: 'x-b', value: '8' }, append_action: 'OVERWRITE_IF_EXISTS' },
      ]),
    ]);
    assert.deepEqual(h, { 'x-a': '9' });
  });

  it('within a level, removes come first and adds are decided against the headers before the level', () => {
    const h: Headers = { 'x-old': '1' };
    applyHeaderMutations(h, [
      level(
        [
          { header: { key: 'x-old', value: 'new' }, append_action: 'ADD_IF_ABSENT' },
          { header: { key: 'x-n', value: 'a' } },
          // x-n is absent before this level, so ADD_IF_ABSENT still adds it.
          { header: { key: 'x-n', value: 'b' }, append_action: 'ADD_IF_ABSENT' },
        ],
        ['x-old'],
      ),
    ]);
    assert.deepEqual(h, { 'x-old': 'new', 'x-n': ['a', 'b'] });
  });

  it('overwrites happen before appends within a level', () => {
    const h: Headers = {};
    applyHeaderMutations(h, [
      level([
        { header: { key: 'x', value: 'appended' } },
        { header: { key: 'x', value: 'overwritten' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
      ]),
    ]);
    assert.deepEqual(h, { x: ['overwritten', 'appended'] });
  });

  it('later levels override earlier ones', () => {
    const h: Headers = {};
    applyHeaderMutations(h, [
      level([{ header: { key: 'x', value: 'first' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }]),
      level([{ header: { key: 'x', value: 'second' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }]),
    ]);
    assert.equal(h['x'], 'second');
  });

  it('skips empty values unless keep_empty_value', () => {
    const h: Headers = {};
    applyHeaderMutations(h, [
      level([
        { header: { key: 'x-empty', value: '' } },
        { header: { key: 'x-kept', value: '' }, keep_empty_value: true },
        { header: { key: 'x-up', value: '%UPSTREAM_REMOTE_ADDRESS%' } },
      ]),
    ]);
    assert.deepEqual(h, { 'x-kept': '' });
  });
});

describe('header value formatter', () => {
  const ctx = {
    downstreamRemoteAddress: '10.0.0.1:4000',
    upstreamRemoteAddress: '10.0.0.2:8080',
    protocol: 'HTTP/1.1',
    startTime: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)),
  };

  it('substitutes each operator', () => {
    assert.equal(formatValue('%DOWNSTREAM_REMOTE_ADDRESS%', ctx), '10.0.0.1:4000');
    assert.equal(formatValue('%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%', ctx), '10.0.0.1');
    assert.equal(formatValue('%UPSTREAM_REMOTE_ADDRESS%', ctx), '10.0.0.2:8080');
    assert.equal(formatValue('%PROTOCOL%', ctx), 'HTTP/1.1');
    assert.equal(formatValue('%HOSTNAME%', ctx), hostname());
    assert.equal(formatValue('%START_TIME%', ctx), '2024-01-02T03:04:05.006Z');
  });

  it('mixes literals, %% and operators', () => {
    assert.equal(formatValue('ip=%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%; 100%%', ctx), 'ip=10.0.0.1; 100%');
  });

  it('IPv6 peers', () => {
    const v6 = { downstreamRemoteAddress: '[2001:db8::1]:443' };
    assert.equal(formatValue('%DOWNSTREAM_REMOTE_ADDRESS%', v6), '[2001:db8::1]:443');
    assert.equal(formatValue('%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%', v6), '2001:db8::1');
  });

  it('applies through applyHeaderMutations', () => {
    const h: Headers = {};
    applyHeaderMutations(h, [level([{ header: { key: 'x-client', value: '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%' } }])], ctx);
    assert.equal(h['x-client'], '10.0.0.1');
  });
});

describe('header mutation levels in route decisions', () => {
  const add = (key: string, value: string): HeaderValueOption => ({ header: { key, value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' });
  const build = (mostSpecificWins: boolean) =>
    table({
      most_specific_header_mutations_wins: mostSpecificWins,
      request_headers_to_add: [add('x-level', 'config')],
      response_headers_to_add: [add('x-level', 'config')],
      response_headers_to_remove: ['x-config-removes'],
      virtual_hosts: [
        {
          name: 'vh',
          domains: ['*'],
          request_headers_to_add: [add('x-level', 'vhost')],
          response_headers_to_add: [add('x-level', 'vhost')],
          routes: [
            {
              match: { prefix: '/' },
              request_headers_to_add: [add('x-level', 'route')],
              request_headers_to_remove: ['x-drop'],
              response_headers_to_add: [add('x-level', 'route')],
              route: { cluster: 'c' },
            },
          ],
        },
      ],
    });

  it('by default evaluates route, virtual host, then route configuration: the least specific wins', () => {
    const d = forward(build(false).route(req()));
    const levels = d.requestHeaders.map((m) => m.set[0]!.value);
    assert.deepEqual(levels, ['route', 'vhost', 'config']);
    assert.deepEqual(d.requestHeaders[0]!.remove, ['x-drop']);
    const h: Headers = {};
    applyHeaderMutations(h, d.responseHeaders);
    assert.equal(h['x-level'], 'config');
  });

  it('most_specific_header_mutations_wins reverses the order', () => {
    const d = forward(build(true).route(req()));
    assert.deepEqual(
      d.requestHeaders.map((m) => m.set[0]!.value),
      ['config', 'vhost', 'route'],
    );
    const h: Headers = {};
    applyHeaderMutations(h, d.responseHeaders);
    assert.equal(h['x-level'], 'route');
  });

  it('levels without mutations are left out', () => {
    const d = forward(routes([{ match: { prefix: '/' }, route: { cluster: 'c' } }]).route(req()));
    assert.deepEqual(d.requestHeaders, []);
    assert.deepEqual(d.responseHeaders, []);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigRejected } from './fields.js';
import { translateRe2 } from '../../../../api/src/re2.js';
import { compileRegexRewrite, Re2 } from './regex.js';

describe('RE2 translation', () => {
  it('full-matches: a partial match is not a match', () => {
    const re = new Re2('/api/v[0-9]+');
    assert.equal(re.fullMatch('/api/v12'), true);
    assert.equal(re.fullMatch('/api/v12/x'), false);
    assert.equal(re.fullMatch('x/api/v1'), false);
  });

  it('full match considers every alternative, not the leftmost-first one', () => {
    assert.equal(new Re2('a|ab').fullMatch('ab'), true);
  });

  it('accepts RE2 named groups (?P<name>…)', () => {
    const re = new Re2('/(?P<id>[0-9]+)');
    assert.equal(re.fullMatch('/42'), true);
    assert.equal(re.groups, 1);
  });

  it('honours a leading (?i) flag group', () => {
    assert.equal(new Re2('(?i)/foo').fullMatch('/FOO'), true);
    assert.equal(new Re2('/foo').fullMatch('/FOO'), false);
  });

  it('translates \\A, \\z, \\Q…\\E and POSIX classes', () => {
    assert.equal(new Re2('\\A/a\\.b\\z').fullMatch('/a.b'), true);
    assert.equal(new Re2('\\Q/a.b\\E').fullMatch('/axb'), false);
    assert.equal(new Re2('\\Q/a.b\\E').fullMatch('/a.b'), true);
    assert.equal(new Re2('[[:digit:]]+').fullMatch('123'), true);
    assert.equal(new Re2('[[:digit:]]+').fullMatch('12a'), false);
  });

  it('refuses what RE2 refuses: backreferences and lookaround', () => {
    assert.throws(() => new Re2('(a)\\1'), ConfigRejected);
    assert.throws(() => new Re2('a(?=b)'), ConfigRejected);
    assert.throws(() => new Re2('(?<!a)b'), ConfigRejected);
  });

  it('refuses an invalid pattern', () => {
    assert.throws(() => new Re2('a('), ConfigRejected);
  });

  it('keeps a literal "]" first in a class', () => {
    assert.equal(translateRe2('[]a]').source, '[\\]a]');
    assert.equal(new Re2('[]a]+').fullMatch(']a]'), true);
  });
});

describe('RE2 GlobalReplace', () => {
  it('replaces every match', () => {
    assert.equal(new Re2('o').replaceAll('/foo/boo', '0'), '/f00/b00');
  });

  it('substitutes \\N groups and \\\\', () => {
    assert.equal(new Re2('^/service/([^/]+)(/.*)$').replaceAll('/service/foo/v1/api', '\\2/instance/\\1'), '/v1/api/instance/foo');
    assert.equal(new Re2('a').replaceAll('a', '\\\\'), '\\');
    assert.equal(new Re2('(a)').replaceAll('xa', '[\\0]'), 'x[a]');
  });

  it('does not allow an empty match where the previous match ended (RE2, not JS)', () => {
    assert.equal(new Re2('a*').replaceAll('baaac', '-'), '-b-c-');
    assert.equal('baaac'.replace(/a*/g, '-'), '-b--c-'); // what JS alone would give
  });

  it('leaves the input alone without a match', () => {
    assert.equal(new Re2('x').replaceAll('/abc', 'y'), '/abc');
  });

  it('rejects substitutions RE2 rejects', () => {
    assert.throws(() => compileRegexRewrite({ pattern: { regex: '(a)' }, substitution: '\\2' }), /group 2/);
    assert.throws(() => compileRegexRewrite({ pattern: { regex: 'a' }, substitution: '\\n' }), ConfigRejected);
  });
});

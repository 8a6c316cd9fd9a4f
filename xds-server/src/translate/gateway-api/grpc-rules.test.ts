// GRPCRoute matching beyond the goldens: GEP-1016's method matcher table as
// the paths a request can have (the regexes are checked as Envoy and the
// engine read them: RE2, whole path), and GRPCRoute precedence.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { re2ToRegExp } from '../../../../api/src/re2.js';
import type { HttpMatchIR } from '../../model/gateway.js';
import { re2Problem } from '../../../../api/src/re2.js';
import { methodPath } from './grpc-rules.js';
import { compareGrpcRanks } from './precedence.js';

/** Does a :path match the IR path as the xDS side emits it (Exact, segment PathPrefix, whole-path RE2)? */
function matches(p: HttpMatchIR['path'], path: string): boolean {
  if (p === undefined) return true;
  if (p.type === 'Exact') return path === p.value;
  if (p.type === 'PathPrefix') {
    const prefix = p.value.replace(/\/+$/, '');
    return path === prefix || path.startsWith(`${prefix}/`);
  }
  const re = re2ToRegExp(`^(?:${p.value})$`);
  assert.ok(re, p.value);
  return re.test(path);
}

const PATHS = ['/foo.Bar/Get', '/foo.Bar/GetAll', '/foo.BarX/Get', '/x.foo.Bar/Get', '/other.Svc/Get', '/other.Svc/Put', '/foo.Bar/a/Get'];

describe('GRPCRoute method matches (GEP-1016)', () => {
  const table: [string, Parameters<typeof methodPath>[0], string[]][] = [
    ['Exact service and method', { type: 'Exact', service: 'foo.Bar', method: 'Get' }, ['/foo.Bar/Get']],
    ['Exact service', { type: 'Exact', service: 'foo.Bar' }, ['/foo.Bar/Get', '/foo.Bar/GetAll', '/foo.Bar/a/Get']],
    ['Exact method', { type: 'Exact', method: 'Get' }, ['/foo.Bar/Get', '/foo.BarX/Get', '/x.foo.Bar/Get', '/other.Svc/Get']],
    ['RegularExpression service and method', { type: 'RegularExpression', service: 'foo\\.Bar|other\\.Svc', method: 'Get.*' }, ['/foo.Bar/Get', '/foo.Bar/GetAll', '/other.Svc/Get']],
    ['RegularExpression service', { type: 'RegularExpression', service: '.*\\.Bar' }, ['/foo.Bar/Get', '/foo.Bar/GetAll', '/x.foo.Bar/Get']],
    ['RegularExpression method', { type: 'RegularExpression', method: 'P.t|Get' }, ['/foo.Bar/Get', '/foo.BarX/Get', '/x.foo.Bar/Get', '/other.Svc/Get', '/other.Svc/Put']],
    ['no method match', undefined, PATHS],
    // "If left empty or omitted, will match any service": '' is omitted.
    ['RegularExpression with an empty service', { type: 'RegularExpression', service: '', method: 'Put' }, ['/other.Svc/Put']],
  ];
  for (const [what, m, expected] of table) {
    it(what, () => {
      const p = methodPath(m);
      assert.deepEqual(PATHS.filter((path) => matches(p, path)), expected);
      if (p?.type === 'RegularExpression') assert.equal(re2Problem(p.value), undefined);
    });
  }

  it('an alternation stays inside its part of the path', () => {
    const p = methodPath({ type: 'RegularExpression', service: 'a|b', method: 'M' });
    assert.ok(matches(p, '/a/M') && matches(p, '/b/M'));
    assert.ok(!matches(p, '/a') && !matches(p, 'b/M'));
  });

  it('refuses what RE2 refuses', () => {
    assert.match(re2Problem('(?=x)') ?? '', /not supported/);
    assert.match(re2Problem('(a') ?? '', /regex/);
    assert.equal(re2Problem('[[:alpha:]]+'), undefined);
  });
});

describe('GRPCRoute precedence', () => {
  it('ranks service characters, then method characters, then header matches', () => {
    const ranks = [
      { service: 0, method: 0, headers: 0 },
      { service: 0, method: 3, headers: 2 },
      { service: 7, method: 0, headers: 0 },
      { service: 7, method: 3, headers: 0 },
      { service: 7, method: 3, headers: 1 },
      { service: 3, method: 9, headers: 9 },
    ];
    assert.deepEqual([...ranks].sort(compareGrpcRanks), [
      { service: 7, method: 3, headers: 1 },
      { service: 7, method: 3, headers: 0 },
      { service: 7, method: 0, headers: 0 },
      { service: 3, method: 9, headers: 9 },
      { service: 0, method: 3, headers: 2 },
      { service: 0, method: 0, headers: 0 },
    ]);
  });
});

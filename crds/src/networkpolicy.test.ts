import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labelSelectorMatches } from './networkpolicy.js';
import { assertError, parseErrors, parseOk } from './test-helpers.js';

function np(spec: unknown, annotations: Record<string, string> = {}) {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'reviews-mtls', namespace: 'shop', annotations }, spec };
}

describe('NetworkPolicy schema', () => {
  it('accepts the fields nodemesh reads and defaults policyTypes and protocol as the API server does', () => {
    const o = parseOk(
      np({
        podSelector: { matchLabels: { app: 'reviews' } },
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { app: 'web' } } },
              { namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['a', 'b'] }] }, podSelector: {} },
              { ipBlock: { cidr: '10.1.0.0/16', except: ['10.1.2.0/24'] } },
            ],
            ports: [{ port: 9080 }, { port: 'http', protocol: 'UDP' }, { port: 8000, endPort: 8010 }],
          },
        ],
      }, { 'nodemesh.io/mtls': 'required' }),
    );
    if (o.kind !== 'NetworkPolicy') return assert.fail();
    assert.deepEqual(o.spec.policyTypes, ['Ingress']);
    assert.deepEqual(o.spec.ingress?.[0]?.ports?.map((p) => p.protocol), ['TCP', 'UDP', 'TCP']);
    assert.equal(o.metadata.annotations['nodemesh.io/mtls'], 'required');
    const withEgress = parseOk(np({ podSelector: {}, egress: [{}] }));
    if (withEgress.kind === 'NetworkPolicy') assert.deepEqual(withEgress.spec.policyTypes, ['Ingress', 'Egress']);
    const empty = parseOk({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'x' } });
    if (empty.kind === 'NetworkPolicy') assert.deepEqual(empty.spec.podSelector, {});
  });

  it('does not reject an invalid mTLS annotation value (the auth translator reports it)', () => {
    parseOk(np({ podSelector: {} }, { 'nodemesh.io/mtls': 'yes' }));
  });

  it('rejects what the API server rejects', () => {
    const errs = parseErrors(
      np({
        podSelector: { matchExpressions: [{ key: 'app', operator: 'In' }, { key: 'x', operator: 'Exists', values: ['a'] }, { key: 'bad key', operator: 'Exists' }] },
        policyTypes: ['Ingress', 'Egress', 'Ingress'],
        ingress: [
          {
            from: [{}, { ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }, { ipBlock: { cidr: '10.0.0.0/33' } }, { ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.0.0/16', '192.168.0.0/24'] } }],
            ports: [{ port: 0 }, { port: 'HTTP' }, { endPort: 10 }, { port: 'http', endPort: 10 }, { port: 100, endPort: 10 }, { port: 1, protocol: 'ICMP' }],
          },
        ],
      }),
    );
    assertError(errs, 'spec.podSelector.matchExpressions[0].values', "must be specified when `operator` is 'In' or 'NotIn'");
    assertError(errs, 'spec.podSelector.matchExpressions[1].values', "may not be specified when `operator` is 'Exists'");
    assertError(errs, 'spec.podSelector.matchExpressions[2].key', 'name part must consist of');
    assertError(errs, 'spec.policyTypes', 'may not specify more than two policyTypes');
    assertError(errs, 'spec.ingress[0].from[0]', 'must specify a peer');
    assertError(errs, 'spec.ingress[0].from[1]', 'may not specify both ipBlock and another peer');
    assertError(errs, 'spec.ingress[0].from[2].ipBlock.cidr', 'invalid CIDR address: 10.0.0.0/33');
    assertError(errs, 'spec.ingress[0].from[3].ipBlock.except[0]', 'must be a strict subset of `cidr`');
    assertError(errs, 'spec.ingress[0].from[3].ipBlock.except[1]', 'must be a strict subset of `cidr`');
    assertError(errs, 'spec.ingress[0].ports[0].port', 'must be between 1 and 65535, inclusive');
    assertError(errs, 'spec.ingress[0].ports[1].port', 'invalid port name "HTTP"');
    assertError(errs, 'spec.ingress[0].ports[2].endPort', 'must be specified when `endPort` is specified');
    assertError(errs, 'spec.ingress[0].ports[3].endPort', 'may not be specified when `port` is non-numeric');
    assertError(errs, 'spec.ingress[0].ports[4].endPort', 'must be greater than or equal to `port`');
    assertError(errs, 'spec.ingress[0].ports[5].protocol', 'Unsupported value: "ICMP"');
  });

  it('accepts an ipBlock CIDR with host bits set, as the API server does', () => {
    parseOk(np({ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.1.2.3/16', except: ['10.1.2.0/24'] } }] }] }));
  });
});

describe('labelSelectorMatches', () => {
  it('implements matchLabels and the four operators', () => {
    const labels = { app: 'web', tier: 'front' };
    assert.ok(labelSelectorMatches({}, labels));
    assert.ok(labelSelectorMatches({ matchLabels: { app: 'web' } }, labels));
    assert.ok(!labelSelectorMatches({ matchLabels: { app: 'db' } }, labels));
    assert.ok(labelSelectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'x'] }] }, labels));
    assert.ok(!labelSelectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, labels));
    assert.ok(labelSelectorMatches({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, labels));
    assert.ok(labelSelectorMatches({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, labels));
    assert.ok(!labelSelectorMatches({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels));
  });
});

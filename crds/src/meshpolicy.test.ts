import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  LABEL_KEY_PATTERN,
  MESH_POLICY_API_VERSION,
  MESH_POLICY_AUTH_MODES,
  MESH_POLICY_AUTH_SCOPES,
  MESH_POLICY_KIND,
  MESH_POLICY_MAX_PORT_RULES,
  MESH_POLICY_MAX_PORTS,
  MESH_POLICY_MAX_RULES,
  MESH_POLICY_MAX_SELECTORS,
  MESH_POLICY_PORT_PATTERN,
  MESH_POLICY_PROTOCOLS,
} from './meshpolicy.js';
import { assertError, parseErrors, parseOk } from './test-helpers.js';

function mp(spec: unknown) {
  return { apiVersion: 'nodemesh.io/v1alpha1', kind: 'MeshPolicy', metadata: { name: 'reviews', namespace: 'shop' }, spec };
}

describe('MeshPolicy schema', () => {
  it('accepts the Cilium-compatible shape, with k8s: label sources, and defaults protocol to ANY', () => {
    const o = parseOk(
      mp({
        endpointSelector: { matchLabels: { app: 'reviews' } },
        ingress: [
          {
            fromEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'web', 'k8s:app': 'frontend' } }, {}],
            toPorts: [{ ports: [{ port: '9080', protocol: 'TCP' }, { port: 'http' }, { port: '8000', endPort: 8100 }] }],
            authentication: { mode: 'required' },
          },
          { authentication: { mode: 'disabled' } },
        ],
      }),
    );
    if (o.kind !== 'MeshPolicy') return assert.fail();
    assert.deepEqual(o.spec.ingress?.[0]?.toPorts?.[0]?.ports?.map((p) => p.protocol), ['TCP', 'ANY', 'ANY']);
    assert.equal(o.spec.ingress?.[1]?.authentication?.mode, 'disabled');
  });

  it('rejects invalid selectors, ports and modes', () => {
    const errs = parseErrors(
      mp({
        endpointSelector: { matchLabels: { 'reserved:host': '' }, matchExpressions: [{ key: 'k8s:app', operator: 'NotIn' }] },
        ingress: [
          {
            toPorts: [{ ports: [{ port: '70000' }, { port: 'Http' }, { port: 'http', endPort: 9 }, { port: '100', endPort: 9 }, { port: '1', protocol: 'ICMP' }] }],
            authentication: { mode: 'test-always-fail' },
          },
          { fromEndpoints: [{ matchLabels: { app: 'x y' } }], authentication: {} },
        ],
      }),
    );
    assertError(errs, 'spec.endpointSelector.matchLabels["reserved:host"]', 'invalid label source "reserved:"');
    assertError(errs, 'spec.endpointSelector.matchExpressions[0].values', "must be specified when `operator` is 'In' or 'NotIn'");
    assertError(errs, 'spec.ingress[0].toPorts[0].ports[0].port', 'must be between 0 and 65535');
    assertError(errs, 'spec.ingress[0].toPorts[0].ports[1].port', 'invalid port name "Http"');
    assertError(errs, 'spec.ingress[0].toPorts[0].ports[2].endPort', 'may not be specified when `port` is a name');
    assertError(errs, 'spec.ingress[0].toPorts[0].ports[3].endPort', 'must be greater than or equal to `port`');
    assertError(errs, 'spec.ingress[0].toPorts[0].ports[4].protocol', 'Unsupported value: "ICMP"');
    assertError(errs, 'spec.ingress[0].authentication.mode', 'Unsupported value: "test-always-fail"');
    assertError(errs, 'spec.ingress[1].fromEndpoints[0].matchLabels.app', 'a valid label must be');
    // kubeErrorMap words a missing enum value as "Unsupported value: undefined" (crds/src/issues.ts).
    assertError(errs, 'spec.ingress[1].authentication.mode', 'supported values: "required", "disabled"');
    assertError(parseErrors(mp({})), 'spec.endpointSelector', 'Required value');
  });

  it('authentication.scope: pair (default, absent) or connection; only with mode required', () => {
    const o = parseOk(
      mp({
        endpointSelector: {},
        ingress: [{ authentication: { mode: 'required', scope: 'connection' } }, { authentication: { mode: 'required', scope: 'pair' } }, { authentication: { mode: 'required' } }],
      }),
    );
    if (o.kind !== 'MeshPolicy') return assert.fail();
    assert.deepEqual(o.spec.ingress?.map((r) => r.authentication?.scope), ['connection', 'pair', undefined]);
    const errs = parseErrors(mp({ endpointSelector: {}, ingress: [{ authentication: { mode: 'required', scope: 'socket' } }, { authentication: { mode: 'disabled', scope: 'connection' } }] }));
    assertError(errs, 'spec.ingress[0].authentication.scope', 'supported values: "pair", "connection"');
    assertError(errs, 'spec.ingress[1].authentication.scope', 'may only be set when `mode` is required');
  });
});

interface Props {
  [key: string]: unknown;
}

function prop(schema: unknown, ...path: string[]): Props {
  let cur = schema as Props;
  for (const p of path) cur = p === '[]' ? (cur.items as Props) : ((cur.properties as Props)[p] as Props);
  return cur;
}

describe('MeshPolicy CRD manifest', () => {
  const path = fileURLToPath(new URL('../manifests/nodemesh.io_meshpolicies.yaml', import.meta.url));
  const crd = parse(readFileSync(path, 'utf8')) as Props;
  const spec = crd.spec as Props;
  const version = (spec.versions as Props[])[0]!;
  const root = (version.schema as Props).openAPIV3Schema;

  it('declares the group, version and kind parseObject accepts', () => {
    assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
    assert.equal(`${spec.group as string}/${version.name as string}`, MESH_POLICY_API_VERSION);
    assert.equal((spec.names as Props).kind, MESH_POLICY_KIND);
    assert.equal(spec.scope, 'Namespaced');
    assert.equal((crd.metadata as Props).name, `${(spec.names as Props).plural as string}.${spec.group as string}`);
  });

  it('has the same rules as the zod schema', () => {
    assert.deepEqual(prop(root, 'spec').required, ['endpointSelector']);
    const rules = prop(root, 'spec', 'ingress');
    assert.equal(rules.maxItems, MESH_POLICY_MAX_RULES);
    const rule = prop(rules, '[]');
    assert.deepEqual(prop(rule, 'authentication', 'mode').enum, [...MESH_POLICY_AUTH_MODES]);
    assert.deepEqual(prop(rule, 'authentication').required, ['mode']);
    assert.deepEqual(prop(rule, 'authentication', 'scope').enum, [...MESH_POLICY_AUTH_SCOPES]);
    assert.deepEqual((prop(rule, 'authentication')['x-kubernetes-validations'] as Props[]).map((v) => v.rule), ["!has(self.scope) || self.mode == 'required'"]);
    assert.equal(prop(rule, 'fromEndpoints').maxItems, MESH_POLICY_MAX_SELECTORS);
    assert.equal(prop(rule, 'toPorts').maxItems, MESH_POLICY_MAX_PORT_RULES);
    const ports = prop(rule, 'toPorts', '[]', 'ports');
    assert.equal(ports.maxItems, MESH_POLICY_MAX_PORTS);
    const port = prop(ports, '[]');
    assert.deepEqual(port.required, ['port']);
    assert.equal(prop(port, 'port').pattern, MESH_POLICY_PORT_PATTERN);
    assert.deepEqual([prop(port, 'protocol').enum, prop(port, 'protocol').default], [[...MESH_POLICY_PROTOCOLS], 'ANY']);
    assert.deepEqual([prop(port, 'endPort').minimum, prop(port, 'endPort').maximum], [0, 65535]);
    // Both selectors (endpointSelector and each fromEndpoints item) share one definition.
    for (const sel of [prop(root, 'spec', 'endpointSelector'), prop(rule, 'fromEndpoints', '[]')]) {
      const labels = prop(sel, 'matchLabels');
      assert.equal(labels.maxProperties, MESH_POLICY_MAX_SELECTORS);
      const keyRule = (labels['x-kubernetes-validations'] as Props[])[0]!.rule as string;
      // Inside a CEL string literal each backslash of the pattern is escaped.
      assert.ok(keyRule.includes(`'${LABEL_KEY_PATTERN.replace(/\\/g, '\\\\')}'`), keyRule);
      assert.equal(prop(sel, 'matchExpressions', '[]', 'key').pattern, LABEL_KEY_PATTERN);
      assert.equal(prop(sel, 'matchExpressions').maxItems, MESH_POLICY_MAX_SELECTORS);
      assert.deepEqual(prop(sel, 'matchExpressions', '[]', 'operator').enum, ['In', 'NotIn', 'Exists', 'DoesNotExist']);
    }
  });
});

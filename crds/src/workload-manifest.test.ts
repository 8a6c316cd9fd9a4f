// The Workload CRD manifest is hand-written YAML; this keeps its OpenAPI rules
// equal to the zod schema's, so the API server and nodemesh agree on validity.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DNS1123_LABEL_PATTERN, DNS1123_SUBDOMAIN_MAX, DNS1123_SUBDOMAIN_PATTERN } from './names.js';
import {
  WORKLOAD_API_VERSION,
  WORKLOAD_DEFAULT_SERVICE_ACCOUNT,
  WORKLOAD_HEALTH_VALUES,
  WORKLOAD_KIND,
  WORKLOAD_MAX_MAP_ENTRIES,
  WORKLOAD_WEIGHT_MAX,
  WORKLOAD_WEIGHT_MIN,
} from './workload.js';

const manifestPath = fileURLToPath(new URL('../manifests/nodemesh.io_workloads.yaml', import.meta.url));

interface Props {
  [key: string]: unknown;
}

function prop(schema: unknown, ...path: string[]): Props {
  let cur = schema as Props;
  for (const p of path) cur = (cur.properties as Props)[p] as Props;
  return cur;
}

describe('Workload CRD manifest', () => {
  const crd = parse(readFileSync(manifestPath, 'utf8')) as Props;
  const spec = crd.spec as Props;
  const version = (spec.versions as Props[])[0]!;
  const root = (version.schema as Props).openAPIV3Schema;

  it('declares the group, version and kind parseObject accepts', () => {
    assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
    assert.equal(`${spec.group as string}/${version.name as string}`, WORKLOAD_API_VERSION);
    assert.equal((spec.names as Props).kind, WORKLOAD_KIND);
    assert.equal(spec.scope, 'Namespaced');
    assert.equal((crd.metadata as Props).name, `${(spec.names as Props).plural as string}.${spec.group as string}`);
  });

  it('has the same rules as the zod schema', () => {
    assert.deepEqual(prop(root, 'spec').required, ['address']);
    const weight = prop(root, 'spec', 'weight');
    assert.deepEqual([weight.minimum, weight.maximum, weight.default], [WORKLOAD_WEIGHT_MIN, WORKLOAD_WEIGHT_MAX, 1]);
    const health = prop(root, 'spec', 'health');
    assert.deepEqual([health.enum, health.default], [[...WORKLOAD_HEALTH_VALUES], 'Healthy']);
    const sa = prop(root, 'spec', 'serviceAccount');
    assert.deepEqual([sa.pattern, sa.maxLength, sa.default], [DNS1123_SUBDOMAIN_PATTERN, DNS1123_SUBDOMAIN_MAX, WORKLOAD_DEFAULT_SERVICE_ACCOUNT]);
    const ports = prop(root, 'spec', 'ports');
    const portValue = ports.additionalProperties as Props;
    assert.deepEqual([portValue.type, portValue.minimum, portValue.maximum, ports.maxProperties], ['integer', 1, 65535, WORKLOAD_MAX_MAP_ENTRIES]);
    const portRule = (ports['x-kubernetes-validations'] as Props[])[0]!.rule as string;
    assert.ok(portRule.includes(`'${DNS1123_LABEL_PATTERN}'`), portRule);
    assert.equal(prop(root, 'spec', 'labels').maxProperties, WORKLOAD_MAX_MAP_ENTRIES);
    assert.deepEqual(prop(root, 'spec', 'address').anyOf, [{ format: 'ipv4' }, { format: 'ipv6' }]);
  });
});

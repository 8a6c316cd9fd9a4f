// Golden tests of the Envoy bootstrap, and its validity against the protos' rules.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encodeMessage, unknownFields } from '../../api/src/any.js';
import { validateAny } from '../../api/src/pgv/validate.js';
import { assertGolden } from '../../xds-server/src/testing/golden.js';
import { bootstrapJson, envoyBootstrap, type BootstrapOptions } from '../src/bootstrap.js';

const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';
const dir = join(dirname(fileURLToPath(import.meta.url)), '../testdata/bootstrap');
const cases: Record<string, BootstrapOptions> = {
  // What a production node runs: overload limits and a statsd sink.
  'unix-socket': {
    nodeId: 'node-a',
    cluster: 'node-a',
    locality: { region: 'eu', zone: 'eu-1a' },
    xdsAddress: 'unix:/run/nodemesh/xds.sock',
    adminPort: 15000,
    maxHeapBytes: 1024 * 1024 * 1024,
    maxDownstreamConnections: 50_000,
    statsdAddress: '127.0.0.1:8125',
  },
  tcp: { nodeId: 'node-b', cluster: 'node-b', xdsAddress: '127.0.0.1:18000', adminPort: 15000 },
  'connections-only': { nodeId: 'node-c', cluster: 'node-c', xdsAddress: '127.0.0.1:18000', adminPort: 15001, maxDownstreamConnections: 1000 },
};

function violations(opts: BootstrapOptions) {
  return validateAny(`type.googleapis.com/${BOOTSTRAP}`, encodeMessage(BOOTSTRAP, envoyBootstrap(opts)));
}

describe('Envoy bootstrap', () => {
  for (const [name, opts] of Object.entries(cases)) {
    it(name, () => {
      const b = envoyBootstrap(opts);
      assert.deepEqual(unknownFields(BOOTSTRAP, b), [], 'every field is a Bootstrap field (protobufjs drops the others silently)');
      assert.deepEqual(validateAny(`type.googleapis.com/${BOOTSTRAP}`, encodeMessage(BOOTSTRAP, b)), []);
      assertGolden(join(dir, `${name}.golden.json`), bootstrapJson(b) + '\n');
    });
  }

  it('admin listens on loopback only', () => {
    for (const opts of Object.values(cases)) {
      assert.equal(envoyBootstrap(opts).admin?.address?.socket_address?.address, '127.0.0.1');
    }
  });

  // Proves the validator reaches into the resource monitors' typed configs,
  // which are packed as Any.
  it('rejects limits the protos forbid', () => {
    const base = cases.tcp!;
    assert.deepEqual(
      violations({ ...base, maxHeapBytes: 0 }).map((v) => v.rule),
      ['uint64.gt'],
    );
    assert.deepEqual(
      violations({ ...base, maxDownstreamConnections: 0 }).map((v) => v.rule),
      ['int64.gt'],
    );
  });
});

// Golden tests of the Envoy bootstrap, and its validity against the protos' rules.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encodeMessage } from '../../api/src/any.js';
import { validateAny } from '../../api/src/pgv/validate.js';
import { assertGolden } from '../../xds-server/src/testing/golden.js';
import { bootstrapJson, envoyBootstrap, type BootstrapOptions } from '../src/bootstrap.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../testdata/bootstrap');
const cases: Record<string, BootstrapOptions> = {
  'unix-socket': { nodeId: 'node-a', cluster: 'node-a', locality: { region: 'eu', zone: 'eu-1a' }, xdsAddress: 'unix:/run/nodemesh/xds.sock', adminPort: 15000 },
  tcp: { nodeId: 'node-b', cluster: 'node-b', xdsAddress: '127.0.0.1:18000', adminPort: 15000 },
};

describe('Envoy bootstrap', () => {
  for (const [name, opts] of Object.entries(cases)) {
    it(name, () => {
      const b = envoyBootstrap(opts);
      assert.deepEqual(validateAny('type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap', encodeMessage('envoy.config.bootstrap.v3.Bootstrap', b)), []);
      assertGolden(join(dir, `${name}.golden.json`), bootstrapJson(b) + '\n');
    });
  }
});

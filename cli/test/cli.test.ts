// The nodemesh command as a user runs it: one broken document among valid
// ones is reported precisely by `validate` (exit 1), while `xds-server` on the
// same directory serves the valid rest and says what it left out in `status`.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigDir, waitFor } from '../../xds-server/test/helpers.js';
import { freePort } from '../../tools/free-port.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '../../bin/nodemesh');

const GOOD = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec:
  clusterIP: 10.96.0.20
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
---
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: web-1, namespace: default }
spec: { address: 10.0.0.1, labels: { app: web } }
`;
const BROKEN = `apiVersion: v1
kind: Service
metadata: { name: api, namespace: shop }
spec:
  clusterIP: 10.96.0.21
  ports: [{ name: http, port: 80 }, { name: grpc, port: 70000 }]
`;
const BROKEN_LINE = /error: .*broken\.yaml#2 v1\/Service shop\/api: spec\.ports\[1\]\.port: .*65535/;

describe('nodemesh CLI', () => {
  const dir = new ConfigDir();
  dir.write('good.yaml', GOOD);
  dir.write('broken.yaml', `# a valid document first\n${GOOD.replace(/web/g, 'other').replace('10.96.0.20', '10.96.0.22')}---\n${BROKEN}`);
  let server: ChildProcess | undefined;
  after(() => {
    server?.kill('SIGTERM');
    dir.cleanup();
  });

  it('validate prints the precise error and exits non-zero', () => {
    const r = spawnSync(bin, ['validate', dir.path], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, BROKEN_LINE);
    assert.match(r.stdout, /2 services, 1 errors/);
  });

  it('validate exits 0 on a valid directory', () => {
    const ok = new ConfigDir();
    ok.write('good.yaml', GOOD);
    const r = spawnSync(bin, ['validate', ok.path], { encoding: 'utf8' });
    ok.cleanup();
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('xds-server serves the valid rest and reports the broken document in status', async () => {
    const admin = `127.0.0.1:${await freePort()}`;
    server = spawn(bin, ['xds-server', '--config', dir.path, '--listen', `unix:${join(dir.path, 'run/xds.sock')}`, '--admin', admin], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    server.stderr!.on('data', (c: Buffer) => (stderr += c));
    const status = await waitFor(
      'xds-server status',
      async () => {
        const res = await fetch(`http://${admin}/status`).catch(() => undefined);
        return res?.ok ? ((await res.json()) as { version: string | null; configErrors: string[]; snapshots: Record<string, { resources: Record<string, number> }> }) : undefined;
      },
      20_000,
    );
    assert.ok(status.version, 'a snapshot is published');
    assert.equal(status.snapshots.envoy!.resources.Cluster, 3, 'web, other, and the passthrough cluster');
    assert.equal(status.configErrors.length, 1);
    assert.match(status.configErrors[0]!, BROKEN_LINE);
    const line = stderr.split('\n').find((l) => l.includes('invalid configuration'));
    assert.ok(line, 'the error is logged');
    assert.doesNotThrow(() => JSON.parse(line!), 'logs are JSON lines');
    const text = spawnSync(bin, ['status', '--admin', admin], { encoding: 'utf8' }).stdout;
    assert.match(text, /config errors: 1/);
    assert.match(text, BROKEN_LINE);
  });
});

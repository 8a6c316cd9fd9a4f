// `nodemesh xds-server` + `nodemesh node-proxy --engine embedded`, as
// separate processes, carrying real HTTP and TCP traffic to service VIPs in
// a throwaway network namespace (an nft redirect stands in for the eBPF
// steering of #5). Needs root; skips with the reason otherwise.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { labUnavailable } from '../cli/src/lab.js';

const skip = labUnavailable();
if (skip) console.log(`# SKIPPED node-proxy e2e: ${skip}`);
const ns = `nmtest-np-${process.pid}`;
const fixture = fileURLToPath(new URL('./fixtures/node-proxy-lab.ts', import.meta.url));

const CONFIG = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec:
  clusterIP: 10.96.0.20
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: 8080, appProtocol: http }]
---
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: web-1, namespace: default }
spec: { address: 10.244.1.10, labels: { app: web }, weight: 3 }
---
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: web-2, namespace: default }
spec: { address: 10.244.1.11, labels: { app: web }, weight: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: db, namespace: default }
spec:
  clusterIP: 10.96.0.30
  selector: { app: db }
  ports: [{ name: tcp, port: 5432 }]
---
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: db-0, namespace: default }
spec: { address: 10.244.1.20, labels: { app: db } }
`;

describe('node proxy (embedded engine) on real traffic', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'nodemesh-e2e-'));
  before(() => {
    spawnSync('ip', ['netns', 'del', ns]);
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    writeFileSync(join(dir, 'mesh.yaml'), CONFIG);
  });
  after(() => {
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('routes HTTP by endpoint weight and TCP through tcp_proxy; a connection straight to the capture port is not looped', () => {
    const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', fixture, dir, join(dir, 'xds.sock')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const r = JSON.parse(out) as { counts: Record<string, number>; lastPath: string; tcpBytes: number; direct: string; captured: number };
    // Every client connection came in through the capture listener (VIP listeners are bind_to_port false).
    // (the HTTP client keeps its connection alive: at least one for HTTP, one for TCP)
    assert.ok(r.captured >= 2, `capture listener accepted ${r.captured} connections`);
    assert.deepEqual(Object.keys(r.counts).sort(), ['web-1', 'web-2'], JSON.stringify(r.counts));
    assert.ok(Math.abs(r.counts['web-1']! / 200 - 0.75) <= 0.1, `web-1 got ${r.counts['web-1']}/200, weight says 75%`);
    assert.equal(r.lastPath, '/path?q=1');
    assert.equal(r.tcpBytes, 100_000);
    assert.doesNotMatch(r.direct, /^HTTP 200/, 'no original destination: not forwarded back into the proxy');
  });
});

// The programs and the loader on the real kernel, without traffic (e2e/sockmap.test.ts
// has the traffic):
// - which of the steering program types BPF_PROG_TEST_RUN supports here;
// - connect4's decision (connect_decision.h) run in the kernel through a
//   raw_tp test program against the maps the loader wrote, case by case;
// - attach() idempotence and the one-message failures of preflight.
// Needs root and the built objects; skips with the reason otherwise.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Lab, labUnavailable } from '../../../e2e/lab/lab.js';
import { BpfError, testRun } from '../src/libbpf.js';
import { attach, loadWithPinnedMaps, type LoadedObject, Steering } from '../src/loader.js';
import { DEFAULT_OBJECTS_DIR, objectsMissing, OBJECTS, preflight } from '../src/preflight.js';
import { COUNTERS, ROLES, type CounterName, type Role } from '../src/structs.js';

const skip = labUnavailable() ?? objectsMissing(DEFAULT_OBJECTS_DIR, [...OBJECTS, 'test_connect4']);
if (skip) console.log(`# SKIPPED BPF kernel tests: ${skip}`);

const config = { proxy: { address: '127.0.0.1', port: 15001 }, sockmap: true };

describe('steering programs in the kernel', { skip }, () => {
  let lab: Lab;
  let steering: Steering;
  let probe: LoadedObject;
  const objects: LoadedObject[] = [];

  before(() => {
    lab = Lab.create('bpfunit');
    steering = attach({ cgroup: lab.cgroupDir, pinRoot: lab.pinRoot, config }).steering;
    probe = loadWithPinnedMaps(join(DEFAULT_OBJECTS_DIR, 'test_connect4.o'), lab.pinRoot);
  });
  after(() => {
    steering?.close();
    probe?.close();
    for (const o of objects) o.close();
    lab?.teardown();
  });

  it('reports which program types BPF_PROG_TEST_RUN supports on this kernel', (t) => {
    const results: string[] = [];
    let programs = 0;
    for (const object of OBJECTS) {
      const o = loadWithPinnedMaps(join(DEFAULT_OBJECTS_DIR, `${object}.o`), lab.pinRoot);
      objects.push(o);
      programs += o.programs.size;
      for (const [name, fd] of o.programs) {
        try {
          testRun(fd, Buffer.alloc(0));
          results.push(`${name}: supported`);
        } catch (e) {
          assert.ok(e instanceof BpfError, String(e));
          // ENOTSUPP (524): no test_run for the type; EINVAL: the type has one but wants other input.
          assert.ok(e.errno === 524 || e.errno === 22, `${name}: ${e.message}`);
          results.push(`${name}: ${e.errno === 524 ? 'not supported (ENOTSUPP)' : 'supported, rejected empty input (EINVAL)'}`);
        }
      }
    }
    t.diagnostic(`BPF_PROG_TEST_RUN on this kernel: ${results.join('; ')}`);
    // getpeername.o holds two programs (4 and 6); every other object one.
    assert.equal(programs, OBJECTS.length + 1);
    assert.equal(results.length, programs);
  });

  const decide = (role: Role, address: string, port: number): CounterName => {
    const ctx = Buffer.alloc(24);
    ctx.writeBigUInt64LE(BigInt(ROLES[role]), 0);
    ctx.writeBigUInt64LE(BigInt(Buffer.from(address.split('.').map(Number)).readUInt32LE(0)), 8);
    ctx.writeBigUInt64LE(BigInt(port), 16);
    const reason = testRun(probe.programs.get('nm_test_connect4')!, ctx);
    return COUNTERS[reason] ?? (`unknown ${reason}` as CounterName);
  };

  it("connect4's decision, run in the kernel against the maps the loader wrote", () => {
    steering.syncServices([
      { address: '10.96.0.20', port: 80 },
      { address: '10.96.5.1', port: 443 },
      { address: '10.96.0.30', port: 5432 },
    ]);
    assert.equal(decide('mesh', '10.96.0.20', 80), 'connect_redirected');
    assert.equal(decide('mesh', '10.96.0.20', 81), 'connect_not_service');
    assert.equal(decide('mesh', '10.96.0.21', 80), 'connect_not_service');
    assert.equal(decide('proxy', '10.96.0.20', 80), 'connect_from_proxy');
    assert.equal(decide('excluded', '10.96.0.20', 80), 'connect_excluded_cgroup');
    assert.equal(decide('none', '10.96.0.20', 80), 'connect_not_mesh');

    steering.setExclusions({ ports: [5432], cidrs: [{ address: '10.96.5.0', prefixLength: 24 }] });
    assert.equal(decide('mesh', '10.96.0.30', 5432), 'connect_excluded_port');
    assert.equal(decide('mesh', '10.96.5.1', 443), 'connect_excluded_cidr');
    assert.equal(decide('mesh', '10.96.0.20', 80), 'connect_redirected');
    steering.setExclusions({ ports: [], cidrs: [] });
    assert.equal(decide('mesh', '10.96.0.30', 5432), 'connect_redirected');

    // Incremental sync: only the difference changes.
    assert.deepEqual(steering.syncServices([{ address: '10.96.0.20', port: 80 }]), { added: 0, removed: 2, unchanged: 1 });
    assert.equal(decide('mesh', '10.96.0.30', 5432), 'connect_not_service');
    assert.equal(decide('mesh', '10.96.0.20', 80), 'connect_redirected');

    // Port 0 stands for every port of the address.
    steering.syncServices([
      { address: '10.96.0.20', port: 80 },
      { address: '10.96.9.9', port: 0 },
    ]);
    assert.equal(decide('mesh', '10.96.9.9', 1234), 'connect_redirected');
    assert.equal(decide('mesh', '10.96.9.10', 1234), 'connect_not_service');
    steering.syncServices([{ address: '10.96.0.20', port: 80 }]);

    steering.setConfig({ ...config, proxy: { address: '127.0.0.1', port: 0 } });
    assert.equal(decide('mesh', '10.96.0.20', 80), 'connect_no_config');
    steering.setConfig(config);
  });

  it('the role of a process is that of its deepest cgroup with one', () => {
    const mesh = join(lab.cgroupDir, 'mesh');
    const excluded = join(mesh, 'batch');
    mkdirSync(excluded, { recursive: true });
    steering.setCgroupRole(mesh, 'mesh');
    steering.setCgroupRole(excluded, 'excluded');
    const roles = new Map(steering.cgroupRoles().map((r) => [r.role, r.id]));
    assert.ok(roles.get('mesh') && roles.get('excluded') && roles.get('mesh') !== roles.get('excluded'));
    steering.setCgroupRole(excluded, 'none');
    assert.deepEqual(
      steering.cgroupRoles().map((r) => r.role),
      ['mesh'],
    );
  });

  it('attaching again reuses every pinned map and updates every link in place', () => {
    const again = attach({ cgroup: lab.cgroupDir, pinRoot: lab.pinRoot, config });
    again.steering.close();
    assert.ok(again.report.maps.every((m) => m.reused), JSON.stringify(again.report.maps));
    assert.deepEqual(
      again.report.programs.map((p) => `${p.name}:${p.link}`),
      ['nm_sk_msg:updated', 'nm_getsockopt:updated', 'nm_getpeername4:updated', 'nm_getpeername6:updated', 'nm_sockops:updated', 'nm_connect4:updated', 'nm_connect6:updated'],
    );
    // Map contents survived: the service set written before.
    assert.deepEqual(steering.services(), [{ address: '10.96.0.20', port: 80 }]);
  });

  it('attaching to another cgroup moves the cgroup links there', () => {
    const other = join(lab.cgroupDir, 'other-node');
    mkdirSync(other, { recursive: true });
    const before = steering.linkPins();
    const moved = attach({ cgroup: other, pinRoot: lab.pinRoot, config });
    moved.steering.close();
    assert.deepEqual(moved.report.removedLinks, before.filter((p) => p !== 'nm_sk_msg'));
    assert.equal(steering.linkPins().filter((p) => /_cg\d+$/.test(p)).length, 6);
    assert.ok(steering.linkPins().every((p) => !before.includes(p) || p === 'nm_sk_msg'));
    // Back, for the tests that follow.
    attach({ cgroup: lab.cgroupDir, pinRoot: lab.pinRoot, config }).steering.close();
  });

  it('fails with one message naming what is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodemesh-preflight-'));
    try {
      assert.match(preflight({ cgroup: dir, pinRoot: lab.pinRoot }) ?? '', /is not on a cgroup v2 hierarchy/);
      assert.match(preflight({ cgroup: join(dir, 'nope'), pinRoot: lab.pinRoot }) ?? '', /does not exist/);
      assert.match(preflight({ cgroup: lab.cgroupDir, pinRoot: lab.pinRoot, objectsDir: dir }) ?? '', /BPF objects not built .*npm run build:bpf/);
      assert.match(preflight({ cgroup: lab.cgroupDir, pinRoot: join(dir, 'pins') }) ?? '', /is not on a bpf filesystem/);
      assert.equal(preflight({ cgroup: lab.cgroupDir, pinRoot: lab.pinRoot }), undefined);
      assert.throws(() => attach({ cgroup: dir, pinRoot: lab.pinRoot, config }), { name: 'SteeringError', message: /cgroup v2/ });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

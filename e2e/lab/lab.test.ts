// The lab harness itself: teardown removes everything it made, also with
// processes still running, and leftovers of a crashed run (a lab prefix with a
// dead pid) are removed by the next run. Needs root; skips otherwise.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cgroup2Root, Lab, labUnavailable, removeLeftovers } from './lab.js';

const skip = labUnavailable() ?? (existsSync('/sys/fs/bpf') ? undefined : 'no /sys/fs/bpf');
if (skip) console.log(`# SKIPPED lab harness tests: ${skip}`);

const netnsList = () => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;

describe('e2e lab harness', { skip }, () => {
  it('teardown stops processes and removes namespaces and cgroups', async () => {
    const lab = Lab.create('selftest');
    const node = lab.addNode('n1');
    const child = node.spawn('sleep', ['600'], { cgroup: 'w/one', stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
    assert.match(spawnSync('cat', [join(node.cgroup('w/one'), 'cgroup.procs')], { encoding: 'utf8' }).stdout, new RegExp(`^${child.pid}$`, 'm'));
    const exited = new Promise((r) => child.once('exit', r));
    lab.teardown();
    await exited;
    assert.equal(existsSync(lab.cgroupDir), false);
    assert.doesNotMatch(netnsList(), new RegExp(node.netns));
  });

  it("removes a crashed run's leftovers (prefix with a dead pid) and keeps live ones", () => {
    const dead = spawnSync('true').pid!; // exited: its pid names a crashed run
    const name = `nmlab-${dead}-crashed`;
    spawnSync('ip', ['netns', 'add', `${name}-n1`]);
    mkdirSync(join(cgroup2Root()!, name, 'n1', 'w'), { recursive: true });
    mkdirSync(join('/sys/fs/bpf', name, 'maps'), { recursive: true });
    const live = Lab.create('live'); // also runs removeLeftovers()
    try {
      assert.equal(existsSync(join(cgroup2Root()!, name)), false);
      assert.equal(existsSync(join('/sys/fs/bpf', name)), false);
      assert.doesNotMatch(netnsList(), new RegExp(name));
      // This process's own lab is not a leftover.
      removeLeftovers();
      assert.equal(existsSync(live.cgroupDir), true);
    } finally {
      live.teardown();
    }
  });
});

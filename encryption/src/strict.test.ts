import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { run } from './exec.js';
import { applyStrict, removeStrict, strictDrops, strictRuleset } from './strict.js';

describe('strictRuleset', () => {
  it('drops and counts remote pod traffic not leaving through the tunnel, keeping local pods out', () => {
    const text = strictRuleset({ ifname: 'nm-wg0', localCIDRs: ['10.1.0.0/24'], remoteCIDRs: ['10.2.0.0/24', 'fd00:3::/64'] });
    assert.match(text, /^add table inet nodemesh_encryption\nadd counter inet nodemesh_encryption unencrypted_drops\n/);
    assert.match(text, /add element inet nodemesh_encryption local_v4 \{ 10.1.0.0\/24 \}/);
    assert.match(text, /add element inet nodemesh_encryption remote_v4 \{ 10.2.0.0\/24 \}/);
    assert.match(text, /add element inet nodemesh_encryption remote_v6 \{ fd00:3::\/64 \}/);
    assert.ok(!/add element inet nodemesh_encryption local_v6/.test(text), 'empty sets get no element statement');
    for (const hook of ['forward', 'output']) {
      assert.ok(text.includes(`add rule inet nodemesh_encryption ${hook} ip daddr @remote_v4 oifname != "nm-wg0" counter name unencrypted_drops drop`));
      assert.ok(text.includes(`flush chain inet nodemesh_encryption ${hook}`));
    }
    assert.ok(!text.includes('delete'), 'never deletes the table: the counter must survive updates');
  });
  it('refuses an interface name that could break out of the rule', () => {
    assert.throws(() => strictRuleset({ ifname: 'x" accept', localCIDRs: [], remoteCIDRs: [] }), /invalid interface name/);
  });

  const why = process.getuid?.() !== 0 ? 'needs root' : spawnSync('nft', ['--version']).status !== 0 ? 'needs nft (nftables)' : false;
  it('loads into nftables, keeps its counter across updates, and is removed', { skip: why }, async () => {
    const ns = `nm-strict-${process.pid}`;
    spawnSync('ip', ['netns', 'add', ns]);
    try {
      const inNs: typeof run = (cmd, args, opts) => run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
      await applyStrict(inNs, { ifname: 'wg0', localCIDRs: ['10.1.0.0/24'], remoteCIDRs: ['10.2.0.0/24'] });
      await applyStrict(inNs, { ifname: 'wg0', localCIDRs: ['10.1.0.0/24'], remoteCIDRs: ['10.2.0.0/24', '10.3.0.0/24', 'fd00:3::/64'] });
      assert.deepEqual(await strictDrops(inNs), { packets: 0, bytes: 0 });
      const listing = await inNs('nft', ['list', 'set', 'inet', 'nodemesh_encryption', 'remote_v4']);
      assert.match(listing, /10\.2\.0\.0\/24, 10\.3\.0\.0\/24|10\.2\.0\.0-10\.3\.0\.255/);
      await removeStrict(inNs);
      assert.equal(await strictDrops(inNs), undefined);
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
});

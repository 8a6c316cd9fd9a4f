// SO_ORIGINAL_DST recovery on a real kernel: a connection redirected by
// netfilter (nft REDIRECT in a throwaway network namespace) reports the
// address the client dialled. nodemesh's eBPF steering (#5) answers the same
// getsockopt, so this is the path both Envoy and the embedded engine use.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const ns = `nmtest-od-${process.pid}`;
const probe = fileURLToPath(new URL('./fixtures/original-dst-probe.ts', import.meta.url));
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip =
  process.getuid?.() !== 0 ? 'needs root (network namespaces, nftables)' : !has('nft') ? 'needs nft (Debian package nftables)' : !has('ip') ? 'needs ip (iproute2)' : undefined;
if (skip) console.log(`# SKIPPED original-dst: ${skip}`);

const sh = (...args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

describe('original destination (SO_ORIGINAL_DST)', { skip }, () => {
  before(() => {
    // A namespace left by a crashed run of this same pid is removed first.
    spawnSync('ip', ['netns', 'del', ns]);
    sh('ip', 'netns', 'add', ns);
    sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    sh('ip', '-n', ns, 'addr', 'add', '10.99.255.1/16', 'dev', 'lo');
    sh('ip', 'netns', 'exec', ns, 'nft', 'add table ip nmtest; add chain ip nmtest out { type nat hook output priority -100; }; add rule ip nmtest out ip daddr 10.99.0.0/24 tcp dport 80 redirect to :15001');
  });
  after(() => {
    spawnSync('ip', ['netns', 'del', ns]);
  });

  it('reports the dialled address of a redirected connection', () => {
    const out = sh('ip', 'netns', 'exec', ns, process.execPath, '--import', 'tsx', probe, '15001', '10.99.0.7:80');
    const got = JSON.parse(out) as { originalDst: { address: string; port: number } | null; local: string };
    assert.deepEqual(got.originalDst, { address: '10.99.0.7', port: 80 });
    assert.equal(got.local, '127.0.0.1:15001', 'the kernel delivered it to the proxy port');
  });

  it("reports nothing for a connection made straight to the proxy (conntrack reports the proxy's own address; using it would loop)", () => {
    const out = sh('ip', 'netns', 'exec', ns, process.execPath, '--import', 'tsx', probe, '15002', '127.0.0.1:15002');
    assert.equal((JSON.parse(out) as { originalDst: unknown }).originalDst, null);
  });
});

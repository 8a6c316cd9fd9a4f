import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandError, type Run } from './exec.js';
import { WireGuardDatapath, WireGuardUnavailableError } from './datapath.js';

type Call = { cmd: string; args: readonly string[] };

/** A fake `run` answering from a table: handler returns stdout or throws. */
function fake(handler: (c: Call) => string): { run: Run; calls: Call[] } {
  const calls: Call[] = [];
  const run: Run = async (cmd, args) => {
    calls.push({ cmd, args });
    return handler({ cmd, args });
  };
  return { run, calls };
}
const enoent = (c: Call) => new CommandError(c.cmd, c.args, 'ENOENT', `spawn ${c.cmd} ENOENT`);
const fail = (c: Call, stderr: string) => new CommandError(c.cmd, c.args, 2, stderr);
const cfg = { ifname: 'nm-wg0', listenPort: 51871, privateKeyPath: '/state/wireguard.key', publicKey: 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=' };

describe('WireGuardDatapath.ensure', () => {
  it('refuses with one message naming both missing implementations', async () => {
    const { run } = fake((c) => {
      if (c.cmd === 'wg') return 'wireguard-tools v1.0.20210914';
      if (c.cmd === 'ip' && c.args.includes('show')) throw fail(c, 'Device "nm-wg0" does not exist.');
      if (c.cmd === 'ip' && c.args.includes('add')) throw fail(c, 'Error: Unknown device type.');
      if (c.cmd === 'wireguard-go') throw enoent(c);
      throw new Error(`unexpected ${c.cmd} ${c.args.join(' ')}`);
    });
    await assert.rejects(new WireGuardDatapath(run, 'nm-wg0').ensure(cfg), (e: unknown) => {
      assert.ok(e instanceof WireGuardUnavailableError);
      assert.equal(
        e.message,
        'WireGuard is not available: the kernel has no WireGuard support (ip link add type wireguard: Error: Unknown device type.) and wireguard-go is not installed (Debian package wireguard-go)',
      );
      return true;
    });
  });

  it('refuses without wg (wireguard-tools)', async () => {
    const { run } = fake((c) => {
      throw enoent(c);
    });
    await assert.rejects(new WireGuardDatapath(run, 'nm-wg0').ensure(cfg), /needs the wg tool \(Debian package wireguard-tools\)/);
  });

  it('uses kernel WireGuard when the kernel has it, passing the key only as a file path', async () => {
    let created = false;
    const { run, calls } = fake((c) => {
      if (c.cmd === 'wg' && c.args[0] === '--version') return 'wireguard-tools';
      if (c.cmd === 'ip' && c.args.includes('show')) {
        if (!created) throw fail(c, 'does not exist');
        return JSON.stringify([{ linkinfo: { info_kind: 'wireguard' } }]);
      }
      if (c.cmd === 'ip' && c.args.includes('add')) {
        created = true;
        return '';
      }
      if (c.cmd === 'wg' && c.args[0] === 'show') return '(none)\t(none)\t0\toff\n';
      if (c.cmd === 'wg' && c.args[0] === 'set') return '';
      throw new Error(`unexpected ${c.cmd} ${c.args.join(' ')}`);
    });
    const r = await new WireGuardDatapath(run, 'nm-wg0').ensure(cfg);
    assert.deepEqual(r, { implementation: 'kernel', reused: false });
    assert.deepEqual(calls.find((c) => c.args[0] === 'link' && c.args[1] === 'add')?.args, ['link', 'add', 'dev', 'nm-wg0', 'type', 'wireguard']);
    assert.deepEqual(calls.at(-1), { cmd: 'wg', args: ['set', 'nm-wg0', 'listen-port', '51871', 'private-key', '/state/wireguard.key'] });
    assert.ok(!calls.some((c) => c.cmd === 'wireguard-go'));
  });

  it('reuses a live wireguard-go interface and changes nothing when key and port match (agent restart)', async () => {
    const { run, calls } = fake((c) => {
      if (c.cmd === 'wg' && c.args[0] === '--version') return 'wireguard-tools';
      if (c.cmd === 'ip' && c.args.includes('show')) return JSON.stringify([{ linkinfo: { info_kind: 'tun' } }]);
      if (c.cmd === 'wg' && c.args[0] === 'show' && c.args[2] === 'listen-port') return '51871\n';
      if (c.cmd === 'wg' && c.args[0] === 'show') return `(hidden)\t${cfg.publicKey}\t51871\toff\n`;
      throw new Error(`unexpected ${c.cmd} ${c.args.join(' ')}`);
    });
    assert.deepEqual(await new WireGuardDatapath(run, 'nm-wg0').ensure(cfg), { implementation: 'wireguard-go', reused: true });
    assert.ok(!calls.some((c) => c.args[0] === 'set' || c.args.includes('add') || c.args.includes('del')), calls.map((c) => `${c.cmd} ${c.args.join(' ')}`).join('\n'));
  });

  it('rejects interface names ip would not take (or that could smuggle arguments)', () => {
    assert.throws(() => new WireGuardDatapath(fake(() => '').run, 'a-very-long-interface'), /invalid interface name/);
    assert.throws(() => new WireGuardDatapath(fake(() => '').run, '-x'), /invalid interface name/);
  });
});

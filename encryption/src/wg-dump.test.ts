import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWgDump } from './wg-dump.js';

const PRIV = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const DUMP = [
  `${PRIV}\tHIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\t51871\toff`,
  'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\t(none)\t192.168.50.2:51871\t10.2.0.0/24,fd00:2::/64\t1700000000\t1024\t2048\toff',
  'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=\t(none)\t(none)\t(none)\t0\t0\t0\t25',
].join('\n');

describe('parseWgDump', () => {
  it('reads interface and peers, and drops the private key', () => {
    const d = parseWgDump(`${DUMP}\n`);
    assert.deepEqual(d.iface, { publicKey: 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=', listenPort: 51871, fwmark: undefined });
    assert.deepEqual(d.peers, [
      { publicKey: 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=', endpoint: '192.168.50.2:51871', allowedIPs: ['10.2.0.0/24', 'fd00:2::/64'], latestHandshake: 1700000000, rxBytes: 1024, txBytes: 2048, persistentKeepalive: undefined },
      { publicKey: 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=', endpoint: undefined, allowedIPs: [], latestHandshake: 0, rxBytes: 0, txBytes: 0, persistentKeepalive: 25 },
    ]);
    assert.ok(!JSON.stringify(d).includes(PRIV));
  });
  it('rejects output that is not a dump', () => {
    assert.throws(() => parseWgDump(''), /empty/);
    assert.throws(() => parseWgDump('interface: wg0\n'), /expected 4/);
  });
});

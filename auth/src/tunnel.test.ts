// TunnelWatch: what it writes into nm_auth_tunnel as the tunnel interface
// comes, goes and comes back with a new index. The lookup is injected here;
// the kernel's use of the entry is tested in bpf/sockmap/src/auth-ingress.test.ts
// and on real interfaces in e2e/auth-tunnel.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../xds-server/src/log.js';
import { interfaceIndex, TunnelWatch, type TunnelState } from './tunnel.js';

const quiet = createLogger({ write: () => {} });

describe('TunnelWatch', () => {
  it('without an interface: writes "not required" once, at start', () => {
    const writes: TunnelState[] = [];
    const w = new TunnelWatch({ interfaceName: undefined, write: (t) => writes.push(t), logger: quiet, lookup: () => assert.fail('no lookup without an interface') });
    w.start();
    w.check();
    w.stop();
    assert.deepEqual(writes, [{ required: false, ifindex: 0 }]);
    assert.deepEqual(w.state, { required: false, ifindex: 0 });
  });

  it('with an interface: required from the start, ifindex 0 while it is missing, then each new index once', () => {
    const writes: TunnelState[] = [];
    let index = 0;
    const w = new TunnelWatch({ interfaceName: 'nmwg0', write: (t) => writes.push(t), logger: quiet, lookup: (n) => (assert.equal(n, 'nmwg0'), index) });
    w.start();
    w.check();
    index = 7;
    w.check();
    w.check();
    index = 0; // the encryption agent re-creates the interface
    w.check();
    index = 9;
    w.check();
    w.stop();
    assert.deepEqual(writes, [
      { required: true, ifindex: 0 },
      { required: true, ifindex: 7 },
      { required: true, ifindex: 0 },
      { required: true, ifindex: 9 },
    ]);
    assert.deepEqual(w.state, { required: true, ifindex: 9, interface: 'nmwg0' });
  });

  it('interfaceIndex asks the kernel: lo is 1 in every network namespace, an unknown name 0', () => {
    assert.equal(interfaceIndex('lo'), 1);
    assert.equal(interfaceIndex('nm-no-such-if'), 0);
  });
});

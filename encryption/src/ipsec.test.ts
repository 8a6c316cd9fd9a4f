import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkIpsecKernel, directionSpi, ipsecConfig, ipsecRotation, IpsecUnavailableError, missingIpsecFeatures, pairKeyMaterial } from './ipsec.js';

const secret = Buffer.alloc(32, 7);
const n1 = { name: 'n1', tunnelEndpoint: '192.168.0.1', podCIDRs: ['10.1.0.0/24'] };
const n2 = { name: 'n2', tunnelEndpoint: '192.168.0.2', podCIDRs: ['10.2.0.0/24'] };
const n3 = { name: 'n3', tunnelEndpoint: '192.168.0.3', podCIDRs: ['10.3.0.0/24'] };

describe('ipsecConfig', () => {
  it('generates the exact ip xfrm states and policies for a node pair', () => {
    const [pair] = ipsecConfig(n1, [n2], { spi: 3, secret });
    const kOut = pairKeyMaterial({ spi: 3, secret }, 'n1', 'n2').toString('hex');
    const kIn = pairKeyMaterial({ spi: 3, secret }, 'n2', 'n1').toString('hex');
    assert.equal(kOut.length, 72, '32-byte AES-256 key + 4-byte salt');
    assert.notEqual(kOut, kIn, 'each direction has its own key');
    assert.deepEqual(pair, {
      peer: 'n2',
      states: [
        ['xfrm', 'state', 'add', 'src', '192.168.0.1', 'dst', '192.168.0.2', 'proto', 'esp', 'spi', '0x00100203', 'reqid', '4098', 'mode', 'tunnel', 'aead', 'rfc4106(gcm(aes))', `0x${kOut}`, '128'],
        ['xfrm', 'state', 'add', 'src', '192.168.0.2', 'dst', '192.168.0.1', 'proto', 'esp', 'spi', '0x00200103', 'reqid', '4098', 'mode', 'tunnel', 'aead', 'rfc4106(gcm(aes))', `0x${kIn}`, '128'],
      ],
      policies: [
        ['xfrm', 'policy', 'add', 'src', '10.1.0.0/24', 'dst', '10.2.0.0/24', 'dir', 'out', 'tmpl', 'src', '192.168.0.1', 'dst', '192.168.0.2', 'proto', 'esp', 'spi', '0x00100203', 'reqid', '4098', 'mode', 'tunnel'],
        ['xfrm', 'policy', 'add', 'src', '10.2.0.0/24', 'dst', '10.1.0.0/24', 'dir', 'in', 'tmpl', 'src', '192.168.0.2', 'dst', '192.168.0.1', 'proto', 'esp', 'reqid', '4098', 'mode', 'tunnel'],
        ['xfrm', 'policy', 'add', 'src', '10.2.0.0/24', 'dst', '10.1.0.0/24', 'dir', 'fwd', 'tmpl', 'src', '192.168.0.2', 'dst', '192.168.0.1', 'proto', 'esp', 'reqid', '4098', 'mode', 'tunnel'],
      ],
    });
  });

  it('is symmetric: what one node sends is what the other receives', () => {
    const a = ipsecConfig(n1, [n2, n3], { spi: 1, secret }).find((p) => p.peer === 'n3')!;
    const b = ipsecConfig(n3, [n2, n1], { spi: 1, secret }).find((p) => p.peer === 'n1')!;
    assert.deepEqual(a.states[0], b.states[1]);
    assert.deepEqual(a.states[1], b.states[0]);
  });

  it('rotates by SPI: new inbound states first, then the outbound switch, then old states go', () => {
    const r = ipsecRotation(n1, [n2], { spi: 1, secret }, { spi: 2, secret });
    assert.deepEqual(r.addInbound.map((a) => a[10]), ['0x00200102']);
    assert.deepEqual(r.switchOutbound.map((a) => `${a[1]} ${a[2]} ${a.includes('spi') ? a[a.indexOf('spi') + 1] : ''}`), ['state add 0x00100202', 'policy update 0x00100202']);
    assert.deepEqual(r.removeOld, [
      ['xfrm', 'state', 'delete', 'src', '192.168.0.1', 'dst', '192.168.0.2', 'proto', 'esp', 'spi', '0x00100201'],
      ['xfrm', 'state', 'delete', 'src', '192.168.0.2', 'dst', '192.168.0.1', 'proto', 'esp', 'spi', '0x00200101'],
    ]);
    assert.throws(() => ipsecRotation(n1, [n2], { spi: 1, secret }, { spi: 1, secret }), /new SPI/);
    assert.equal(directionSpi(255, 1, 2) & 0xff, 255);
  });
  it('refuses weak secrets and SPI 0', () => {
    assert.throws(() => pairKeyMaterial({ spi: 1, secret: Buffer.alloc(16) }, 'a', 'b'), /at least 32 bytes/);
    assert.throws(() => pairKeyMaterial({ spi: 0, secret }, 'a', 'b'), /SPI/);
  });
});

describe('IPsec kernel check', () => {
  it('names every missing kernel feature', () => {
    const cfg = 'CONFIG_XFRM=y\nCONFIG_XFRM_USER=y\n# CONFIG_INET_ESP is not set\nCONFIG_INET6_ESP=m\n# CONFIG_CRYPTO_GCM is not set\n';
    assert.deepEqual(missingIpsecFeatures(cfg, 'name         : aes\n'), ['CONFIG_INET_ESP (ESP for IPv4)', 'CONFIG_CRYPTO_GCM (AES-GCM (rfc4106) AEAD)']);
    assert.deepEqual(missingIpsecFeatures(cfg.replace('# CONFIG_INET_ESP is not set', 'CONFIG_INET_ESP=y'), 'name         : gcm(aes)\n'), []);
  });
  it('refuses to start with one message', () => {
    const files: Record<string, string> = { '/proc/sys/kernel/osrelease': '6.1.0\n', '/boot/config-6.1.0': 'CONFIG_XFRM_USER=y\n', '/proc/crypto': '' };
    assert.throws(
      () => checkIpsecKernel((p) => files[p]),
      (e: unknown) => e instanceof IpsecUnavailableError && e.message === 'IPsec mode cannot start: this kernel lacks CONFIG_INET_ESP (ESP for IPv4), CONFIG_INET6_ESP (ESP for IPv6), CONFIG_CRYPTO_GCM (AES-GCM (rfc4106) AEAD). Use --mode wireguard, or a kernel with these options.',
    );
    assert.throws(() => checkIpsecKernel(() => undefined), /not readable/);
  });
  it('on this machine: refuses or passes according to the real kernel config', () => {
    try {
      checkIpsecKernel();
      console.log('# this kernel has ESP, XFRM and GCM');
    } catch (e) {
      assert.ok(e instanceof IpsecUnavailableError);
      console.log(`# ${e.message}`);
    }
  });
});

// A real ClientHello from Node's TLS client, parsed as tls_inspector would.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { describe, it } from 'node:test';
import { parseClientHello } from './client-hello.js';

async function captureHello(opts: tls.ConnectionOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((s) => {
      s.once('data', (b: Buffer) => {
        resolve(b);
        s.destroy();
        server.close();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      const c = tls.connect({ ...opts, host: '127.0.0.1', port, rejectUnauthorized: false });
      c.on('error', () => {});
    });
    server.on('error', reject);
  });
}

describe('ClientHello inspection', () => {
  it('finds SNI and ALPN in a real ClientHello', async () => {
    const hello = await captureHello({ servername: 'Web.Default.svc', ALPNProtocols: ['h2', 'http/1.1'] });
    assert.deepEqual(parseClientHello(hello), { tls: true, serverName: 'web.default.svc', alpn: ['h2', 'http/1.1'] });
  });

  it('asks for more bytes while the record is incomplete', async () => {
    const hello = await captureHello({ servername: 'a.example' });
    assert.equal(parseClientHello(hello.subarray(0, 3)), undefined);
    assert.equal(parseClientHello(hello.subarray(0, hello.length - 10)), undefined);
  });

  it('says plaintext for HTTP and for empty-looking junk', () => {
    assert.deepEqual(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n')), { tls: false, alpn: [] });
    assert.deepEqual(parseClientHello(Buffer.from([0x16, 0x01, 0x00])), { tls: false, alpn: [] });
  });
});

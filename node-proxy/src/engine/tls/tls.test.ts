// Downstream TLS contexts, peer principals and SAN matchers, with real
// handshakes on loopback and certificates made by openssl.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { DownstreamTlsContext } from '../../../../api/src/generated/envoy/extensions/transport_sockets/tls/v3/DownstreamTlsContext.js';
import { decoded } from '../testing/decoded.js';
import type { Decoded } from '../types.js';
import { downstreamTlsContext, type DownstreamTls } from './downstream.js';
import { peerPrincipals } from './san.js';
import { createTestPki, hasOpenssl, type Pem, type TestPki } from './testing-certs.js';

const skip = hasOpenssl() ? false : 'openssl is not installed: cannot make test certificates';
const WEB = 'spiffe://cluster.local/ns/default/sa/web';
const CLIENT = 'spiffe://cluster.local/ns/default/sa/client';

const ctxOf = (c: DownstreamTlsContext) => decoded('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', c);

describe('downstream TLS', { skip }, () => {
  let pki: TestPki;
  let web: Pem;
  let client: Pem;
  let stranger: Pem;
  const servers: net.Server[] = [];
  const sockets = new Set<tls.TLSSocket>();

  before(() => {
    pki = createTestPki();
    web = pki.leaf('web', [`URI:${WEB}`, 'DNS:web.default.svc']);
    client = pki.leaf('client', [`URI:${CLIENT}`, 'DNS:client.default.svc']);
    stranger = pki.other('client', [`URI:${CLIENT}`]);
  });
  after(() => {
    for (const s of sockets) s.destroy();
    for (const s of servers) s.close();
    pki.cleanup();
  });

  /** A TLS server as a listener builds it: a TLSSocket per connection from the context, verifyPeer on 'secure'. */
  async function serve(built: DownstreamTls): Promise<{ port: number; results: (string | undefined)[] }> {
    const results: (string | undefined)[] = [];
    const server = net.createServer((raw) => {
      const s = new tls.TLSSocket(raw, { isServer: true, secureContext: built.secureContext, requestCert: built.requestCert, rejectUnauthorized: built.rejectUnauthorized, ALPNProtocols: built.alpn });
      sockets.add(s);
      s.on('error', () => results.push('handshake failed'));
      s.once('secure', () => {
        const reason = built.verifyPeer(s);
        results.push(reason);
        s.end(reason ? 'no' : `hi ${s.alpnProtocol || ''}`);
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { port: (server.address() as net.AddressInfo).port, results };
  }

  function connect(port: number, opts: tls.ConnectionOptions = {}): Promise<string> {
    return new Promise((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, ca: pki.ca.cert, checkServerIdentity: () => undefined, ...opts });
      sockets.add(s);
      let data = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (data += d));
      s.on('error', (e) => resolve(`error ${e.message}`));
      s.on('close', () => resolve(data || 'closed'));
    });
  }

  const withCa = (extra: DownstreamTlsContext = {}): DownstreamTlsContext => ({
    ...extra,
    common_tls_context: {
      tls_certificates: [{ certificate_chain: { inline_string: web.cert }, private_key: { inline_string: web.key } }],
      validation_context: { trusted_ca: { inline_string: pki.ca.cert }, match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { prefix: 'spiffe://cluster.local/' } }] },
      alpn_protocols: ['h2', 'http/1.1'],
      ...extra.common_tls_context,
    },
  });

  it('asks for a client certificate, accepts a valid one and a missing one, rejects an untrusted one', async () => {
    const built = downstreamTlsContext(ctxOf(withCa()), new Map());
    assert.ok(!('missing' in built));
    assert.equal(built.requestCert, true);
    assert.equal(built.rejectUnauthorized, false);
    assert.equal(built.minVersion, 'TLSv1.2');
    assert.equal(built.maxVersion, 'TLSv1.3');
    const { port, results } = await serve(built);
    assert.equal(await connect(port, { cert: client.cert, key: client.key, ALPNProtocols: ['h2'] }), 'hi h2');
    assert.equal(results.at(-1), undefined);
    assert.equal(await connect(port), 'hi ');
    assert.equal(results.at(-1), undefined, 'no certificate is fine without require_client_certificate');
    assert.equal(await connect(port, { cert: stranger.cert, key: stranger.key }), 'no');
    assert.match(results.at(-1)!, /rejected/);
  });

  it('require_client_certificate rejects a client without one in the handshake', async () => {
    const built = downstreamTlsContext(ctxOf(withCa({ require_client_certificate: { value: true } })), new Map());
    assert.ok(!('missing' in built));
    assert.equal(built.rejectUnauthorized, true);
    const { port, results } = await serve(built);
    assert.notEqual(await connect(port), 'hi ');
    assert.equal(await connect(port, { cert: client.cert, key: client.key }), 'hi ');
    assert.ok(results.includes('handshake failed'));
    // An untrusted certificate passes a hand-wrapped TLSSocket's handshake; verifyPeer catches it.
    assert.equal(await connect(port, { cert: stranger.cert, key: stranger.key }), 'no');
  });

  it('rejects a client whose SAN does not match', async () => {
    const built = downstreamTlsContext(
      ctxOf(withCa({ common_tls_context: { validation_context: { trusted_ca: { inline_string: pki.ca.cert }, match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact: WEB } }] } } })),
      new Map(),
    );
    assert.ok(!('missing' in built));
    const { port, results } = await serve(built);
    assert.equal(await connect(port, { cert: client.cert, key: client.key }), 'no');
    assert.match(results.at(-1)!, /SAN/);
  });

  it('reports missing SDS secrets, then builds once they arrive, and caches per secret version', () => {
    const ctx = ctxOf({ common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'server-cert' }], validation_context_sds_secret_config: { name: 'ca' } } });
    assert.deepEqual(downstreamTlsContext(ctx, new Map()), { missing: ['server-cert', 'ca'] });
    const secret = (name: string, body: object) => decoded('envoy.extensions.transport_sockets.tls.v3.Secret', { name, ...body });
    const secrets = new Map([
      ['server-cert', secret('server-cert', { tls_certificate: { certificate_chain: { inline_string: web.cert }, private_key: { inline_string: web.key } } })],
      ['ca', secret('ca', { validation_context: { trusted_ca: { inline_string: pki.ca.cert } } })],
    ]);
    const a = downstreamTlsContext(ctx, secrets);
    assert.ok(!('missing' in a));
    assert.equal(downstreamTlsContext(ctx, new Map(secrets)), a, 'same secrets: same context');
    secrets.set('ca', secret('ca', { validation_context: { trusted_ca: { inline_string: pki.ca.cert } } }));
    assert.notEqual(downstreamTlsContext(ctx, secrets), a, 'a rotated secret builds a new context');
  });

  it('peerPrincipals gives URI and DNS SANs and the subject in RFC 2253 order', async () => {
    let principals: ReturnType<typeof peerPrincipals> | undefined;
    const server = tls.createServer({ key: web.key, cert: web.cert, ca: pki.ca.cert, requestCert: true }, (s) => {
      sockets.add(s);
      principals = peerPrincipals(s.getPeerCertificate());
      s.end('x');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    await connect((server.address() as net.AddressInfo).port, { cert: client.cert, key: client.key });
    assert.deepEqual(principals, { uri: [CLIENT], dns: ['client.default.svc'], subject: 'CN=client,O=nodemesh-test' });
  });
});

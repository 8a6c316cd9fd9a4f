// Clusters with an UpstreamTlsContext against real TLS backends, with
// certificates made by openssl for the test.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { Cluster } from '../../../../api/src/generated/envoy/config/cluster/v3/Cluster.js';
import type { UpstreamTlsContext } from '../../../../api/src/generated/envoy/extensions/transport_sockets/tls/v3/UpstreamTlsContext.js';
import { any, decoded } from '../testing/decoded.js';
import { peerPrincipals } from '../tls/san.js';
import { createTestPki, hasOpenssl, type Pem, type TestPki } from '../tls/testing-certs.js';
import { UpstreamError, type Decoded } from '../types.js';
import { harness, send, staticCluster } from './testing.js';

const WEB = 'spiffe://cluster.local/ns/default/sa/web';
const CLIENT = 'spiffe://cluster.local/ns/default/sa/client';
const skip = hasOpenssl() ? false : 'openssl is not installed: cannot make test certificates';

function tlsSocket(ctx: UpstreamTlsContext): Cluster['transport_socket'] {
  return { name: 'envoy.transport_sockets.tls', typed_config: any('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', ctx) };
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

describe('upstream TLS', { skip }, () => {
  let pki: TestPki;
  let web: Pem;
  let wildcard: Pem;
  let stranger: Pem;
  let client: Pem;
  const servers: net.Server[] = [];
  const seen: { sni?: string; clientUri?: string[] }[] = [];
  const h = harness();
  let port: number;
  let wildcardPort: number;
  let strangerPort: number;
  let mtlsPort: number;
  let tls13Port: number;
  let h2Port: number;

  const httpsServer = async (pem: Pem, extra: https.ServerOptions = {}) => {
    const s = https.createServer({ ...pem, ...extra }, (req, res) => {
      const sock = req.socket as tls.TLSSocket;
      const cert = sock.getPeerCertificate();
      seen.push({ sni: (sock as tls.TLSSocket & { servername?: string }).servername || undefined, clientUri: cert && Object.keys(cert).length ? peerPrincipals(cert).uri : undefined });
      res.end('secure');
    });
    servers.push(s);
    return listen(s);
  };

  before(async () => {
    pki = createTestPki();
    web = pki.leaf('web', [`URI:${WEB}`, 'DNS:web.default.svc']);
    wildcard = pki.leaf('wild', ['DNS:*.default.svc']);
    stranger = pki.other('web', [`URI:${WEB}`]);
    client = pki.leaf('client', [`URI:${CLIENT}`]);
    port = await httpsServer(web);
    wildcardPort = await httpsServer(wildcard);
    strangerPort = await httpsServer(stranger);
    mtlsPort = await httpsServer(web, { ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true });
    tls13Port = await httpsServer(web, { minVersion: 'TLSv1.3' });
    const h2s = http2.createSecureServer({ ...web }, (req, res) => res.end(`h2:${req.httpVersion}`));
    servers.push(h2s);
    h2Port = await listen(h2s);
  });
  after(async () => {
    await h.cm.close();
    for (const s of servers) {
      (s as https.Server).closeAllConnections?.();
      s.close();
    }
    pki.cleanup();
  });

  const validated = (matchers: UpstreamTlsContext['common_tls_context']): UpstreamTlsContext => ({ common_tls_context: matchers });
  const trust = (uri?: string, dns?: string) => ({
    validation_context: {
      trusted_ca: { inline_string: pki.ca.cert },
      match_typed_subject_alt_names: [
        ...(uri ? [{ san_type: 'URI' as const, matcher: { exact: uri } }] : []),
        ...(dns ? [{ san_type: 'DNS' as const, matcher: { exact: dns } }] : []),
      ],
    },
  });
  const failure = async (name: string) => {
    try {
      await send(h.cluster(name));
    } catch (err) {
      assert.ok(err instanceof UpstreamError);
      return err;
    }
    assert.fail('expected a failure');
  };

  it('connects when the chain is trusted and a URI SAN matches; sends SNI only when configured', async () => {
    h.apply([staticCluster('ok', [{ port }], { transport_socket: tlsSocket({ sni: 'web.default.svc', common_tls_context: trust(WEB) }) })]);
    const r = await send(h.cluster('ok'));
    assert.equal(r.body, 'secure');
    assert.equal(seen.at(-1)!.sni, 'web.default.svc');
    h.apply([staticCluster('nosni', [{ port }], { transport_socket: tlsSocket({ common_tls_context: trust(WEB) }) })]);
    await send(h.cluster('nosni'));
    assert.equal(seen.at(-1)!.sni, undefined);
  });

  it('fails with connect_failure on a SAN mismatch or an untrusted chain', async () => {
    h.apply([
      staticCluster('mismatch', [{ port }], { transport_socket: tlsSocket(validated(trust('spiffe://cluster.local/ns/default/sa/other'))) }),
      staticCluster('untrusted', [{ port: strangerPort }], { transport_socket: tlsSocket(validated(trust(WEB))) }),
    ]);
    const e1 = await failure('mismatch');
    assert.equal(e1.reason, 'connect_failure');
    assert.match(e1.message, /SAN/);
    assert.equal(h.stat('envoy_cluster_upstream_cx_connect_fail', 'mismatch'), 1);
    assert.equal((await failure('untrusted')).reason, 'connect_failure');
  });

  it('without a validation context accepts any certificate, as Envoy', async () => {
    h.apply([staticCluster('open', [{ port: strangerPort }], { transport_socket: tlsSocket({}) })]);
    assert.equal((await send(h.cluster('open'))).body, 'secure');
  });

  it('an exact DNS matcher matches a wildcard certificate', async () => {
    h.apply([staticCluster('wild', [{ port: wildcardPort }], { transport_socket: tlsSocket(validated(trust(undefined, 'web.default.svc'))) })]);
    assert.equal((await send(h.cluster('wild'))).body, 'secure');
  });

  it('takes the client certificate and CA from SDS; fails with connect_failure until they arrive', async () => {
    const ctx: UpstreamTlsContext = {
      common_tls_context: {
        tls_certificate_sds_secret_configs: [{ name: 'client-cert' }],
        combined_validation_context: {
          default_validation_context: { match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { prefix: 'spiffe://cluster.local/' } }] },
          validation_context_sds_secret_config: { name: 'root-ca' },
        },
      },
    };
    const cluster = staticCluster('mtls', [{ port: mtlsPort }], { transport_socket: tlsSocket(ctx) });
    h.apply([cluster]);
    const early = await failure('mtls');
    assert.equal(early.reason, 'connect_failure');
    assert.match(early.message, /client-cert/);
    const secrets = new Map<string, Decoded>([
      ['client-cert', decoded('envoy.extensions.transport_sockets.tls.v3.Secret', { name: 'client-cert', tls_certificate: { certificate_chain: { inline_string: client.cert }, private_key: { inline_string: client.key } } })],
      ['root-ca', decoded('envoy.extensions.transport_sockets.tls.v3.Secret', { name: 'root-ca', validation_context: { trusted_ca: { inline_bytes: Buffer.from(pki.ca.cert) } } })],
    ]);
    h.apply([cluster], [], secrets);
    assert.equal((await send(h.cluster('mtls'))).body, 'secure');
    assert.deepEqual(seen.at(-1)!.clientUri, [CLIENT]);
  });

  it('offers TLS 1.2 only by default, as Envoy clients; tls_params can allow 1.3', async () => {
    h.apply([staticCluster('v12', [{ port: tls13Port }], { transport_socket: tlsSocket({}) })]);
    assert.equal((await failure('v12')).reason, 'connect_failure');
    h.apply([staticCluster('v13', [{ port: tls13Port }], { transport_socket: tlsSocket({ common_tls_context: { tls_params: { tls_maximum_protocol_version: 'TLSv1_3' } } }) })]);
    assert.equal((await send(h.cluster('v13'))).body, 'secure');
  });

  it('speaks HTTP/2 over TLS, offering h2 by ALPN when alpn_protocols is empty', async () => {
    const H2 = { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': any('envoy.extensions.upstreams.http.v3.HttpProtocolOptions', { explicit_http_config: { http2_protocol_options: {} } }) };
    h.apply([staticCluster('h2tls', [{ port: h2Port }], { typed_extension_protocol_options: H2, transport_socket: tlsSocket(validated(trust(WEB))) })]);
    assert.equal((await send(h.cluster('h2tls'))).body, 'h2:2.0');
  });

  it('connect() returns the TLS socket for tcp_proxy', async () => {
    h.apply([staticCluster('tcp', [{ port }], { transport_socket: tlsSocket(validated(trust(WEB))) })]);
    const { socket, host } = await h.cluster('tcp').connect({});
    assert.equal(host, `127.0.0.1:${port}`);
    assert.deepEqual(peerPrincipals((socket as tls.TLSSocket).getPeerCertificate()).uri, [WEB]);
    socket.destroy();
  });
});

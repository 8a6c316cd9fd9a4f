// The node auth agent, end to end on loopback: two agents (node-a on
// 127.0.0.1, node-b on 127.0.0.2), one configuration directory, one
// bring-your-own CA directory. Real files, real TLS 1.3, real HTTP admin.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatAuthStatus, runAuthStatus } from '../../cli/src/auth-status.js';
import { AuthAgent, type AuthAgentStatus } from './agent.js';
import { detach } from '../../bpf/sockmap/src/loader.js';
import { BPFFS, DEFAULT_OBJECTS_DIR, isBpffs, objectsMissing } from '../../bpf/sockmap/src/preflight.js';
import { BpfAuthMap } from './authmap/bpf.js';
import { InMemoryAuthMap } from './authmap/memory.js';
import { TrustStore } from './certs/trust.js';
import { StaticCertificateProvider } from './certs/provider.js';
import { issueCertificate } from './certs/x509.js';
import { initiateHandshake } from './handshake/client.js';
import { authorizePeer, computePlacement } from './placement.js';
import { captureLogger, HOUR, nodeDoc, waitFor } from './testing/fixtures.js';
import { X509Authority } from './certs/authority.js';
import { PrivateKeyPem } from './certs/secret.js';
import { emptyResources } from '../../crds/src/resources.js';
import { parseObject } from '../../crds/src/parse.js';
import type { KubeObject } from '../../crds/src/resources.js';
import { addToResources } from '../../crds/src/resources.js';
import { translateResources } from '../../xds-server/src/translate/kubernetes/translate.js';

const TD = 'mesh.example';

// node-b writes its entries into a pinned BPF auth map where the datapath can run here.
const bpfSkip =
  process.getuid?.() !== 0
    ? 'needs root (BPF maps)'
    : !existsSync(BPFFS) || !isBpffs(BPFFS)
      ? `bpffs is not mounted at ${BPFFS}`
      : objectsMissing(DEFAULT_OBJECTS_DIR, ['auth_ingress']);
if (bpfSkip) console.log(`# node-b uses an in-memory auth map; the BPF auth map check is skipped: ${bpfSkip}`);
const PIN_B = join(BPFFS, `nmlab-${process.pid}-auth-agent-b`);
const FRONTEND = `spiffe://${TD}/ns/shop/sa/frontend`;
const REVIEWS = `spiffe://${TD}/ns/shop/sa/reviews`;
const RATINGS = `spiffe://${TD}/ns/shop/sa/ratings`;

const WORKLOADS = `
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: frontend-1, namespace: shop }
spec: { address: 10.0.0.10, labels: { app: frontend }, serviceAccount: frontend, node: node-a }
---
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: ratings-1, namespace: shop }
spec: { address: 10.0.0.30, labels: { app: ratings }, serviceAccount: ratings, node: node-a }
---
apiVersion: nodemesh.io/v1alpha1
kind: Workload
metadata: { name: reviews-1, namespace: shop }
spec: { address: 10.0.0.20, labels: { app: reviews }, serviceAccount: reviews, node: node-b }
---
apiVersion: nodemesh.io/v1alpha1
kind: MeshPolicy
metadata: { name: reviews-mtls, namespace: shop }
spec:
  endpointSelector: { matchLabels: { app: reviews } }
  ingress:
    - fromEndpoints: [{ matchLabels: { app: frontend } }]
      authentication: { mode: required }
`;

describe('auth agent: two nodes on loopback', () => {
  const root = mkdtempSync(join(tmpdir(), 'nodemesh-auth-agent-'));
  const config = join(root, 'config');
  const caDir = join(root, 'ca');
  const logA = captureLogger();
  const logB = captureLogger();
  let a: AuthAgent;
  let b: AuthAgent;
  let caPem = '';
  let caKey: PrivateKeyPem;

  before(async () => {
    for (const d of [config, caDir]) rmSync(d, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(config);
    mkdirSync(caDir);
    // A bring-your-own root, as cert-manager would mount it: both agents sign with it.
    const now = Date.now();
    const ca = await issueCertificate({ subject: 'O=test, CN=shared root', uris: [`spiffe://${TD}`], notBefore: new Date(now - HOUR), notAfter: new Date(now + 24 * HOUR), isCa: true });
    caPem = ca.certPem;
    caKey = ca.key;
    writeFileSync(join(caDir, 'tls.crt'), ca.certPem);
    writeFileSync(join(caDir, 'tls.key'), ca.key.reveal(), { mode: 0o600 });
    writeFileSync(join(config, 'workloads.yaml'), WORKLOADS);
    const common = { configDir: config, trustDomain: TD, caDir, adminAddress: '127.0.0.1:0', providerMode: 'poll' as const, pollIntervalMs: 50 };
    // Ports are not known before listening, so the Node objects (with their auth ports) come after.
    a = new AuthAgent({ ...common, nodeName: 'node-a', stateDir: join(root, 'state-a'), listenHost: '127.0.0.1', listenPort: 0, logger: logA.logger });
    if (!bpfSkip) detach(PIN_B);
    b = new AuthAgent({ ...common, nodeName: 'node-b', stateDir: join(root, 'state-b'), listenHost: '127.0.0.2', listenPort: 0, logger: logB.logger, ...(!bpfSkip && { bpfPinRoot: PIN_B }) });
    await a.start();
    await b.start();
    const port = (x: AuthAgent) => Number(x.listenAddress.split(':').pop());
    writeFileSync(join(config, 'nodes.yaml'), `${nodeDoc('node-a', '127.0.0.1', port(a))}---\n${nodeDoc('node-b', '127.0.0.2', port(b))}`);
    for (const x of [a, b]) await waitFor('both Node objects', async () => Object.keys((await x.status()).nodes).length === 2);
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    if (!bpfSkip) detach(PIN_B);
    rmSync(root, { recursive: true, force: true });
  });

  it('issues SVIDs for exactly the identities the model places on each node, keys 0600', async () => {
    assert.deepEqual((await a.status()).identities, [FRONTEND, RATINGS]);
    assert.deepEqual((await b.status()).identities, [REVIEWS]);
    const dir = join(root, 'state-a', 'svids');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const keys = readdirSync(dir).filter((f) => f.endsWith('.key'));
    assert.equal(keys.length, 2);
    for (const k of keys) assert.equal(statSync(join(dir, k)).mode & 0o777, 0o600);
  });

  it('authenticates a flow between identities on the two nodes; auth status shows both entries', async () => {
    const d = await a.authenticateTo({ localIdentity: FRONTEND, destinationAddress: '10.0.0.20' });
    assert.ok(d.allowed, JSON.stringify(d));
    assert.equal(d.source, 'handshake');
    assert.deepEqual([d.entry.remoteIdentity, d.entry.remoteNode, d.entry.role], [REVIEWS, 'node-b', 'initiator']);
    // Later flows: answered from the map.
    const again = await a.authenticate({ localIdentity: FRONTEND, remoteIdentity: REVIEWS, remoteNode: 'node-b' });
    assert.ok(again.allowed && again.source === 'cache');

    let outA = '';
    await runAuthStatus({ admin: a.adminAddress }, (s) => (outA += s));
    assert.match(outA, /^node node-a {2}trust domain mesh\.example/);
    assert.match(outA, new RegExp(`^ {2}${FRONTEND.replace(/\./g, '\\.')} +${REVIEWS.replace(/\./g, '\\.')} +node-b +initiator +\\d+s`, 'm'));
    const sb = (await (await fetch(`http://${b.adminAddress}/status`)).json()) as AuthAgentStatus;
    const outB = formatAuthStatus(sb);
    assert.match(outB, new RegExp(`^ {2}${REVIEWS.replace(/\./g, '\\.')} +${FRONTEND.replace(/\./g, '\\.')} +node-a +responder`, 'm'));
    // node-b's requirement from the MeshPolicy: reviews requires mTLS from frontend.
    assert.match(outB, /required +spiffe:\/\/mesh\.example\/ns\/shop\/sa\/reviews at 10\.0\.0\.20 every port from spiffe:\/\/mesh\.example\/ns\/shop\/sa\/frontend/);
    const metrics = await (await fetch(`http://${b.adminAddress}/metrics`)).text();
    assert.match(metrics, /nodemesh_auth_handshakes_total\{role="responder",result="ok",reason=""\} 1/);
  });

  it("with --bpf-pin-root, the responder's entry is in the pinned BPF auth map the ingress check reads", { skip: bpfSkip }, async () => {
    await a.authenticateTo({ localIdentity: FRONTEND, destinationAddress: '10.0.0.20' });
    const pinned = await BpfAuthMap.open(PIN_B).list();
    const e = pinned.find((x) => x.localIdentity === REVIEWS && x.remoteIdentity === FRONTEND);
    assert.ok(e, JSON.stringify(pinned));
    assert.deepEqual([e.remoteNode, e.role], ['node-a', 'responder']);
    assert.ok(e.expiresAt > Date.now());
  });

  it('refuses a flow to an identity that is not on the target node, with the reason', async () => {
    // ratings lives on node-a; node-b holds no SVID for it.
    const d = await a.authenticate({ localIdentity: FRONTEND, remoteIdentity: RATINGS, remoteNode: 'node-b' });
    assert.ok(!d.allowed);
    assert.deepEqual([d.reason, d.by], ['no_svid', 'peer']);
    let out = '';
    await runAuthStatus({ admin: a.adminAddress }, (s) => (out += s));
    assert.match(out, /failures by reason: initiator: no_svid=1; responder: none/);
    let outB = '';
    await runAuthStatus({ admin: b.adminAddress }, (s) => (outB += s));
    assert.match(outB, /responder: no_svid=1/);
  });

  it("refuses an initiator whose identity the model does not place on the node it claims, or that connects from another node's address", async () => {
    const authority = await X509Authority.fromPem({ trustDomain: TD, certPem: caPem, keyPem: caKey });
    const trust = new TrustStore(TD);
    trust.setBundle(TD, caPem);
    const impostor = async (identity: string, localAddress: string) => {
      const svid = await authority.issueSvid(identity, { ttlMs: HOUR, now: new Date() });
      return initiateHandshake({
        localIdentity: identity,
        remoteIdentity: REVIEWS,
        remoteNode: 'node-b',
        nodeName: 'node-a',
        address: { host: '127.0.0.2', port: Number(b.listenAddress.split(':').pop()), localAddress },
        provider: new StaticCertificateProvider([svid]),
        trust,
        authMap: new InMemoryAuthMap(),
      });
    };
    // A valid SVID from the shared CA, for an identity that runs on node-b, not on node-a.
    const wrongNode = await impostor(REVIEWS, '127.0.0.1');
    assert.ok(!wrongNode.ok);
    assert.deepEqual([wrongNode.reason, wrongNode.by], ['peer_not_authorized', 'peer']);
    // frontend does run on node-a, but this connection does not come from node-a's address.
    const wrongAddress = await impostor(FRONTEND, '127.0.0.3');
    assert.ok(!wrongAddress.ok);
    assert.equal(wrongAddress.reason, 'peer_not_authorized');
    const refused = logB.records().filter((r) => r.role === 'responder' && r.reason === 'peer_not_authorized').map((r) => r.detail);
    assert.deepEqual(refused, [
      `${REVIEWS} is not a workload on node node-a in the mesh model`,
      "the connection comes from 127.0.0.3, but node node-a's address is 127.0.0.1",
    ]);
    const s = await b.status();
    assert.equal(s.failures.responder.peer_not_authorized, 2);
  });

  it("a per-connection request is admitted only for a tuple from the initiator's workload to the responder's, and leaves one connection entry", async () => {
    const flow = { localIdentity: FRONTEND, remoteIdentity: REVIEWS, remoteNode: 'node-b' };
    const tuple = { sourceAddress: '10.0.0.10', sourcePort: 40001, destinationAddress: '10.0.0.20', destinationPort: 8080 };
    const before = (await b.status()).connections;
    const ok = await a.authenticateConnection(flow, tuple);
    assert.ok(ok.allowed, JSON.stringify(ok));
    assert.equal((await b.status()).connections, before + 1);
    // ratings' address is on node-a but is not frontend's; frontend's address is not reviews'.
    const wrongSource = await a.authenticateConnection(flow, { ...tuple, sourceAddress: '10.0.0.30' });
    assert.ok(!wrongSource.allowed);
    assert.deepEqual([wrongSource.reason, wrongSource.by], ['peer_not_authorized', 'peer']);
    const wrongDestination = await a.authenticateConnection(flow, { ...tuple, destinationAddress: '10.0.0.10' });
    assert.ok(!wrongDestination.allowed && wrongDestination.reason === 'peer_not_authorized');
    assert.equal((await b.status()).connections, before + 1);
    // The policy here is per pair: the gate would take the pair path.
    assert.equal(a.scopeOf({ localIdentity: FRONTEND, remoteIdentity: REVIEWS, sourceAddress: '10.0.0.10', destinationAddress: '10.0.0.20', port: 8080 }), 'pair');
  });

  it('removes the SVID of a workload that leaves the node, and new flows to it fail', async () => {
    writeFileSync(join(config, 'workloads.yaml'), WORKLOADS.replace('node: node-b', 'node: node-c'));
    await waitFor('reviews removed from node-b', async () => (await b.status()).identities.length === 0);
    const d = await a.authenticate({ localIdentity: RATINGS, remoteIdentity: REVIEWS, remoteNode: 'node-b' });
    assert.ok(!d.allowed);
    assert.equal(d.reason, 'no_svid');
    // Removal deleted node-b's entries of reviews.
    assert.equal((await b.status()).entries.length, 0);
  });

  it('never logs or serves a private key', async () => {
    const served = [await (await fetch(`http://${a.adminAddress}/status`)).text(), await (await fetch(`http://${b.adminAddress}/status`)).text()];
    for (const text of [...logA.lines, ...logB.lines, ...served]) assert.ok(!text.includes('PRIVATE KEY'), text);
    assert.ok(logA.lines.length > 0 && logB.lines.length > 0);
  });
});

describe('authorizePeer', () => {
  it('checks node existence, identity placement and source address', () => {
    const resources = emptyResources();
    const docs: unknown[] = [
      { apiVersion: 'nodemesh.io/v1alpha1', kind: 'Workload', metadata: { name: 'w', namespace: 'ns' }, spec: { address: '10.0.0.1', serviceAccount: 'sa', node: 'n1' } },
      { apiVersion: 'nodemesh.io/v1alpha1', kind: 'Node', metadata: { name: 'n1' }, spec: { tunnelEndpoint: '192.0.2.1', podCIDRs: ['10.0.0.0/24'] } },
      { apiVersion: 'nodemesh.io/v1alpha1', kind: 'Node', metadata: { name: 'n2', annotations: { 'nodemesh.io/auth-port': 'x' } }, spec: { tunnelEndpoint: '192.0.2.2', podCIDRs: ['10.0.1.0/24'] } },
    ];
    for (const d of docs) {
      const r = parseObject(d, {});
      assert.ok(r.ok);
      addToResources(resources, (r as { object: KubeObject }).object);
    }
    const { model } = translateResources(resources, { trustDomain: 'td', clusterDomain: 'cluster.local' });
    const { placement, problems } = computePlacement(resources, model, 4250);
    assert.deepEqual(problems, ['Node n2: annotation nodemesh.io/auth-port "x" is not a port (1-65535); using 4250']);
    const id = 'spiffe://td/ns/ns/sa/sa';
    assert.equal(authorizePeer(placement, { remoteIdentity: id, remoteNode: 'n1', remoteAddress: '::ffff:192.0.2.1' }), undefined);
    assert.match(authorizePeer(placement, { remoteIdentity: id, remoteNode: 'n3', remoteAddress: '192.0.2.1' }) ?? '', /no Node object/);
    assert.match(authorizePeer(placement, { remoteIdentity: id, remoteNode: 'n2', remoteAddress: '192.0.2.2' }) ?? '', /not a workload on node n2/);
    assert.match(authorizePeer(placement, { remoteIdentity: id, remoteNode: 'n1', remoteAddress: '192.0.2.2' }) ?? '', /comes from 192\.0\.2\.2/);
  });
});



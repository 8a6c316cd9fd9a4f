// Pre-authentication (`nodemesh auth agent --preauthenticate`) on the netns
// lab: the pairs the policy names are authenticated when the configuration
// arrives, so the first connection of such a pair finds its entry in the
// connect hook and goes straight (never held by the gate, no handshake on its
// path). Per-connection ports are never pre-authenticated. A policy added
// later is pre-authenticated without a restart.
// Needs root, cgroup v2 and the built objects; skips with the reason otherwise.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_OBJECTS_DIR, objectsMissing } from '../bpf/sockmap/src/preflight.js';
import { waitFor } from '../auth/src/testing/fixtures.js';
import { AuthLab, authPolicy, spiffe, type LabClient } from './lab/auth-lab.js';
import type { Lines } from './lab/json-lines.js';
import { labUnavailable } from './lab/lab.js';

const skip = labUnavailable() ?? objectsMissing(DEFAULT_OBJECTS_DIR, ['auth_ingress', 'auth_connect4']);
if (skip) console.log(`# SKIPPED auth preauthentication e2e: ${skip}`);

const REVIEWS = '10.244.1.10';
const LEDGER = '10.244.1.11';
const CACHE = '10.244.1.12';
const FRONTEND = '10.244.2.10';
const policy = (name: string, app: string, port: number, scope?: 'connection') => authPolicy({ name, app, from: 'frontend', port, ...(scope ? { scope } : {}) });

interface Status {
  entries: { localIdentity: string; remoteIdentity: string; remoteNode: string; role: string }[];
  preauth?: { pairs: number; dropped: number; authenticated: number; refused: number };
  gate?: { held: number };
}

describe('auth preauthentication: the first connection of a pair the policy names goes straight', { skip }, () => {
  let al: AuthLab;
  let server: Lines;
  let client: LabClient;

  before(async () => {
    al = await AuthLab.create({
      tag: 'authpre',
      workloads: [
        { name: 'reviews-1', sa: 'reviews', address: REVIEWS, node: 'n1', app: 'reviews' },
        { name: 'ledger-1', sa: 'ledger', address: LEDGER, node: 'n1', app: 'ledger' },
        { name: 'cache-1', sa: 'cache', address: CACHE, node: 'n1', app: 'cache' },
        { name: 'frontend-1', sa: 'frontend', address: FRONTEND, node: 'n2', app: 'frontend' },
      ],
      policies: [policy('reviews-auth', 'reviews', 8080), policy('ledger-auth', 'ledger', 8443, 'connection')].join('---\n'),
      authArgs: ['--preauthenticate'],
    });
    server = await al.startServer(`${REVIEWS}:8080:echo,${LEDGER}:8443:echo,${CACHE}:6379:echo`);
    client = await al.startClient();
  });
  after(() => al?.teardown());

  const status = (n: typeof al.n1) => al.authStatus(n) as unknown as Status;
  const open = async (id: string, host: string, port: number) => {
    const r = await client.send({ op: 'open', id, host, port, local: FRONTEND, send: `${id}\n`, expect: `${id}\n`, timeoutMs: 5000 });
    await client.send({ op: 'close', id });
    return r.result;
  };

  it('before any connection: the pair frontend → reviews is authenticated on both nodes; the per-connection pair is not', async () => {
    // n1's agent may come up after n2's first pass: the retries back off (1, 2, 4 ... s), hence the long wait.
    await waitFor('the first pass', async () => status(al.n2).preauth?.authenticated === 1, 60_000);
    const s2 = status(al.n2);
    assert.deepEqual(s2.preauth && [s2.preauth.pairs, s2.preauth.dropped, s2.preauth.refused], [1, 0, 0]);
    assert.deepEqual(s2.entries.map((e) => [e.localIdentity, e.remoteIdentity, e.remoteNode, e.role]), [[spiffe('frontend'), spiffe('reviews'), 'n1', 'initiator']]);
    assert.deepEqual(status(al.n1).entries.map((e) => [e.localIdentity, e.remoteIdentity, e.role]), [[spiffe('reviews'), spiffe('frontend'), 'responder']]);
  });

  it("the pair's first connection goes straight: not held, no handshake; the per-connection port is still held", async () => {
    const [held, straight] = [al.count(al.n2, 'auth_connect_held'), al.count(al.n2, 'auth_connect_authenticated')];
    assert.equal(await open('first', REVIEWS, 8080), 'reply');
    assert.deepEqual([al.count(al.n2, 'auth_connect_held') - held, al.count(al.n2, 'auth_connect_authenticated') - straight], [0n, 1n]);
    assert.equal(status(al.n2).gate?.held, 0, 'the gate never saw it');
    assert.equal(await open('ledger', LEDGER, 8443), 'reply');
    assert.equal(al.count(al.n2, 'auth_connect_held') - held, 1n, 'per connection: held and authenticated on its own');
    assert.ok(server.count((l) => l.event === 'accepted' && l.port === 8080) >= 1);
  });

  it('a policy added to the configuration is pre-authenticated without a restart', async () => {
    writeFileSync(join(al.configDir, 'cache-policy.yaml'), policy('cache-auth', 'cache', 6379));
    await waitFor('the new pair', async () => status(al.n2).entries.some((e) => e.remoteIdentity === spiffe('cache')), 20_000);
    assert.equal(status(al.n2).preauth?.pairs, 2);
    const [held, straight] = [al.count(al.n2, 'auth_connect_held'), al.count(al.n2, 'auth_connect_authenticated')];
    // The bpf agent also has to have read the new requirement; until then the port requires nothing and the connection is not counted either way.
    await waitFor('the requirement in the datapath', async () => al.n2.dp.portMode(spiffe('cache'), 6379) === 'required', 20_000);
    assert.equal(await open('cache', CACHE, 6379), 'reply');
    assert.deepEqual([al.count(al.n2, 'auth_connect_held') - held, al.count(al.n2, 'auth_connect_authenticated') - straight], [0n, 1n]);
  });
});

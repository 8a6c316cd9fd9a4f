// The auth gate's per-connection path on loopback, without BPF: the original
// destination and the placement are stubs, the upstream is a local echo
// server. Asserts that each connection is authenticated with its own 4-tuple
// before the upstream connect, that the upstream connection leaves from
// exactly the authenticated source port, that a taken port costs a new port
// and a new handshake (bounded), and that the pair path is untouched.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../xds-server/src/log.js';
import type { AuthEntry, ConnectionTuple } from './authmap/types.js';
import { AuthGateServer, type AuthGateOptions } from './gate.js';
import type { AuthDecision, FlowKey } from './manager.js';

const SRC = '127.0.0.1';
const DST = '127.0.0.2';
const L = 'spiffe://td/ns/shop/sa/frontend';
const R = 'spiffe://td/ns/shop/sa/reviews';

const entry = (role: AuthEntry['role']): AuthEntry => ({
  localIdentity: L, remoteIdentity: R, remoteNode: 'n1', authType: 'spiffe-mtls',
  expiresAt: Date.now() + 60_000, authenticatedAt: Date.now(), role, localSerial: '01', remoteSerial: '02',
});
const allowed: AuthDecision = { allowed: true, entry: entry('initiator'), source: 'handshake' };

describe('auth gate: per-connection scope', () => {
  let upstream: net.Server;
  let upstreamPort: number;
  const seen: { remoteAddress: string; remotePort: number }[] = [];

  before(async () => {
    upstream = net.createServer((s) => {
      seen.push({ remoteAddress: s.remoteAddress ?? '', remotePort: s.remotePort ?? 0 });
      s.on('error', () => {});
      s.on('data', (d) => s.write(d));
    });
    upstream.listen(0, DST);
    await once(upstream, 'listening');
    upstreamPort = (upstream.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => upstream.close(() => r())));

  async function withGate(o: Partial<AuthGateOptions>, run: (port: number, lines: Record<string, unknown>[]) => Promise<void>): Promise<void> {
    const lines: Record<string, unknown>[] = [];
    const gate = new AuthGateServer({
      nodeName: 'n2',
      lookup: (a) => (a === SRC ? { identity: L, node: 'n2' } : a === DST ? { identity: R, node: 'n1' } : undefined),
      authenticate: async () => allowed,
      originalDst: () => ({ address: DST, port: upstreamPort }),
      logger: createLogger({ write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) }),
      ...o,
    });
    const { port } = await gate.listen(0, SRC);
    try {
      await run(port, lines);
    } finally {
      await gate.close();
    }
  }

  /** What came back ('' when the gate reset the connection). */
  function roundTrip(gatePort: number, msg: string): Promise<string> {
    return new Promise((resolve) => {
      const s = net.connect({ host: SRC, port: gatePort, localAddress: SRC });
      let got = '';
      s.on('data', (d) => {
        got += d.toString();
        if (got.includes(msg)) (s.destroy(), resolve(got));
      });
      s.on('error', () => resolve(got));
      s.on('close', () => resolve(got));
      s.write(msg);
    });
  }

  test('each connection: its own authentication with its tuple, then the upstream from exactly that source port', async () => {
    const calls: { flow: FlowKey; tuple: ConnectionTuple }[] = [];
    let pairCalls = 0;
    seen.length = 0;
    await withGate(
      {
        scopeOf: () => 'connection',
        authenticate: async () => (pairCalls++, allowed),
        authenticateConnection: async (flow, tuple) => {
          calls.push({ flow, tuple });
          return allowed;
        },
      },
      async (port, lines) => {
        for (const m of ['a', 'b', 'c']) assert.equal(await roundTrip(port, m), m);
        assert.equal(pairCalls, 0, 'never the pair path');
        assert.equal(calls.length, 3);
        assert.deepEqual(calls[0]!.flow, { localIdentity: L, remoteIdentity: R, remoteNode: 'n1' });
        for (const c of calls) {
          assert.equal(c.tuple.sourceAddress, SRC);
          assert.equal(c.tuple.destinationAddress, DST);
          assert.equal(c.tuple.destinationPort, upstreamPort);
          assert.ok(c.tuple.sourcePort >= 20000 && c.tuple.sourcePort <= 59999);
        }
        assert.deepEqual(
          seen.map((s) => `${s.remoteAddress}:${s.remotePort}`),
          calls.map((c) => `${SRC}:${c.tuple.sourcePort}`),
          'the receiver sees exactly the authenticated tuples',
        );
        const flows = lines.filter((l) => l.msg === 'auth flow');
        assert.equal(flows.length, 3);
        for (const [i, f] of flows.entries()) {
          assert.equal(f.scope, 'connection');
          assert.equal(f.verdict, 'forwarded');
          assert.equal(f.connection, `${SRC}:${calls[i]!.tuple.sourcePort}>${DST}:${upstreamPort}`);
        }
      },
    );
  });

  test('a taken source port: another port and another handshake, at most connectionPortAttempts times, then refused', async () => {
    const blocker = net.createServer();
    blocker.listen(0, SRC);
    await once(blocker, 'listening');
    const taken = (blocker.address() as AddressInfo).port;
    const tuples: ConnectionTuple[] = [];
    try {
      await withGate(
        {
          scopeOf: () => 'connection',
          authenticateConnection: async (_f, t) => (tuples.push(t), allowed),
          connectionPorts: { min: taken, max: taken },
          connectionPortAttempts: 3,
        },
        async (port, lines) => {
          assert.equal(await roundTrip(port, 'x'), '', 'reset, nothing echoed');
          await new Promise((r) => setTimeout(r, 50));
          assert.equal(tuples.length, 3);
          assert.ok(tuples.every((t) => t.sourcePort === taken));
          const f = lines.find((l) => l.msg === 'auth flow');
          assert.equal(f?.verdict, 'refused');
          assert.equal(f?.reason, 'upstream_failed');
        },
      );
    } finally {
      blocker.close();
    }
  });

  test('a refused connection authentication resets the connection, with the tuple in the flow log', async () => {
    await withGate(
      {
        scopeOf: () => 'connection',
        authenticateConnection: async () => ({ allowed: false, reason: 'peer_not_authorized', by: 'peer', detail: 'no' }),
      },
      async (port, lines) => {
        assert.equal(await roundTrip(port, 'x'), '');
        await new Promise((r) => setTimeout(r, 50));
        const f = lines.find((l) => l.msg === 'auth flow');
        assert.equal(f?.reason, 'peer_not_authorized');
        assert.match(String(f?.connection), /^127\.0\.0\.1:\d+>127\.0\.0\.2:\d+$/);
      },
    );
  });

  test('an open connection is renewed before its entry expires (same tuple, marked renewal); a renewal refused for cause resets it', async () => {
    const calls: { tuple: ConnectionTuple; renewal: boolean }[] = [];
    let refuseRenewals = false;
    await withGate(
      {
        scopeOf: () => 'connection',
        renewMarginMs: 100,
        authenticateConnection: async (_f, tuple, opts) => {
          calls.push({ tuple, renewal: !!opts?.renewal });
          if (refuseRenewals && opts?.renewal) return { allowed: false, reason: 'peer_not_authorized', by: 'peer', detail: 'revoked meanwhile' };
          const now = Date.now();
          return { allowed: true, entry: { ...entry('initiator'), authenticatedAt: now, expiresAt: now + 250 }, source: 'handshake' };
        },
      },
      async (port, lines) => {
        const s = net.connect({ host: SRC, port, localAddress: SRC });
        s.on('error', () => {});
        const echo = (m: string) =>
          new Promise<string>((resolve) => {
            let got = '';
            const on = (d: Buffer) => {
              got += d.toString();
              if (got.includes(m)) (s.off('data', on), resolve(got));
            };
            s.on('data', on);
            s.write(m);
          });
        assert.equal(await echo('one'), 'one');
        await new Promise((r) => setTimeout(r, 600));
        assert.equal(await echo('two'), 'two', 'still open after its first entry expired');
        assert.ok(calls.length >= 3, JSON.stringify(calls));
        assert.equal(calls[0]!.renewal, false);
        assert.ok(calls.slice(1).every((c) => c.renewal && JSON.stringify(c.tuple) === JSON.stringify(calls[0]!.tuple)));
        assert.ok(lines.some((l) => l.verdict === 'renewed'));
        refuseRenewals = true;
        await new Promise((r) => s.once('close', r));
        const reset = lines.find((l) => l.verdict === 'reset');
        assert.equal(reset?.reason, 'peer_not_authorized');
      },
    );
  });

  test('scope pair (or no per-connection authenticator): the pair path, from an ephemeral port', async () => {
    let pairCalls = 0;
    await withGate({ scopeOf: () => 'pair', authenticate: async () => (pairCalls++, allowed), authenticateConnection: async () => assert.fail('not per connection') }, async (port, lines) => {
      assert.equal(await roundTrip(port, 'p'), 'p');
      assert.equal(pairCalls, 1);
      assert.equal(lines.find((l) => l.msg === 'auth flow')?.scope, 'pair');
    });
    await withGate({ scopeOf: () => 'connection', authenticate: async () => (pairCalls++, allowed) }, async (port) => {
      assert.equal(await roundTrip(port, 'q'), 'q');
      assert.equal(pairCalls, 2);
    });
  });
});

describe('auth gate: connection life', () => {
  // Answers only once the client has finished sending (its FIN): what a client that half-closes relies on.
  let upstream: net.Server;
  let upstreamPort: number;
  before(async () => {
    upstream = net.createServer({ allowHalfOpen: true }, (s) => {
      let n = 0;
      s.on('error', () => {});
      s.on('data', (d) => (n += d.length));
      s.on('end', () => s.end(`got ${n}`));
    });
    upstream.listen(0, DST);
    await once(upstream, 'listening');
    upstreamPort = (upstream.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => upstream.close(() => r())));

  const gateWith = (o: Partial<AuthGateOptions>, lines: Record<string, unknown>[]) =>
    new AuthGateServer({
      nodeName: 'n2',
      lookup: (a) => (a === SRC ? { identity: L, node: 'n2' } : a === DST ? { identity: R, node: 'n1' } : undefined),
      authenticate: async () => allowed,
      originalDst: () => ({ address: DST, port: upstreamPort }),
      logger: createLogger({ write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) }),
      ...o,
    });

  test('a client that half-closes after its request still gets the answer through the gate', async () => {
    const lines: Record<string, unknown>[] = [];
    const gate = gateWith({}, lines);
    const { port } = await gate.listen(0, SRC);
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const s = net.connect({ host: SRC, port, localAddress: SRC, allowHalfOpen: true });
        let got = '';
        s.on('data', (d) => (got += d.toString()));
        s.on('end', () => resolve(got));
        s.on('error', reject);
        s.end('request of 19 bytes');
      });
      assert.equal(answer, 'got 19');
      assert.equal(lines.find((l) => l.msg === 'auth flow')?.verdict, 'forwarded');
    } finally {
      await gate.close();
    }
  });

  test('bytes and a FIN sent while the connection is held are delivered once the pair is authenticated', async () => {
    const lines: Record<string, unknown>[] = [];
    let release: () => void = () => {};
    const gate = gateWith({ authenticate: () => new Promise((r) => (release = () => r(allowed))) }, lines);
    const { port } = await gate.listen(0, SRC);
    try {
      const s = net.connect({ host: SRC, port, localAddress: SRC, allowHalfOpen: true });
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      const ended = once(s, 'end');
      await once(s, 'connect');
      s.end('early bytes');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(lines.length, 0, 'still held');
      release();
      await ended;
      assert.equal(got, 'got 11', 'nothing lost: the request, then the answer');
      assert.equal(lines.find((l) => l.msg === 'auth flow')?.verdict, 'forwarded');
    } finally {
      await gate.close();
    }
  });
});

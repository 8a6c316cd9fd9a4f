// Feature-matrix proofs for tcp_proxy: weighted clusters, idle timeout,
// access logs, connect attempts and stat tags, at real sockets.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packAny } from '../../api/src/any.js';
import type { Listener } from '../../api/src/generated/envoy/config/listener/v3/Listener.js';
import type { TcpProxy } from '../../api/src/generated/envoy/extensions/filters/network/tcp_proxy/v3/TcpProxy.js';
import { EngineUnderTest, staticCluster, tcpEchoBackend, waitFor } from './engine-harness.js';

const TCP_PROXY = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

function listener(name: string, cfg: TcpProxy): Listener {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: packAny(TCP_PROXY, cfg) }] }],
  };
}

/** A TCP server that writes its name to every connection and closes it. */
async function nameServer(name: string): Promise<{ port: number; close(): void }> {
  const server = net.createServer((s) => s.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

/** Connects, optionally writes, and returns what arrived before the connection closed and how long it lasted. */
function exchange(port: number, write?: string, limitMs = 5000): Promise<{ data: string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const s = net.connect(port, '127.0.0.1', () => write !== undefined && s.write(write));
    let data = '';
    const timer = setTimeout(() => s.destroy(), limitMs);
    s.setEncoding('utf8');
    s.on('data', (d: string) => (data += d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ data, ms: Date.now() - started });
    });
  });
}

describe('engine features: tcp_proxy', () => {
  const e = new EngineUnderTest();
  const dir = mkdtempSync(join(tmpdir(), 'nodemesh-tcp-features-'));
  const logPath = join(dir, 'tcp.log');
  let one: Awaited<ReturnType<typeof nameServer>>;
  let three: Awaited<ReturnType<typeof nameServer>>;
  let echo: Awaited<ReturnType<typeof tcpEchoBackend>>;
  let deadPort: number;

  before(async () => {
    [one, three, echo] = await Promise.all([nameServer('one'), nameServer('three'), tcpEchoBackend()]);
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const accessLog = [
      {
        name: 'envoy.access_loggers.file',
        typed_config: packAny('envoy.extensions.access_loggers.file.v3.FileAccessLog', {
          path: logPath,
          log_format: {
            json_format: {
              fields: {
                cluster: { stringValue: '%UPSTREAM_CLUSTER%' },
                received: { stringValue: '%BYTES_RECEIVED%' },
                sent: { stringValue: '%BYTES_SENT%' },
                upstream: { stringValue: '%UPSTREAM_HOST%' },
              },
            },
          },
        }),
      },
    ];
    await e.start({
      clusters: [
        staticCluster('one', [one.port]),
        staticCluster('three', [three.port]),
        staticCluster('echo', [echo.port]),
        // Round robin over a dead port and the echo server: every other first attempt fails.
        staticCluster('half-dead', [deadPort, echo.port]),
      ],
      listeners: [
        listener('weighted', { stat_prefix: 'weighted', weighted_clusters: { clusters: [{ name: 'one', weight: 1 }, { name: 'three', weight: 3 }] } }),
        listener('idle', { stat_prefix: 'idle_tcp', cluster: 'echo', idle_timeout: { nanos: 200_000_000 }, access_log: accessLog }),
        listener('once', { stat_prefix: 'once', cluster: 'half-dead' }),
        listener('twice', { stat_prefix: 'twice', cluster: 'half-dead', max_connect_attempts: { value: 2 } }),
      ],
    });
  });
  after(async () => {
    await e.stop();
    one.close();
    three.close();
    await echo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('weighted_clusters picks a cluster per connection by weight (1:3 over 200 connections)', async () => {
    const counts: Record<string, number> = { one: 0, three: 0 };
    for (let i = 0; i < 200; i++) counts[(await exchange(e.port('weighted'))).data]!++;
    assert.equal(counts.one! + counts.three!, 200);
    assert.ok(Math.abs(counts.three! / 200 - 0.75) <= 0.1, `three got ${counts.three}/200, weight says 75%`);
  });

  it('idle_timeout closes a connection with no bytes either way', async () => {
    const r = await exchange(e.port('idle'), 'ping');
    assert.equal(r.data, 'ping');
    assert.ok(r.ms >= 150 && r.ms < 3000, `closed after ${r.ms} ms (idle_timeout 200 ms)`);
    assert.equal(e.stat('envoy_tcp_idle_timeout', { envoy_tcp_prefix: 'idle_tcp' }), 1);
  });

  it('access_log writes one line per connection with its cluster, host and byte counts', async () => {
    const line = await waitFor('the log line', () =>
      readFileSync(logPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .at(0),
    );
    assert.deepEqual(line, { cluster: 'echo', received: 4, sent: 4, upstream: `127.0.0.1:${echo.port}` });
  });

  it('max_connect_attempts retries a failed connect on the next host', async () => {
    const once: string[] = [];
    const twice: string[] = [];
    for (let i = 0; i < 6; i++) once.push((await exchange(e.port('once'), 'x', 1000)).data);
    for (let i = 0; i < 6; i++) twice.push((await exchange(e.port('twice'), 'x', 1000)).data);
    assert.ok(once.includes(''), `one attempt: some connections fail (${JSON.stringify(once)})`);
    assert.deepEqual(twice, ['x', 'x', 'x', 'x', 'x', 'x'], 'two attempts: every connection reaches the echo server');
  });

  it('stat_prefix tags the tcp_proxy stats', () => {
    assert.equal(e.stat('envoy_tcp_downstream_cx_total', { envoy_tcp_prefix: 'weighted' }), 200);
    assert.ok(e.stat('envoy_tcp_upstream_cx_connect_fail', { envoy_tcp_prefix: 'once' }) >= 1);
  });
});

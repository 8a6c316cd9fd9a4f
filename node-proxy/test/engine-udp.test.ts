// UDP listeners and udp_proxy in the embedded engine, at real UDP sockets on
// loopback, programmed over real xDS: sessions per downstream address:port,
// load balancing per session, replies to the right client, idle timeout,
// Envoy's udp stats, drops, listener update/removal and what is NACKed.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { packAny } from '../../api/src/any.js';
import type { Cluster } from '../../api/src/generated/envoy/config/cluster/v3/Cluster.js';
import type { Listener } from '../../api/src/generated/envoy/config/listener/v3/Listener.js';
import type { UdpProxyConfig } from '../../api/src/generated/envoy/extensions/filters/udp/udp_proxy/v3/UdpProxyConfig.js';
import { EngineAdmin } from '../src/engine/admin.js';
import type { StaticResources } from '../src/engine/testing/static-xds.js';
import { EngineUnderTest, staticCluster, tcpListener, waitFor } from './engine-harness.js';

const UDP_PROXY = 'envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig';
const UDP_ROUTE = 'envoy.extensions.filters.udp.udp_proxy.v3.Route';

/** A udp_proxy routed the way the Gateway API translation emits it: matcher → on_no_match → Route. */
function viaMatcher(statPrefix: string, cluster: string, extra: Partial<UdpProxyConfig> = {}): UdpProxyConfig {
  return { stat_prefix: statPrefix, matcher: { on_no_match: { action: { name: 'route', typed_config: packAny(UDP_ROUTE, { cluster }) } } }, ...extra };
}

function udpListener(name: string, proxy: UdpProxyConfig, extra: Partial<Listener> = {}): Listener {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0, protocol: 'UDP' } },
    udp_listener_config: {},
    listener_filters: [{ name: 'envoy.filters.udp_listener.udp_proxy', typed_config: packAny(UDP_PROXY, proxy) }],
    ...extra,
  };
}

/** The endpoints marked protocol UDP, as nodemesh's xDS translator emits them for UDP ports (Envoy ignores it there). */
function udpEndpoints(c: Cluster): Cluster {
  for (const group of c.load_assignment?.endpoints ?? [])
    for (const lb of group.lb_endpoints ?? []) {
      const sa = lb.endpoint?.address?.socket_address;
      if (sa) sa.protocol = 'UDP';
    }
  return c;
}

interface UdpServer {
  name: string;
  port: number;
  /** Source ports the server saw datagrams from: one per upstream socket. */
  sources: Set<number>;
  close(): Promise<void>;
}

/** Answers every datagram with "<name>:<datagram>"; a datagram "big" gets 2,000 bytes back. */
async function udpServer(name: string): Promise<UdpServer> {
  const socket = dgram.createSocket('udp4');
  const s: UdpServer = { name, port: 0, sources: new Set(), close: () => new Promise((r) => socket.close(() => r())) };
  socket.on('message', (msg, rinfo) => {
    s.sources.add(rinfo.port);
    const reply = msg.toString() === 'big' ? Buffer.alloc(2000, 'b') : Buffer.from(`${name}:${msg.toString()}`);
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  s.port = socket.address().port;
  return s;
}

/** A downstream client on its own socket (its own address:port, hence its own session). */
class Client {
  private readonly socket = dgram.createSocket('udp4');
  private readonly inbox: string[] = [];
  private waiter?: () => void;

  async open(): Promise<this> {
    this.socket.on('message', (m) => {
      this.inbox.push(m.toString());
      this.waiter?.();
    });
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', r));
    return this;
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(port: number, msg: string | Buffer): void {
    this.socket.send(msg, port, '127.0.0.1');
  }

  /** Sends `msg` and returns the next datagram that arrives, or undefined after `timeoutMs`. */
  async ask(port: number, msg: string | Buffer, timeoutMs = 3000): Promise<string | undefined> {
    this.send(port, msg);
    return this.next(timeoutMs);
  }

  next(timeoutMs: number): Promise<string | undefined> {
    if (this.inbox.length) return Promise.resolve(this.inbox.shift());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(this.inbox.shift());
      };
    });
  }

  close(): void {
    this.socket.close();
  }
}

describe('embedded engine: UDP listeners and udp_proxy', () => {
  const e = new EngineUnderTest();
  let a: UdpServer;
  let one: UdpServer;
  let two: UdpServer;
  let three: UdpServer;
  let four: UdpServer;
  const clients: Client[] = [];
  const client = async () => {
    const c = await new Client().open();
    clients.push(c);
    return c;
  };
  const udp = (prefix: string, stat: string) => e.stat(`envoy_udp_${stat}`, { envoy_udp_prefix: prefix });
  const cstat = (cluster: string, stat: string) => e.stat(`envoy_cluster_${stat}`, { envoy_cluster_name: cluster });

  /** Cluster "shift" over three and four; `unhealthy` hosts marked so by EDS health status. */
  const shift = (hosts: UdpServer[] = [three, four], unhealthy: UdpServer[] = []): Cluster => {
    const c = staticCluster('shift', hosts.map((h) => h.port));
    for (const lb of c.load_assignment?.endpoints?.[0]?.lb_endpoints ?? [])
      if (unhealthy.some((h) => h.port === lb.endpoint?.address?.socket_address?.port_value)) lb.health_status = 'UNHEALTHY';
    return c;
  };
  const base = (): Required<Pick<StaticResources, 'clusters' | 'listeners'>> => ({
    clusters: [
      staticCluster('echo', [a.port]),
      udpEndpoints(staticCluster('pair', [one.port, two.port])),
      staticCluster('empty', []),
      shift(),
      staticCluster('slot', [a.port], { circuit_breakers: { thresholds: [{ max_connections: { value: 1 } }] } }),
    ],
    listeners: [
      udpListener('udp-echo', viaMatcher('echo', 'echo')),
      udpListener('udp-legacy', { stat_prefix: 'legacy', cluster: 'echo' }),
      udpListener('udp-rr', viaMatcher('rr', 'pair')),
      udpListener('udp-idle', viaMatcher('idle', 'echo', { idle_timeout: { nanos: 200_000_000 } })),
      udpListener('udp-none', viaMatcher('none', 'empty')),
      udpListener('udp-noroute', viaMatcher('noroute', 'missing')),
      udpListener('udp-small', viaMatcher('small', 'echo'), {
        udp_listener_config: { downstream_socket_config: { max_rx_datagram_size: { value: 100 }, prefer_gro: { value: true } } },
      }),
      udpListener('udp-remove', viaMatcher('remove', 'echo')),
      udpListener('udp-update', viaMatcher('update', 'echo')),
      udpListener('udp-shift', viaMatcher('shift', 'shift')),
      udpListener('udp-slot', viaMatcher('slot', 'slot')),
    ],
  });
  const withShift = (c: Cluster) => {
    const r = base();
    r.clusters = r.clusters.map((x) => (x.name === 'shift' ? c : x));
    return r;
  };

  before(async () => {
    [a, one, two, three, four] = await Promise.all([udpServer('A'), udpServer('one'), udpServer('two'), udpServer('three'), udpServer('four')]);
    await e.start(base());
  });
  after(async () => {
    for (const c of clients) c.close();
    await e.stop();
    await Promise.all([a, one, two, three, four].map((s) => s.close()));
  });

  it('echoes a datagram through udp_proxy routed by the matcher (on_no_match → Route)', async () => {
    const c = await client();
    assert.equal(await c.ask(e.port('udp-echo'), 'ping'), 'A:ping');
    assert.equal(await c.ask(e.port('udp-echo'), 'again'), 'A:again');
  });

  it('the deprecated cluster field routes as the matcher does', async () => {
    const c = await client();
    assert.equal(await c.ask(e.port('udp-legacy'), 'old'), 'A:old');
    assert.equal(udp('legacy', 'downstream_sess_total'), 1);
  });

  it('two clients get two sessions, round robin over two hosts, each reply to its own client (endpoints marked UDP)', async () => {
    const [c1, c2] = [await client(), await client()];
    const port = e.port('udp-rr');
    const r1 = await c1.ask(port, 'c1-0');
    const r2 = await c2.ask(port, 'c2-0');
    const host1 = r1?.split(':')[0];
    const host2 = r2?.split(':')[0];
    assert.deepEqual(new Set([host1, host2]), new Set(['one', 'two']), `round robin gave ${r1} and ${r2}`);
    assert.equal(r1, `${host1}:c1-0`);
    assert.equal(r2, `${host2}:c2-0`);
    // Interleaved: each session keeps its host, each reply reaches the client that asked.
    for (let i = 1; i <= 3; i++) {
      c1.send(port, `c1-${i}`);
      assert.equal(await c2.ask(port, `c2-${i}`), `${host2}:c2-${i}`);
      assert.equal(await c1.next(3000), `${host1}:c1-${i}`);
    }
    assert.equal(udp('rr', 'downstream_sess_total'), 2);
    assert.equal(udp('rr', 'downstream_sess_active'), 2);
    // One upstream socket per session: each host saw a single source port.
    assert.equal(one.sources.size, 1);
    assert.equal(two.sources.size, 1);
  });

  it('idle_timeout ends a quiet session; the next datagram opens a new one on a new upstream socket', async () => {
    const c = await client();
    const port = e.port('udp-idle');
    const sourcesBefore = a.sources.size;
    assert.equal(await c.ask(port, 'hello'), 'A:hello');
    assert.equal(udp('idle', 'downstream_sess_active'), 1);
    const started = Date.now();
    await waitFor('the idle session to end', () => udp('idle', 'downstream_sess_active') === 0);
    assert.ok(Date.now() - started >= 100, 'not before idle_timeout (200 ms)');
    assert.equal(udp('idle', 'idle_timeout'), 1);
    assert.equal(await c.ask(port, 'back'), 'A:back');
    assert.equal(udp('idle', 'downstream_sess_total'), 2);
    assert.equal(a.sources.size, sourcesBefore + 2);
  });

  it('stat_prefix names the udp stats: sessions, datagrams and bytes both ways, and the cluster udp stats', async () => {
    const before = {
      total: udp('echo', 'downstream_sess_total'),
      rx: udp('echo', 'downstream_sess_rx_datagrams'),
      rxBytes: udp('echo', 'downstream_sess_rx_bytes'),
      tx: udp('echo', 'downstream_sess_tx_datagrams'),
      txBytes: udp('echo', 'downstream_sess_tx_bytes'),
      upTx: cstat('echo', 'udp_sess_tx_datagrams'),
      upRx: cstat('echo', 'udp_sess_rx_datagrams'),
      upTxBytes: cstat('echo', 'upstream_cx_tx_bytes_total'),
      upRxBytes: cstat('echo', 'upstream_cx_rx_bytes_total'),
    };
    const c = await client();
    for (const m of ['a', 'bb', 'ccc']) assert.equal(await c.ask(e.port('udp-echo'), m), `A:${m}`);
    // Sent 6 bytes; the replies ("A:a", "A:bb", "A:ccc") are 12.
    await waitFor('the last reply counted', () => udp('echo', 'downstream_sess_tx_datagrams') === before.tx + 3);
    assert.equal(udp('echo', 'downstream_sess_total'), before.total + 1);
    assert.equal(udp('echo', 'downstream_sess_rx_datagrams'), before.rx + 3);
    assert.equal(udp('echo', 'downstream_sess_rx_bytes'), before.rxBytes + 6);
    assert.equal(udp('echo', 'downstream_sess_tx_bytes'), before.txBytes + 12);
    assert.equal(cstat('echo', 'udp_sess_tx_datagrams') - before.upTx, 3);
    assert.equal(cstat('echo', 'udp_sess_rx_datagrams') - before.upRx, 3);
    assert.ok(cstat('echo', 'upstream_cx_tx_bytes_total') - before.upTxBytes >= 6);
    assert.ok(cstat('echo', 'upstream_cx_rx_bytes_total') - before.upRxBytes >= 12);
    const prom = e.engine.stats.prometheus();
    assert.match(prom, /^envoy_udp_downstream_sess_total\{envoy_udp_prefix="echo"\} \d+$/m);
    assert.match(prom, /^envoy_udp_downstream_sess_active\{envoy_udp_prefix="echo"\} \d+$/m);
    assert.match(prom, /^envoy_cluster_udp_sess_tx_datagrams\{envoy_cluster_name="echo"\} \d+$/m);
  });

  it('a host that leaves the cluster ends its sessions at once; their next datagram opens a session on a remaining host', async () => {
    const [c1, c2] = [await client(), await client()];
    const port = e.port('udp-shift');
    const hosts = [(await c1.ask(port, 'x'))?.split(':')[0], (await c2.ask(port, 'y'))?.split(':')[0]];
    assert.deepEqual(new Set(hosts), new Set(['three', 'four']));
    e.xds.set(withShift(shift([three])));
    await waitFor('the session on four to end', () => udp('shift', 'downstream_sess_active') === 1);
    const onFour = hosts[0] === 'four' ? c1 : c2;
    assert.equal(await onFour.ask(port, 'z'), 'three:z');
    assert.equal(udp('shift', 'downstream_sess_total'), 3);
    e.xds.set(base());
    await waitFor('four back', () => e.stat('envoy_cluster_membership_total', { envoy_cluster_name: 'shift' }) === 2);
  });

  it('a session whose host turned unhealthy moves to a healthy host on its next datagram', async () => {
    const c = await client();
    const port = e.port('udp-shift');
    const first = (await c.ask(port, 'p'))?.split(':')[0];
    const [sick, well] = first === 'three' ? [three, four] : [four, three];
    const total = udp('shift', 'downstream_sess_total');
    const active = udp('shift', 'downstream_sess_active');
    e.xds.set(withShift(shift([three, four], [sick])));
    await waitFor('the host marked unhealthy', () => e.stat('envoy_cluster_membership_healthy', { envoy_cluster_name: 'shift' }) === 1);
    assert.equal(await c.ask(port, 'q'), `${well.name}:q`);
    assert.equal(udp('shift', 'downstream_sess_total'), total + 1, 'a new session');
    assert.equal(udp('shift', 'downstream_sess_active'), active, 'in place of the old one');
    e.xds.set(base());
    await waitFor('both healthy again', () => e.stat('envoy_cluster_membership_healthy', { envoy_cluster_name: 'shift' }) === 2);
  });

  it('the max_connections circuit breaker bounds sessions: past it the datagram is dropped and counted as upstream_cx_overflow', async () => {
    const [c1, c2] = [await client(), await client()];
    const port = e.port('udp-slot');
    assert.equal(await c1.ask(port, 'first'), 'A:first');
    assert.equal(await c2.ask(port, 'second', 300), undefined);
    assert.equal(cstat('slot', 'upstream_cx_overflow'), 1);
    assert.equal(udp('slot', 'downstream_sess_total'), 1);
    assert.equal(await c1.ask(port, 'still'), 'A:still');
  });

  it('no healthy upstream: the datagram is dropped and counted as upstream_cx_none_healthy', async () => {
    const c = await client();
    assert.equal(await c.ask(e.port('udp-none'), 'anyone?', 300), undefined);
    assert.equal(await c.ask(e.port('udp-none'), 'anyone?', 300), undefined);
    assert.equal(cstat('empty', 'upstream_cx_none_healthy'), 2);
    assert.equal(udp('none', 'downstream_sess_total'), 0);
    assert.equal(udp('none', 'downstream_sess_rx_datagrams'), 0);
  });

  it('a route to a cluster that does not exist drops the datagram and counts downstream_sess_no_route', async () => {
    const c = await client();
    assert.equal(await c.ask(e.port('udp-noroute'), 'lost', 300), undefined);
    assert.equal(udp('noroute', 'downstream_sess_no_route'), 1);
    assert.equal(udp('noroute', 'downstream_sess_total'), 0);
  });

  it('max_rx_datagram_size drops larger datagrams and counts them (prefer_gro changes nothing)', async () => {
    const c = await client();
    const tags = { envoy_listener_address: '127.0.0.1_0' };
    const dropped = e.stat('envoy_listener_udp_downstream_rx_datagram_dropped', tags);
    assert.equal(await c.ask(e.port('udp-small'), Buffer.alloc(101, 'x'), 300), undefined);
    assert.equal(e.stat('envoy_listener_udp_downstream_rx_datagram_dropped', tags), dropped + 1);
    assert.equal(await c.ask(e.port('udp-small'), Buffer.alloc(100, 'y')), `A:${'y'.repeat(100)}`);
    assert.equal(udp('small', 'downstream_sess_rx_datagrams'), 1);
  });

  it('upstream datagrams above 1,500 bytes (the upstream default) are dropped and counted', async () => {
    const c = await client();
    const before = cstat('echo', 'udp_sess_rx_datagrams_dropped');
    assert.equal(await c.ask(e.port('udp-echo'), 'big', 300), undefined);
    assert.equal(cstat('echo', 'udp_sess_rx_datagrams_dropped'), before + 1);
  });

  it('the admin config_dump shows the UDP listener with its udp_proxy and route', async () => {
    const admin = new EngineAdmin(e.engine, () => {});
    const addr = await admin.start('127.0.0.1:0');
    try {
      const dump = (await (await fetch(`http://${addr}/config_dump`)).json()) as { configs: { dynamic_listeners?: { name: string; active_state: { listener: unknown } }[] }[] };
      const listeners = dump.configs.flatMap((c) => c.dynamic_listeners ?? []);
      const l = JSON.stringify(listeners.find((x) => x.name === 'udp-echo')?.active_state.listener);
      assert.match(l, /"protocol":"UDP"/);
      assert.match(l, new RegExp(UDP_PROXY.replace(/\./g, '\\.')));
      assert.match(l, /"cluster":"echo"/);
    } finally {
      await admin.stop();
    }
  });

  it('a listener update ends its sessions and keeps its socket', async () => {
    const c = await client();
    const port = e.port('udp-update');
    assert.equal(await c.ask(port, 'v1'), 'A:v1');
    assert.equal(udp('update', 'downstream_sess_active'), 1);
    const next = base();
    next.listeners = next.listeners.map((l) => (l.name === 'udp-update' ? udpListener('udp-update', viaMatcher('update2', 'echo')) : l));
    e.xds.set(next);
    await waitFor('the old sessions to end', () => udp('update', 'downstream_sess_active') === 0);
    assert.equal(e.port('udp-update'), port, 'same socket');
    assert.equal(await c.ask(port, 'v2'), 'A:v2');
    assert.equal(udp('update2', 'downstream_sess_total'), 1);
    e.xds.set(base());
    await waitFor('the listener restored', () => udp('update2', 'downstream_sess_active') === 0);
  });

  it('listener removal closes the socket and ends its sessions', async () => {
    const c = await client();
    const port = e.port('udp-remove');
    assert.equal(await c.ask(port, 'bye'), 'A:bye');
    assert.equal(udp('remove', 'downstream_sess_active'), 1);
    const next = base();
    next.listeners = next.listeners.filter((l) => l.name !== 'udp-remove');
    e.xds.set(next);
    await waitFor('the listener removed', () => !e.engine.listeners.addresses().has('udp-remove'));
    assert.equal(udp('remove', 'downstream_sess_active'), 0);
    // The port is free again: the socket is closed, not just forgotten.
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind({ port, address: '127.0.0.1', exclusive: true }, resolve);
    });
    await new Promise<void>((r) => probe.close(() => r()));
    e.xds.set(base());
    await waitFor('the listener back', () => e.engine.listeners.addresses().has('udp-remove'));
  });

  it('a UDP port already in use fails the listener (listener_create_failure) without a NACK', async () => {
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((r) => holder.bind({ port: 0, address: '127.0.0.1', exclusive: true }, r));
    const busy = holder.address().port;
    const failures = e.stat('envoy_listener_manager_listener_create_failure');
    try {
      const next = base();
      const taken = udpListener('udp-taken', viaMatcher('taken', 'echo'));
      taken.address = { socket_address: { address: '127.0.0.1', port_value: busy, protocol: 'UDP' } };
      next.listeners.push(taken);
      e.xds.set(next);
      await waitFor('the create failure', () => e.stat('envoy_listener_manager_listener_create_failure') === failures + 1);
      assert.equal(e.engine.listeners.addresses().has('udp-taken'), false);
      assert.equal(e.xds.nack('lds'), undefined);
    } finally {
      holder.close();
      e.xds.set(base());
    }
  });

  it('NACKs an unsupported udp_proxy field with its path and keeps serving', async () => {
    const next = base();
    next.listeners.push(udpListener('udp-bad', viaMatcher('bad', 'echo', { use_per_packet_load_balancing: true })));
    e.xds.set(next);
    const nack = await waitFor('the NACK', () => e.xds.nack('lds'));
    assert.match(nack, /udp-bad: listener_filters\[0\]\.typed_config<envoy\.extensions\.filters\.udp\.udp_proxy\.v3\.UdpProxyConfig>\.use_per_packet_load_balancing: field .* is not implemented/);
    const c = await client();
    assert.equal(await c.ask(e.port('udp-echo'), 'still'), 'A:still');
    e.xds.set(base());
    await waitFor('the fixed config ACKed', () => !e.xds.nack('lds'));
  });

  it('NACKs a matcher with a matcher_list, a UDP listener with filter chains and udp_proxy on a TCP listener', async () => {
    const cases: [Listener, RegExp][] = [
      [
        udpListener('udp-list', {
          stat_prefix: 'list',
          matcher: {
            matcher_list: { matchers: [{ predicate: { single_predicate: { input: { name: 'x', typed_config: packAny(UDP_ROUTE, { cluster: 'echo' }) }, value_match: { exact: '1' } } }, on_match: { action: { name: 'route', typed_config: packAny(UDP_ROUTE, { cluster: 'echo' }) } } }] },
          },
        }),
        /udp-list: listener_filters\[0\]\.typed_config<.*UdpProxyConfig>\.matcher\.matcher_list: field xds\.type\.matcher\.v3\.Matcher\.matcher_list is not implemented/,
      ],
      [
        udpListener('udp-chains', viaMatcher('chains', 'echo'), { filter_chains: tcpListener('x', 'echo').filter_chains! }),
        /udp-chains: error adding listener '127\.0\.0\.1:0': 1 filter chain\(s\) specified for connection-less UDP listener/,
      ],
      [
        { ...tcpListener('tcp-with-udp-proxy', 'echo'), listener_filters: udpListener('y', viaMatcher('y', 'echo')).listener_filters! },
        /tcp-with-udp-proxy: listener_filters\[0\]: .*UdpProxyConfig is a UDP listener filter/,
      ],
    ];
    for (const [listener, expected] of cases) {
      const next = base();
      next.listeners.push(listener);
      e.xds.set(next);
      const nack = await waitFor(`the NACK of ${listener.name}`, () => e.xds.nack('lds')?.includes(listener.name ?? '') && e.xds.nack('lds'));
      assert.match(nack, expected);
      e.xds.set(base());
      await waitFor('the fixed config ACKed', () => !e.xds.nack('lds'));
    }
  });
});

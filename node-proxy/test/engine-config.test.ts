// Configuration handling: NACK of what the engine cannot honour (the last
// good configuration keeps serving), listener updates under load, TCP proxy,
// access logs and Prometheus stats.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packAny } from '../../api/src/any.js';
import { TypeUrl } from '../../api/src/type-urls.js';
import { EngineAdmin } from '../src/engine/admin.js';
import { EngineUnderTest, hcmListener, httpBackend, request, routes, staticCluster, tcpEchoBackend, tcpListener, waitFor, type Backend } from './engine-harness.js';

describe('embedded engine: configuration', () => {
  const e = new EngineUnderTest();
  let a: Backend;
  let b: Backend;
  let echo: Awaited<ReturnType<typeof tcpEchoBackend>>;
  let admin: EngineAdmin;
  let adminAddr: string;
  const dir = mkdtempSync(join(tmpdir(), 'nodemesh-engine-'));
  const logPath = join(dir, 'access.log');
  const accessLog = [
    {
      name: 'envoy.access_loggers.file',
      typed_config: packAny('envoy.extensions.access_loggers.file.v3.FileAccessLog', {
        path: logPath,
        log_format: { json_format: { fields: { code: { stringValue: '%RESPONSE_CODE%' }, path: { stringValue: '%REQ(:PATH)%' }, cluster: { stringValue: '%UPSTREAM_CLUSTER%' } } } },
      }),
    },
  ];
  const base = () => ({
    clusters: [staticCluster('a', [a.port]), staticCluster('b', [b.port]), staticCluster('echo', [echo.port])],
    listeners: [hcmListener('http', 'main', { access_log: accessLog }), tcpListener('tcp', 'echo')],
    routes: [routes('main', [{ match: { prefix: '/' }, route: { cluster: 'a' } }])],
  });

  before(async () => {
    [a, b, echo] = await Promise.all([httpBackend('a'), httpBackend('b'), tcpEchoBackend()]);
    await e.start(base());
    admin = new EngineAdmin(e.engine, () => {});
    adminAddr = await admin.start('127.0.0.1:0');
  });
  after(async () => {
    await admin.stop();
    await e.stop();
    await Promise.all([a.close(), b.close(), echo.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('proxies raw TCP both ways', async () => {
    const port = e.port('tcp');
    const got = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.end('ping over tcp_proxy'));
      let out = '';
      s.on('data', (d) => (out += d));
      s.on('close', () => resolve(out));
      s.on('error', reject);
    });
    assert.equal(got, 'ping over tcp_proxy');
  });

  it('NACKs a cluster it cannot honour, naming the field, and keeps serving the last good configuration', async () => {
    const bad = base();
    bad.clusters[0] = staticCluster('a', [a.port], { lb_policy: 'MAGLEV' });
    bad.routes = [routes('main', [{ match: { prefix: '/' }, route: { cluster: 'b' } }])];
    e.xds.set(bad);
    const nack = await waitFor('the NACK', () => e.xds.nack('cds'));
    assert.match(nack, /a: .*lb_policy.*MAGLEV/);
    // The routes in the same update were fine and moved on; the cluster kept its last good version.
    await waitFor('routes applied', async () => (await request(e.port('http'), '/')).body === 'b');
    assert.equal(e.engine.xds.resources(TypeUrl.Cluster).get('a')?.message.lb_policy, undefined, 'still the ROUND_ROBIN cluster');
    e.xds.set(base());
    await waitFor('the fixed config ACKed', () => !e.xds.nack('cds'));
  });

  it('NACKs an unsupported HTTP filter inside a listener and keeps the old listener serving', async () => {
    const bad = base();
    const lua = { name: 'envoy.filters.http.lua', typed_config: packAny('envoy.extensions.filters.http.lua.v3.Lua', { default_source_code: { inline_string: 'x' } }) };
    bad.listeners[0] = hcmListener('http', 'main', { http_filters: [lua] });
    e.xds.set(bad);
    const nack = await waitFor('the NACK', () => e.xds.nack('lds'));
    assert.match(nack, /http: .*http_filters\[0\].*lua/i);
    assert.equal((await request(e.port('http'), '/')).status, 200, 'the old listener still serves');
    e.xds.set(base());
    await waitFor('the fixed config ACKed', () => !e.xds.nack('lds'));
  });

  it('a listener update under load loses no in-flight request', async () => {
    const port = e.port('http');
    let stop = false;
    const results: number[] = [];
    const load = (async () => {
      const workers = Array.from({ length: 8 }, async () => {
        while (!stop) results.push((await request(port, '/').catch(() => ({ status: 0 }))).status);
      });
      await Promise.all(workers);
    })();
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 3; i++) {
      const next = base();
      next.listeners[0] = hcmListener('http', 'main', { access_log: accessLog, stat_prefix: `http_v${i}` });
      next.routes = [routes('main', [{ match: { prefix: '/' }, route: { cluster: i % 2 ? 'a' : 'b' } }])];
      e.xds.set(next);
      await new Promise((r) => setTimeout(r, 150));
    }
    // Enough requests to have spanned the updates, however slow the machine (a count, not a rate).
    await waitFor('100 requests under load', () => results.length >= 100, 30_000);
    stop = true;
    await load;
    assert.deepEqual([...new Set(results)], [200], 'every request answered 200');
    e.xds.set(base());
    await waitFor('the base routes back', async () => (await request(port, '/')).body === 'a');
  });

  it('writes one JSON access log line per request', async () => {
    await request(e.port('http'), '/logged?x=1');
    const line = await waitFor('the log line', () => readFileSync(logPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.path === '/logged?x=1'));
    assert.deepEqual(line, { code: 200, path: '/logged?x=1', cluster: 'a' });
  });

  it('serves Envoy-named Prometheus stats, /ready and /config_dump on the admin endpoint', async () => {
    const get = (p: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) =>
        http.get(`http://${adminAddr}${p}`, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }).on('error', reject),
      );
    const stats = await get('/stats/prometheus');
    assert.match(stats.body, /^envoy_cluster_upstream_rq_total\{envoy_cluster_name="a"\} \d+$/m);
    assert.match(stats.body, /^envoy_http_downstream_rq_total\{envoy_http_conn_manager_prefix="http"\} \d+$/m);
    assert.equal((await get('/ready')).body, 'LIVE\n');
    const dump = JSON.parse((await get('/config_dump')).body) as { configs: { '@type': string; dynamic_active_clusters?: { cluster: { name: string } }[] }[] };
    const clusters = dump.configs.find((c) => c['@type'].endsWith('ClustersConfigDump'))!;
    assert.deepEqual(clusters.dynamic_active_clusters!.map((c) => c.cluster.name).sort(), ['a', 'b', 'echo']);
  });
});

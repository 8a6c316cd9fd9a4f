// The embedded engine as the proxy under test, in its own process (started by
// bench/proxy.ts) so that neither the load generator nor the harness shares
// its event loop. It serves its own config from a StaticXdsServer over real
// gRPC, as in production, and prints one JSON line with its listener ports
// once ready: {"http": port, "tcp": port}.
//
//   node --import tsx bench/proxy-engine.ts --backend PORT --sink PORT
import { parseArgs } from 'node:util';
import { silentLogger } from '../xds-server/src/log.js';
import { EmbeddedEngine } from '../node-proxy/src/engine/engine.js';
import { StaticXdsServer } from '../node-proxy/src/engine/testing/static-xds.js';
import { hcmListener, routes, staticCluster, tcpListener } from '../node-proxy/test/engine-harness.js';

const { values: args } = parseArgs({ options: { backend: { type: 'string' }, sink: { type: 'string' } } });
if (!args.backend || !args.sink) throw new Error('usage: proxy-engine.ts --backend PORT --sink PORT');

const xds = new StaticXdsServer();
await xds.start();
// What nginx is given too: every path to one HTTP/1.1 backend, and a plain
// TCP proxy to the sink. No access log (the HCM has none unless configured).
xds.set({
  clusters: [staticCluster('backend', [Number(args.backend)]), staticCluster('sink', [Number(args.sink)])],
  routes: [routes('local', [{ match: { prefix: '/' }, route: { cluster: 'backend' } }])],
  listeners: [hcmListener('http', 'local'), tcpListener('tcp', 'sink')],
});

const engine = new EmbeddedEngine({ xdsAddress: xds.address, node: { id: 'bench-proxy', cluster: 'bench' }, log: silentLogger, drainTimeMs: 1000 });
engine.start();

const deadline = Date.now() + 30_000;
while (!engine.ready()) {
  if (Date.now() > deadline) {
    const nacks = (['cds', 'lds', 'rds', 'eds'] as const).map((t) => [t, xds.nack(t)]).filter(([, n]) => n);
    throw new Error(`engine not ready after 30 s${nacks.length ? `; NACKs: ${JSON.stringify(Object.fromEntries(nacks))}` : ''}`);
  }
  await new Promise((r) => setTimeout(r, 20));
}
const addresses = engine.listeners.addresses();
console.log(JSON.stringify({ http: addresses.get('http')?.port, tcp: addresses.get('tcp')?.port }));

// A clean exit on SIGTERM, so that --cpu-prof writes its profile; and when
// the harness goes away without a word (its end of our stdin closes).
const stop = () => {
  setTimeout(() => process.exit(0), 3000).unref();
  void Promise.allSettled([engine.stop(), xds.stop()]).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop).resume();

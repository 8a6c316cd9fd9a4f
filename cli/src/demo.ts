// `nodemesh demo`: the local demo mesh. Runs the xDS server on a config
// directory and a real backend for every Workload (gRPC, HTTP or TCP echo,
// answering with the workload's name), then sends traffic two ways and prints
// where it lands, every few seconds, so an edit in the directory is visible:
//  - through the node proxy (the embedded engine, or Envoy when installed is
//    the production path): clients dial service VIPs, as workloads do;
//  - proxyless gRPC clients that nodemesh programs directly over xDS.
// The node-proxy part runs in a throwaway network namespace (see lab.ts),
// which needs root; without it only the proxyless part runs, and it says so.
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as xds from '@grpc/grpc-js-xds';
import { ControlPlane } from '../../xds-server/src/control-plane.js';
import { createLogger } from '../../xds-server/src/log.js';
import type { Service, ServicePort } from '../../xds-server/src/model/types.js';
import { loadDirectory } from '../../xds-server/src/provider/file/index.js';
import { translateResources } from '../../xds-server/src/translate/kubernetes/index.js';
import { grpcXdsBootstrap } from '../../node-proxy/src/bootstrap.js';
import { EngineAdmin } from '../../node-proxy/src/engine/admin.js';
import { EmbeddedEngine } from '../../node-proxy/src/engine/engine.js';
import { callWho, EchoClient, startEchoBackend } from './echo.js';
import { inLab, labUnavailable, reexecInLab, setUpLab } from './lab.js';

export interface DemoFlags {
  config: string;
  xds: string;
  admin: string;
  intervalMs: string;
  lab: boolean;
}

const CAPTURE_PORT = 15001;
const ENGINE_ADMIN = '127.0.0.1:15000';

interface Probe {
  label: string;
  /** One request; resolves with the name of the workload that answered. */
  once(): Promise<string>;
  close(): void;
}

export async function runDemo(flags: DemoFlags): Promise<void> {
  const why = flags.lab ? labUnavailable() : 'disabled by --no-lab';
  if (!why && !inLab()) return reexecInLab();

  const log = createLogger({ level: 'warn', fields: { component: 'demo' } });
  const runtimeDir = join(process.env.XDG_RUNTIME_DIR ?? '/tmp', 'nodemesh', inLab() ? 'lab' : 'demo');
  mkdirSync(runtimeDir, { recursive: true });
  const socket = `unix:${join(runtimeDir, 'xds.sock')}`;
  const loaded = await loadDirectory(flags.config);
  const { model } = translateResources(loaded.resources, { trustDomain: 'cluster.local', clusterDomain: 'cluster.local' });
  if (inLab())
    setUpLab({
      workloadAddresses: model.services.flatMap((s) => s.endpoints.map((e) => e.address)),
      vips: model.services.flatMap((s) => s.vips),
      capturePort: CAPTURE_PORT,
    });

  const cp = new ControlPlane({ configDir: flags.config, listen: [socket, flags.xds], admin: flags.admin, log, outboundAddress: '127.0.0.1', outboundPort: CAPTURE_PORT });
  await cp.start();

  const stops: (() => Promise<void> | void)[] = [];
  const probes: Probe[] = [];
  // Backends: in the lab every workload address is local; outside it only loopback ones can be served.
  for (const svc of model.services)
    for (const port of svc.ports)
      for (const ep of svc.endpoints) {
        const p = ep.ports[port.name];
        if (!p || (!inLab() && !ep.address.startsWith('127.'))) continue;
        stops.push(await startBackend(port, ep.source.name, ep.address, p));
      }

  let engine: EmbeddedEngine | undefined;
  let engineAdmin: EngineAdmin | undefined;
  if (inLab()) {
    engine = new EmbeddedEngine({ xdsAddress: socket, node: { id: 'demo-node', cluster: 'nodemesh' }, log: createLogger({ level: 'warn', fields: { component: 'node-proxy' } }) });
    engineAdmin = new EngineAdmin(engine, () => {});
    await engineAdmin.start(ENGINE_ADMIN);
    engine.start();
    for (const svc of model.services) for (const port of svc.ports) for (const vip of svc.vips) probes.push(viaProxy(svc, port, vip));
  }

  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = grpcXdsBootstrap({
    xdsAddress: cp.addresses.xds.find((a) => !a.startsWith('unix:'))!,
    nodeId: 'demo-proxyless-client',
    locality: { region: 'local', zone: 'zone-a' },
  });
  xds.register();
  for (const svc of model.services)
    for (const port of svc.ports) {
      if (port.appProtocol !== 'grpc') continue;
      const target = `${svc.hostname}:${port.port}`;
      const client = new EchoClient(`xds:///${target}`, grpc.credentials.createInsecure());
      probes.push({ label: `proxyless gRPC xds:///${target}`, once: () => callWho(client, 2000), close: () => client.close() });
    }

  console.log(`nodemesh demo mesh is running
  config       ${flags.config} (watched: edit a weight or a Workload and save)
  xDS (ADS)    ${cp.addresses.xds.join(', ')}
  admin        http://${cp.addresses.admin}/status  /metrics  /config_dump
  node proxy   ${engine ? `embedded engine in network namespace ${process.env.NODEMESH_LAB_NETNS}; admin http://${ENGINE_ADMIN}/stats/prometheus (inside the namespace)` : `not started: ${why}`}
  backends     ${stops.length} workloads answering with their names
  try          ./bin/nodemesh status --admin ${cp.addresses.admin}
Ctrl-C stops everything.
`);

  const timer = setInterval(async () => {
    for (const p of probes) {
      const counts = new Map<string, number>();
      let failed = 0;
      // One after another: the split then reflects the weights, not which
      // connections happened to be ready first.
      for (let i = 0; i < 100; i++)
        await p.once().then(
          (who) => void counts.set(who, (counts.get(who) ?? 0) + 1),
          () => void failed++,
        );
      const shares = [...counts].sort().map(([k, n]) => `${k} ${n}%`).join('  ');
      console.log(`${new Date().toISOString().slice(11, 19)} v${cp.publisher.version()} ${p.label}: ${shares}${failed ? `  failed ${failed}` : ''}`);
    }
  }, Number(flags.intervalMs));

  const stop = async () => {
    clearInterval(timer);
    for (const p of probes) p.close();
    await engineAdmin?.stop();
    await engine?.stop();
    await cp.stop();
    await Promise.all(stops.map((s) => s()));
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function startBackend(port: ServicePort, name: string, address: string, p: number): Promise<() => Promise<void>> {
  if (port.appProtocol === 'grpc') {
    const b = await startEchoBackend(name, address, p);
    return () => b.stop();
  }
  const server =
    port.appProtocol === 'http' || port.appProtocol === 'http2'
      ? http.createServer((_req, res) => res.end(name))
      : net.createServer((s) => s.end(name));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, address, () => resolve());
  });
  return () => new Promise((r) => server.close(() => r()));
}

function viaProxy(svc: Service, port: ServicePort, vip: string): Probe {
  const label = `via node proxy ${port.appProtocol} ${vip}:${port.port} (${svc.name}.${svc.namespace})`;
  if (port.appProtocol === 'grpc') {
    const client = new EchoClient(`${vip}:${port.port}`, grpc.credentials.createInsecure());
    return { label, once: () => callWho(client, 2000), close: () => client.close() };
  }
  if (port.appProtocol === 'http' || port.appProtocol === 'http2') {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const once = () =>
      new Promise<string>((resolve, reject) => {
        const req = http.get({ host: vip, port: port.port, path: '/', agent, timeout: 2000 }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.on('timeout', () => req.destroy(new Error('timeout')));
      });
    return { label, once, close: () => agent.destroy() };
  }
  const once = () =>
    new Promise<string>((resolve, reject) => {
      const s = net.connect({ host: vip, port: port.port, timeout: 2000 });
      let body = '';
      s.on('data', (d) => (body += d));
      s.on('end', () => (body ? resolve(body) : reject(new Error('closed without an answer'))));
      s.on('error', reject);
      s.on('timeout', () => s.destroy(new Error('timeout')));
    });
  return { label, once, close: () => {} };
}

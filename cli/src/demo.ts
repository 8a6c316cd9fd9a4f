// `nodemesh demo`: the local demo mesh. Runs the xDS server on a config
// directory, starts a real gRPC backend for every loopback Workload of a gRPC
// service, and a proxyless gRPC client per such service that nodemesh
// programs over xDS; prints where its calls land, every few seconds, so a
// weight edit in the directory is visible as shifting traffic.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as xds from '@grpc/grpc-js-xds';
import { ControlPlane } from '../../xds-server/src/control-plane.js';
import { createLogger } from '../../xds-server/src/log.js';
import { loadDirectory } from '../../xds-server/src/provider/file/index.js';
import { translateResources } from '../../xds-server/src/translate/kubernetes/index.js';
import { grpcXdsBootstrap } from '../../node-proxy/src/bootstrap.js';
import { callWho, EchoClient, startEchoBackend, type EchoBackend } from './echo.js';

export interface DemoFlags {
  config: string;
  xds: string;
  admin: string;
  intervalMs: string;
}

export async function runDemo(flags: DemoFlags): Promise<void> {
  const log = createLogger({ level: 'warn', fields: { component: 'xds-server' } });
  const runtimeDir = join(process.env.XDG_RUNTIME_DIR ?? '/tmp', 'nodemesh');
  mkdirSync(runtimeDir, { recursive: true });
  const socket = `unix:${join(runtimeDir, 'xds.sock')}`;
  const cp = new ControlPlane({ configDir: flags.config, listen: [socket, flags.xds], admin: flags.admin, log });
  await cp.start();

  const loaded = await loadDirectory(flags.config);
  const { model } = translateResources(loaded.resources, { trustDomain: 'cluster.local', clusterDomain: 'cluster.local' });
  const servers: EchoBackend[] = [];
  const targets: string[] = [];
  for (const svc of model.services)
    for (const port of svc.ports) {
      if (port.appProtocol !== 'grpc') continue;
      targets.push(`${svc.hostname}:${port.port}`);
      for (const ep of svc.endpoints) {
        const p = ep.ports[port.name];
        if (!p || !ep.address.startsWith('127.')) continue;
        servers.push(await startEchoBackend(ep.source.name, ep.address, p));
      }
    }

  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = grpcXdsBootstrap({
    xdsAddress: cp.addresses.xds.find((a) => !a.startsWith('unix:'))!,
    nodeId: 'demo-proxyless-client',
    locality: { region: 'local', zone: 'zone-a' },
  });
  xds.register();
  const clients = targets.map((t) => ({ target: t, client: new EchoClient(`xds:///${t}`, grpc.credentials.createInsecure()) }));

  console.log(`nodemesh demo mesh is running
  config       ${flags.config} (watched: edit a weight or a Workload and save)
  xDS (ADS)    ${cp.addresses.xds.join(', ')}
  admin        http://${cp.addresses.admin}/status  /metrics  /config_dump
  backends     ${servers.length} gRPC servers on loopback
  clients      ${targets.map((t) => `xds:///${t}`).join(', ') || '(no gRPC service with loopback workloads)'}
  try          ./bin/nodemesh status --admin ${cp.addresses.admin}
Ctrl-C stops everything.
`);

  const timer = setInterval(async () => {
    for (const { target, client } of clients) {
      const counts = new Map<string, number>();
      let failed = 0;
      // One after another, as the tests measure: the split then reflects the
      // weights, not which connections happened to be ready first.
      for (let i = 0; i < 100; i++) {
        await callWho(client, 2000).then(
          (who) => void counts.set(who, (counts.get(who) ?? 0) + 1),
          () => void failed++,
        );
      }
      const shares = [...counts].sort().map(([k, n]) => `${k} ${n}%`).join('  ');
      console.log(`${new Date().toISOString().slice(11, 19)} ${target} version ${cp.publisher.version()}: ${shares}${failed ? `  failed ${failed}` : ''}`);
    }
  }, Number(flags.intervalMs));

  const stop = async () => {
    clearInterval(timer);
    for (const c of clients) c.client.close();
    await cp.stop();
    await Promise.all(servers.map((s) => s.stop()));
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

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

const identity = (b: Buffer) => b;
const WHO = '/nodemesh.demo.Echo/Who';
const echoService = {
  Who: { path: WHO, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
} satisfies grpc.ServiceDefinition;

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
  const servers: grpc.Server[] = [];
  const targets: string[] = [];
  for (const svc of model.services)
    for (const port of svc.ports) {
      if (port.appProtocol !== 'grpc') continue;
      targets.push(`${svc.hostname}:${port.port}`);
      for (const ep of svc.endpoints) {
        const p = ep.ports[port.name];
        if (!p || !ep.address.startsWith('127.')) continue;
        const server = new grpc.Server();
        const name = ep.source.name;
        server.addService(echoService, { Who: (_c: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(name)) });
        await new Promise<void>((resolve, reject) =>
          server.bindAsync(`${ep.address}:${p}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
        );
        servers.push(server);
      }
    }

  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
    xds_servers: [{ server_uri: cp.addresses.xds.find((a) => !a.startsWith('unix:')), channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: 'demo-proxyless-client', locality: { region: 'local', zone: 'zone-a' } },
  });
  xds.register();
  const Client = grpc.makeGenericClientConstructor(echoService, 'Echo');
  const clients = targets.map((t) => ({ target: t, client: new Client(`xds:///${t}`, grpc.credentials.createInsecure()) }));

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
      await Promise.all(
        Array.from({ length: 100 }, () =>
          new Promise<void>((resolve) =>
            client.makeUnaryRequest(WHO, identity, identity, Buffer.alloc(0), { deadline: Date.now() + 2000 }, (err: grpc.ServiceError | null, res?: Buffer) => {
              if (err) failed++;
              else counts.set(res!.toString(), (counts.get(res!.toString()) ?? 0) + 1);
              resolve();
            }),
          ),
        ),
      );
      const shares = [...counts].sort().map(([k, n]) => `${k} ${n}%`).join('  ');
      console.log(`${new Date().toISOString().slice(11, 19)} ${target} version ${cp.publisher.version()}: ${shares}${failed ? `  failed ${failed}` : ''}`);
    }
  }, Number(flags.intervalMs));

  const stop = async () => {
    clearInterval(timer);
    for (const c of clients) c.client.close();
    await cp.stop();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.tryShutdown(() => r()))));
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

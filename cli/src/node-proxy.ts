// `nodemesh node-proxy`: runs the node's proxy. Envoy under supervision where
// it is installed; otherwise the embedded engine, programmed by the same xDS.
import { hostname } from 'node:os';
import { createLogger, type LogLevel } from '../../xds-server/src/log.js';
import { EngineAdmin } from '../../node-proxy/src/engine/admin.js';
import { EmbeddedEngine } from '../../node-proxy/src/engine/engine.js';
import { runEnvoy } from '../../node-proxy/src/envoy/run.js';
import { findEnvoy } from '../../node-proxy/src/envoy/find.js';

export interface NodeProxyFlags {
  engine: 'envoy' | 'embedded' | 'auto';
  xds: string;
  nodeId: string;
  cluster: string;
  zone?: string;
  admin: string;
  drainTimeS: string;
  logLevel: LogLevel;
}

export async function runNodeProxy(flags: NodeProxyFlags): Promise<void> {
  const log = createLogger({ level: flags.logLevel, fields: { component: 'node-proxy' } });
  const envoy = findEnvoy();
  let engine = flags.engine;
  if (engine === 'auto') {
    engine = envoy ? 'envoy' : 'embedded';
    log.info(`engine: ${engine}`, { reason: envoy ? `envoy found at ${envoy}` : 'no envoy on PATH (or NODEMESH_ENVOY): using the embedded engine' });
  }
  if (engine === 'envoy') {
    if (!envoy) {
      log.error('--engine envoy: no envoy binary on PATH (set NODEMESH_ENVOY to its path)');
      process.exit(2);
    }
    await runEnvoy({ binary: envoy, xds: flags.xds, nodeId: flags.nodeId, cluster: flags.cluster, zone: flags.zone, admin: flags.admin, drainTimeS: Number(flags.drainTimeS), log });
    return;
  }
  const node = { id: flags.nodeId || hostname(), cluster: flags.cluster, locality: flags.zone ? { zone: flags.zone } : undefined };
  const eng = new EmbeddedEngine({ xdsAddress: flags.xds, node, log, drainTimeMs: Number(flags.drainTimeS) * 1000 });
  let stopping = false;
  const shutdown = (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { why });
    eng.drainListeners();
    Promise.all([admin.stop(), eng.stop()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  const admin = new EngineAdmin(eng, () => shutdown('/quitquitquit'));
  const adminAddr = await admin.start(flags.admin);
  eng.start();
  log.info('nodemesh node-proxy started', { engine: 'embedded', xds: flags.xds, node: node.id, admin: adminAddr });
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

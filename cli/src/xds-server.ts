import { ControlPlane } from '../../xds-server/src/control-plane.js';
import { createLogger, type LogLevel } from '../../xds-server/src/log.js';

export interface XdsServerFlags {
  config: string;
  listen: string[];
  admin: string;
  trustDomain: string;
  clusterDomain: string;
  outbound: string;
  ingress: string;
  accessLog?: string;
  logLevel: LogLevel;
}

export async function runXdsServer(flags: XdsServerFlags): Promise<void> {
  const log = createLogger({ level: flags.logLevel, fields: { component: 'xds-server' } });
  const i = flags.outbound.lastIndexOf(':');
  const ing = /^(.+):(\d+):(\d+)$/.exec(flags.ingress);
  if (!ing) {
    log.error('--ingress must be ADDRESS:HTTP_PORT:HTTPS_PORT, e.g. 0.0.0.0:80:443', { got: flags.ingress });
    process.exit(2);
  }
  const cp = new ControlPlane({
    configDir: flags.config,
    listen: flags.listen,
    admin: flags.admin === 'off' ? undefined : flags.admin,
    trustDomain: flags.trustDomain,
    clusterDomain: flags.clusterDomain,
    outboundAddress: flags.outbound.slice(0, i),
    outboundPort: Number(flags.outbound.slice(i + 1)),
    ingress: { ingressAddress: ing[1]!, httpPort: Number(ing[2]), httpsPort: Number(ing[3]) },
    ...(flags.accessLog ? { accessLogPath: flags.accessLog } : {}),
    log,
  });
  await cp.start();
  log.info('nodemesh xds-server started', { config: flags.config, xds: cp.addresses.xds, admin: cp.addresses.admin ?? null });
  const shutdown = (signal: string) => {
    log.info('shutting down', { signal });
    cp.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

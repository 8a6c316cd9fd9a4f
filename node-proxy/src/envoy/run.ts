// `nodemesh node-proxy --engine envoy`: writes the bootstrap, runs Envoy under
// the supervisor until SIGINT/SIGTERM (then drains it), and hot-restarts it on
// SIGHUP, as Envoy's hot-restarter.py does.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../../xds-server/src/log.js';
import { bootstrapJson, envoyBootstrap } from '../bootstrap.js';
import { EnvoySupervisor } from './supervisor.js';

export interface RunEnvoyOptions {
  binary: string;
  /** The xds-server: `unix:/path` or `host:port`. */
  xds: string;
  /** Empty: the host name. */
  nodeId: string;
  cluster: string;
  zone?: string;
  /** `host:port`; Envoy's admin always binds 127.0.0.1 on that port. */
  admin: string;
  drainTimeS: number;
  log: Logger;
  /** Default: drainTimeS × 1.5, Envoy's own ratio (600 s / 900 s). */
  parentShutdownTimeS?: number;
  /** Default: the admin port, which is already unique per Envoy on the host. */
  baseId?: number;
  /** Where bootstrap.json is written; default a new temporary directory. */
  bootstrapDir?: string;
  maxHeapBytes?: number;
  maxDownstreamConnections?: number;
  statsdAddress?: string;
}

/** Resolves once Envoy has been stopped by a signal. */
export async function runEnvoy(o: RunEnvoyOptions): Promise<void> {
  const adminPort = Number(o.admin.slice(o.admin.lastIndexOf(':') + 1));
  if (!Number.isInteger(adminPort) || adminPort <= 0) throw new RangeError(`invalid admin address ${JSON.stringify(o.admin)}`);
  const nodeId = o.nodeId || hostname();
  const dir = o.bootstrapDir ?? mkdtempSync(join(tmpdir(), 'nodemesh-envoy-'));
  const bootstrapPath = join(dir, 'bootstrap.json');
  const bootstrap = envoyBootstrap({
    nodeId,
    cluster: o.cluster,
    locality: o.zone ? { zone: o.zone } : undefined,
    xdsAddress: o.xds,
    adminPort,
    maxHeapBytes: o.maxHeapBytes,
    maxDownstreamConnections: o.maxDownstreamConnections,
    statsdAddress: o.statsdAddress,
  });
  writeFileSync(bootstrapPath, bootstrapJson(bootstrap));
  const sup = new EnvoySupervisor({
    envoyPath: o.binary,
    bootstrapPath,
    adminAddress: `127.0.0.1:${adminPort}`,
    baseId: o.baseId ?? adminPort,
    drainTimeS: o.drainTimeS,
    parentShutdownTimeS: o.parentShutdownTimeS ?? Math.ceil(o.drainTimeS * 1.5),
    log: o.log,
  });

  const stopped = new Promise<void>((resolve, reject) => {
    const stop = (sig: string) => {
      o.log.info('stopping envoy', { signal: sig });
      process.off('SIGHUP', onHup);
      sup.stop().then(resolve, reject);
    };
    const onHup = () => {
      sup.hotRestart().catch((e: unknown) => o.log.error('hot restart failed', { err: e }));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGHUP', onHup);
  });
  // The supervisor keeps restarting until stopped, so start() settles only on
  // readiness or on stop.
  sup.start().then(
    () => o.log.info('nodemesh node-proxy started', { engine: 'envoy', binary: o.binary, xds: o.xds, node: nodeId, admin: o.admin, bootstrap: bootstrapPath }),
    () => {},
  );
  await stopped;
}

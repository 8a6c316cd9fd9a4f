// The node proxies the Gateway API / Ingress traffic tests run through: the
// embedded engine always, and Envoy (under nodemesh's supervisor, from the
// bootstrap nodemesh generates) when an `envoy` binary is found on PATH or in
// NODEMESH_ENVOY. Elsewhere the Envoy variant's tests are reported as skipped,
// with the reason, and never counted as passed.
//
// Each variant picks its own free ports (listeners, admin, capture) in its own
// before() hook, and node:test runs the second suite of a file only after the
// first one's after() has stopped its proxy, so the variants never share a port.
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootstrapJson, envoyBootstrap } from '../../node-proxy/src/bootstrap.js';
import { EmbeddedEngine } from '../../node-proxy/src/engine/engine.js';
import { findEnvoy } from '../../node-proxy/src/envoy/find.js';
import { EnvoySupervisor } from '../../node-proxy/src/envoy/supervisor.js';
import { createLogger, silentLogger } from '../src/log.js';
import { freePort } from '../../tools/free-port.js';

export type NodeProxyKind = 'embedded' | 'envoy';

export interface NodeProxyVariant {
  kind: NodeProxyKind;
  /** Passed to every test as `{ skip }`: false, or why the variant cannot run here. */
  skip: string | false;
}

const envoyPath = findEnvoy();

export const NODE_PROXIES: readonly NodeProxyVariant[] = [
  { kind: 'embedded', skip: false },
  {
    kind: 'envoy',
    skip: envoyPath ? false : 'no `envoy` binary on PATH or in NODEMESH_ENVOY (none can be installed on this machine): the Envoy variant did NOT run',
  },
];

/** Prints one `# SKIPPED:` line for each variant of the test file `testFileUrl` (its import.meta.url) that cannot run. */
export function reportSkippedVariants(testFileUrl: string): void {
  const file = basename(fileURLToPath(testFileUrl));
  for (const p of NODE_PROXIES) if (p.skip) console.log(`# SKIPPED: ${file}, ${p.kind} variant — ${p.skip}`);
}

export interface NodeProxyOptions {
  /** The control plane's ADS address: `host:port` (or `unix:/path`). */
  xdsAddress: string;
  nodeId: string;
  /** A directory for the proxy's files (Envoy's bootstrap); the caller removes it. */
  dir: string;
}

export interface NodeProxy {
  readonly kind: NodeProxyKind;
  stop(): Promise<void>;
}

/** As the tests' engines: updated or removed listeners drain for a second. */
const DRAIN_TIME_S = 1;

/**
 * Starts a node proxy programmed by `xdsAddress`. The embedded engine is
 * started as the tests always did (they wait for traffic themselves); Envoy is
 * started under the supervisor and awaited until its admin /ready says LIVE,
 * i.e. its initial clusters, listeners, endpoints and routes are in place.
 */
export async function startNodeProxy(kind: NodeProxyKind, o: NodeProxyOptions): Promise<NodeProxy> {
  if (kind === 'embedded') {
    const engine = new EmbeddedEngine({ xdsAddress: o.xdsAddress, node: { id: o.nodeId, cluster: 'test' }, log: silentLogger, drainTimeMs: DRAIN_TIME_S * 1000 });
    engine.start();
    return { kind, stop: () => engine.stop() };
  }
  return startEnvoy(o);
}

let envoys = 0;

async function startEnvoy(o: NodeProxyOptions): Promise<NodeProxy> {
  const binary = findEnvoy();
  if (!binary) throw new Error('startNodeProxy(envoy): no `envoy` binary on PATH or in NODEMESH_ENVOY');
  const adminPort = await freePort();
  const file = join(o.dir, `envoy-${o.nodeId}.bootstrap.json`);
  // A .json file: the control plane's file provider reads only *.yaml and *.yml.
  writeFileSync(file, bootstrapJson(envoyBootstrap({ nodeId: o.nodeId, cluster: 'test', xdsAddress: o.xdsAddress, adminPort })));
  const logs: string[] = [];
  const sup = new EnvoySupervisor({
    envoyPath: binary,
    bootstrapPath: file,
    adminAddress: `127.0.0.1:${adminPort}`,
    // Unique per Envoy on the host: other test processes may run Envoys too.
    baseId: (process.pid * 10 + envoys++) % 60_000,
    drainTimeS: DRAIN_TIME_S,
    parentShutdownTimeS: DRAIN_TIME_S + 1,
    log: createLogger({ level: 'info', write: (line) => logs.push(line) }),
    // Envoy's own log goes to stderr, which the test runner shows with the test.
    extraArgs: ['--log-level', 'warn', '--concurrency', '1'],
    readyTimeoutMs: 30_000,
    killGraceMs: 5_000,
  });
  // start() resolves only once an epoch is ready, however many crash restarts
  // that takes: bound it, and say what the supervisor saw.
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      sup.start(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('envoy was not ready within 45 s')), 45_000))),
    ]);
  } catch (e) {
    await sup.stop({ drainWaitMs: 0 }).catch(() => {});
    throw new Error(`${(e as Error).message}; supervisor status ${JSON.stringify(sup.status())}; its log:\n${logs.slice(-20).join('\n')}`);
  } finally {
    clearTimeout(timer);
  }
  return {
    kind: 'envoy',
    stop: async () => {
      await sup.stop({ drainWaitMs: 0 });
      const st = sup.status();
      if (st.state !== 'stopped' || st.processes.length > 0) throw new Error(`envoy did not stop: ${JSON.stringify(st)}`);
    },
  };
}

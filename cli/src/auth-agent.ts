// `nodemesh auth agent`: runs this node's auth agent (SVIDs for the node's
// workloads, the handshake service, the auth manager, /status and /metrics)
// until SIGINT/SIGTERM.
import { AuthAgent, DEFAULT_AUTH_PORT } from '../../auth/src/agent.js';
import { createLogger, type LogLevel } from '../../xds-server/src/log.js';

export interface AuthAgentFlags {
  node: string;
  config: string;
  stateDir: string;
  trustDomain: string;
  clusterDomain: string;
  caDir?: string;
  listen?: string;
  authPort: string;
  admin: string;
  svidTtlS?: string;
  bpfPinRoot?: string;
  gate?: string;
  tunnelInterface?: string;
  refusalBackoff?: string;
  preauthenticate?: boolean;
  preauthenticateMax?: string;
  logLevel: LogLevel;
}

export async function runAuthAgent(flags: AuthAgentFlags): Promise<void> {
  const logger = createLogger({ level: flags.logLevel });
  let listenHost: string | undefined;
  let listenPort: number | undefined;
  if (flags.listen) {
    const i = flags.listen.lastIndexOf(':');
    listenHost = flags.listen.slice(0, i).replace(/^\[|\]$/g, '') || undefined;
    listenPort = Number(flags.listen.slice(i + 1));
  }
  let gate: { host: string; port: number } | undefined;
  if (flags.gate) {
    const i = flags.gate.lastIndexOf(':');
    gate = { host: flags.gate.slice(0, i) || '127.0.0.1', port: Number(flags.gate.slice(i + 1)) };
    if (!Number.isInteger(gate.port) || gate.port < 1 || gate.port > 65535) throw new Error(`--gate ${flags.gate}: expected IPv4:port`);
  }
  const backoff = flags.refusalBackoff === undefined ? undefined : flags.refusalBackoff.split(',').map(Number);
  if (backoff && !(backoff.length === 2 && backoff.every((x) => Number.isFinite(x) && x >= 0))) throw new Error(`--refusal-backoff ${flags.refusalBackoff}: expected FIRST,MAX in seconds (0,0: off)`);
  const preauthMax = Number(flags.preauthenticateMax ?? 1024);
  if (!Number.isInteger(preauthMax) || preauthMax < 0) throw new Error(`--preauthenticate-max ${flags.preauthenticateMax}: expected a whole number, 0 or more`);
  const agent = new AuthAgent({
    nodeName: flags.node,
    configDir: flags.config,
    stateDir: flags.stateDir,
    trustDomain: flags.trustDomain,
    clusterDomain: flags.clusterDomain,
    ...(flags.caDir ? { caDir: flags.caDir } : {}),
    ...(listenHost !== undefined ? { listenHost } : {}),
    ...(listenPort !== undefined ? { listenPort } : {}),
    defaultAuthPort: Number(flags.authPort || DEFAULT_AUTH_PORT),
    adminAddress: flags.admin,
    ...(flags.svidTtlS ? { svidTtlMs: Number(flags.svidTtlS) * 1000 } : {}),
    ...(flags.bpfPinRoot ? { bpfPinRoot: flags.bpfPinRoot } : {}),
    ...(gate ? { gate } : {}),
    ...(flags.tunnelInterface ? { tunnelInterface: flags.tunnelInterface } : {}),
    ...(flags.preauthenticate ? { preauthenticate: { max: preauthMax } } : {}),
    ...(backoff ? { refusalBackoffInitialMs: backoff[0]! * 1000, refusalBackoffMaxMs: backoff[1]! * 1000 } : {}),
    logger,
  });
  await agent.start();
  const stop = async () => {
    await agent.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

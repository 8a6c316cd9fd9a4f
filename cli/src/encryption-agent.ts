// `nodemesh encryption agent`: runs this node's encryption agent until SIGINT/
// SIGTERM. Stopping leaves the tunnel up (restart safety); it is removed by
// deleting the interface.
import { createLogger, type LogLevel } from '../../xds-server/src/log.js';
import { EncryptionAgent, type EncryptionMode } from '../../encryption/src/agent.js';
import { WireGuardUnavailableError } from '../../encryption/src/datapath.js';
import { IpsecUnavailableError } from '../../encryption/src/ipsec.js';

export interface EncryptionAgentFlags {
  mode: EncryptionMode;
  node: string;
  endpoint: string;
  podCidr: string[];
  config: string;
  stateDir: string;
  interface: string;
  port: string;
  strict?: boolean;
  strictCidr?: string[];
  underlayMtu?: string;
  resyncMs: string;
  rotateEveryS?: string;
  rotationTimeoutS: string;
  logLevel: LogLevel;
}

export async function runEncryptionAgent(flags: EncryptionAgentFlags): Promise<void> {
  const log = createLogger({ level: flags.logLevel });
  const agent = new EncryptionAgent({
    mode: flags.mode,
    nodeName: flags.node,
    configDir: flags.config,
    stateDir: flags.stateDir,
    ifname: flags.interface,
    listenPort: Number(flags.port),
    tunnelEndpoint: flags.endpoint,
    podCIDRs: flags.podCidr,
    strict: !!flags.strict,
    strictCIDRs: flags.strictCidr ?? [],
    ...(flags.underlayMtu ? { underlayMtu: Number(flags.underlayMtu) } : {}),
    resyncMs: Number(flags.resyncMs),
    ...(flags.rotateEveryS ? { rotateEveryMs: Number(flags.rotateEveryS) * 1000 } : {}),
    rotationTimeoutMs: Number(flags.rotationTimeoutS) * 1000,
    log,
  });
  try {
    const r = await agent.start();
    log.info('encryption agent running', { implementation: r.implementation, reused: r.reused });
  } catch (err) {
    if (err instanceof WireGuardUnavailableError || err instanceof IpsecUnavailableError) {
      console.error(`nodemesh encryption agent: ${err.message}`);
      process.exit(3);
    }
    throw err;
  }
  const stop = async () => {
    await agent.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

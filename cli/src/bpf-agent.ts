// `nodemesh bpf agent`: the node's long-running steering agent. Attaches as
// `nodemesh bpf attach` does (idempotent: pins of an earlier run are reused
// and links updated in place), then follows the mesh configuration directory
// and syncs the steered services on every change. SIGTERM/SIGINT stop the
// agent but leave pins and links, so established connections keep their
// path and steering keeps the last synced services until the next agent
// starts; `nodemesh bpf detach` is the uninstall.
import { existsSync } from 'node:fs';
import { SteeringAgent } from '../../bpf/sockmap/src/agent.js';
import { BpfError } from '../../bpf/sockmap/src/libbpf.js';
import { SteeringError } from '../../bpf/sockmap/src/loader.js';
import { createLogger, type LogLevel } from '../../xds-server/src/log.js';
import { parseCidr, parseEndpoint } from './bpf-attach.js';

export interface BpfAgentFlags {
  cgroup: string;
  pinRoot: string;
  proxy: string;
  config: string;
  meshCgroup: string[];
  proxyCgroup: string[];
  excludeCgroup: string[];
  excludePort: string[];
  excludeCidr: string[];
  sockmap: boolean;
  trustDomain: string;
  clusterDomain: string;
  admin: string;
  logLevel: LogLevel;
  authDatapath?: boolean;
}

export async function runBpfAgent(flags: BpfAgentFlags): Promise<void> {
  const log = createLogger({ level: flags.logLevel, fields: { component: 'bpf-agent' } });
  const fail = (message: string): never => {
    log.error(message);
    process.exit(1);
  };
  const proxy = parseEndpoint(flags.proxy, 'agent');
  const excludePorts = flags.excludePort.map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`--exclude-port ${p}: want 1..65535`);
    return n;
  });
  const excludeCidrs = flags.excludeCidr.map((c) => parseCidr(c, 'agent'));
  if (!existsSync(flags.config)) fail(`--config ${flags.config} does not exist`);
  for (const c of [...flags.meshCgroup, ...flags.proxyCgroup, ...flags.excludeCgroup]) if (!existsSync(c)) fail(`cgroup ${c} does not exist`);
  const agent = new SteeringAgent({
    cgroup: flags.cgroup,
    pinRoot: flags.pinRoot,
    config: { proxy, sockmap: flags.sockmap },
    configDir: flags.config,
    meshCgroups: flags.meshCgroup,
    proxyCgroups: flags.proxyCgroup,
    excludeCgroups: flags.excludeCgroup,
    excludePorts,
    excludeCidrs,
    trustDomain: flags.trustDomain,
    clusterDomain: flags.clusterDomain,
    admin: flags.admin === 'off' ? undefined : flags.admin,
    authDatapath: flags.authDatapath === true,
    log,
  });
  try {
    await agent.start();
  } catch (e) {
    if (e instanceof SteeringError || e instanceof BpfError) fail(e.message);
    throw e;
  }
  log.info('nodemesh bpf agent started', { config: flags.config, admin: agent.adminAddress ?? null, pid: process.pid });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping; pins and links stay (nodemesh bpf detach uninstalls)', { signal, pinRoot: flags.pinRoot });
    agent.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

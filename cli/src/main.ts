// The nodemesh command line.
import { Command, Option } from 'commander';
import { runDemo } from './demo.js';
import { runNodeProxy } from './node-proxy.js';
import { runStatus } from './status.js';
import { runValidate } from './validate.js';
import { runXdsServer } from './xds-server.js';

const program = new Command()
  .name('nodemesh')
  .description('Sidecar-free service-mesh data plane: xDS control server, node proxy, eBPF steering, mutual auth')
  .showHelpAfterError();

program
  .command('xds-server')
  .description('serve the mesh configuration in DIR to node proxies and proxyless gRPC clients over ADS (SotW and Delta)')
  .requiredOption('--config <dir>', 'directory of YAML files (watched)')
  .option('--listen <addr...>', 'ADS address: unix:/path or host:port (repeatable)', ['unix:/run/nodemesh/xds.sock'])
  .option('--admin <host:port>', 'admin HTTP endpoint (metrics, status); "off" to disable', '127.0.0.1:9876')
  .option('--trust-domain <name>', 'SPIFFE trust domain', 'cluster.local')
  .option('--cluster-domain <name>', 'DNS suffix of service hostnames', 'cluster.local')
  .option('--outbound <host:port>', "node proxy's capture listener", '127.0.0.1:15001')
  .option('--ingress <addr:http:https>', 'where node proxies serve Ingresses of class nodemesh: address, HTTP port, HTTPS port', '0.0.0.0:80:443')
  .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'))
  .action(runXdsServer);

program
  .command('node-proxy')
  .description("run this node's proxy: Envoy under supervision, or the embedded engine, programmed over ADS by the xds-server")
  .addOption(new Option('--engine <engine>', 'which proxy runs: auto picks Envoy when it is on PATH').choices(['envoy', 'embedded', 'auto']).default('auto'))
  .option('--xds <addr>', 'ADS address of the xds-server: unix:/path or host:port', 'unix:/run/nodemesh/xds.sock')
  .option('--node-id <id>', 'xDS node id (default: the host name)', '')
  .option('--cluster <name>', 'xDS node cluster', 'nodemesh')
  .option('--zone <zone>', 'locality zone of this node')
  .option('--admin <host:port>', 'admin endpoint (/ready, /stats/prometheus, /config_dump)', '127.0.0.1:15000')
  .option('--drain-time-s <s>', 'how long connections of a changed or removed listener may finish', '600')
  .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'))
  .action(runNodeProxy);

program
  .command('validate')
  .description('validate every document in DIR; prints each error with file, document, kind, name and field path')
  .argument('<dir>', 'directory of YAML files')
  .option('--trust-domain <name>', 'SPIFFE trust domain', 'cluster.local')
  .option('--cluster-domain <name>', 'DNS suffix of service hostnames', 'cluster.local')
  .action(runValidate);

program
  .command('status')
  .description('show what a running xds-server serves: version, config errors, rejected updates, clients and their ACK/NACK state')
  .option('--admin <host:port>', 'admin endpoint of the xds-server', '127.0.0.1:9876')
  .option('--json', 'print the raw JSON')
  .option('--proxy-admin <host:port>', "instead: what a node proxy (Envoy or the embedded engine) has accepted, from its admin's /config_dump")
  .action(runStatus);

program
  .command('demo')
  .description('run the local demo mesh: xds-server on DIR, real backends for its workloads, traffic through the node proxy (embedded engine) and from proxyless gRPC clients')
  .option('--config <dir>', 'directory of YAML files (watched)', 'examples')
  .option('--xds <host:port>', 'ADS TCP address (a Unix socket is served too)', '127.0.0.1:18000')
  .option('--admin <host:port>', 'admin HTTP endpoint', '127.0.0.1:9876')
  .option('--interval-ms <ms>', 'how often the clients report', '3000')
  .option('--no-lab', 'do not run the node proxy in a network namespace (it needs root)')
  .action(runDemo);

const bpf = program.command('bpf').description('eBPF steering of workload connections into the node proxy (cgroup connect4, sockops, getsockopt, sk_msg)');
bpf
  .command('attach')
  .description('load, pin and attach the steering programs to a cgroup and sync their maps (again: an agent restart, established connections stay)')
  .requiredOption('--cgroup <dir>', 'cgroup v2 directory of the node whose processes are steered')
  .option('--pin-root <dir>', 'bpffs directory for maps, programs and links', '/sys/fs/bpf/nodemesh')
  .option('--proxy <ip:port>', "node proxy's capture listener", '127.0.0.1:15001')
  .option('--config <dir>', 'mesh configuration directory: its service VIP:ports are steered')
  .option('--mesh-cgroup <dir...>', 'cgroups whose processes are mesh workloads', [])
  .option('--proxy-cgroup <dir...>', "the node proxy's cgroup: its connections are never redirected", [])
  .option('--exclude-cgroup <dir...>', 'cgroups never redirected (inside a mesh cgroup)', [])
  .option('--exclude-port <port...>', 'destination ports never redirected', [])
  .option('--exclude-cidr <cidr...>', 'destination IPv4 CIDRs never redirected', [])
  .option('--no-sockmap', 'redirect connections but keep data on the TCP/IP path (no sk_msg fast path)')
  .option('--trust-domain <name>', 'SPIFFE trust domain', 'cluster.local')
  .option('--cluster-domain <name>', 'DNS suffix of service hostnames', 'cluster.local')
  .option('--json', 'print the report as JSON')
  .action(async (flags) => (await import('./bpf-attach.js')).runBpfAttach(flags));
bpf
  .command('detach')
  .description('remove the pins: programs detached, maps freed')
  .option('--pin-root <dir>', 'bpffs directory of the pins', '/sys/fs/bpf/nodemesh')
  .action(async (flags) => (await import('./bpf-attach.js')).runBpfDetach(flags));
bpf
  .command('status')
  .description('attached programs per cgroup, map sizes, counters by reason')
  .option('--pin-root <dir>', 'bpffs directory of the pins', '/sys/fs/bpf/nodemesh')
  .option('--json', 'print the raw JSON')
  .action(async (flags) => (await import('./bpf-status.js')).runBpfStatus(flags));

await program.parseAsync(process.argv);

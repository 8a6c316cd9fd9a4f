// The nodemesh command line.
import { Command, Option } from 'commander';
import { runDemo } from './demo.js';
import { runEncryptionAgent } from './encryption-agent.js';
import { runEncryptionRotate, runEncryptionStatus } from './encryption-status.js';
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
  .option('--access-log <path>', "node proxies write a JSON access log of the mesh listeners to PATH (on the proxy's host; original destination, upstream host)")
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
// What a steering instance is: `bpf attach` and `bpf agent` take the same options.
const steeringOptions = (c: Command) =>
  c
    .requiredOption('--cgroup <dir>', 'cgroup v2 directory of the node whose processes are steered')
    .option('--pin-root <dir>', 'bpffs directory for maps, programs and links', '/sys/fs/bpf/nodemesh')
    .option('--proxy <ip:port>', "node proxy's capture listener", '127.0.0.1:15001')
    .option('--mesh-cgroup <dir...>', 'cgroups whose processes are mesh workloads', [])
    .option('--proxy-cgroup <dir...>', "the node proxy's cgroup: its connections are never redirected", [])
    .option('--exclude-cgroup <dir...>', 'cgroups never redirected (inside a mesh cgroup)', [])
    .option('--exclude-port <port...>', 'destination ports never redirected', [])
    .option('--exclude-cidr <cidr...>', 'destination IPv4 CIDRs never redirected', [])
    .option('--no-sockmap', 'redirect connections but keep data on the TCP/IP path (no sk_msg fast path)')
    .option('--trust-domain <name>', 'SPIFFE trust domain', 'cluster.local')
    .option('--cluster-domain <name>', 'DNS suffix of service hostnames', 'cluster.local');
steeringOptions(
  bpf.command('attach').description('load, pin and attach the steering programs to a cgroup and sync their maps (again: an agent restart, established connections stay)'),
)
  .option('--config <dir>', 'mesh configuration directory: its service VIP:ports are steered')
  .option('--json', 'print the report as JSON')
  .action(async (flags) => (await import('./bpf-attach.js')).runBpfAttach(flags));
steeringOptions(
  bpf.command('agent').description('attach (as bpf attach) and keep the steered services in sync with the watched configuration; on SIGTERM pins and links stay (bpf detach uninstalls)'),
)
  .requiredOption('--config <dir>', 'mesh configuration directory (watched): its service VIP:ports are steered')
  .option('--admin <host:port>', 'the agent\'s /metrics and /ready; "off" to disable', '127.0.0.1:9877')
  .option('--auth-datapath', 'also enforce authentication (nm_auth_connect4 and nm_auth_ingress on the mesh cgroups; nm_ip_identity, nm_auth_required from the model)')
  .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'))
  .action(async (flags) => (await import('./bpf-agent.js')).runBpfAgent(flags));
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

const lab = program.command('lab').description('a local multi-node mesh on this machine: nodes as network namespaces joined by veth, workloads, xds-servers, node proxies and BPF agents (needs root)');
const labFlags = (c: Command) =>
  c.option('--name <name>', 'lab name (netns, cgroups and pins are nmlab-cli-<name>…)', 'default').option('--state-dir <dir>', 'where the state file, logs and access logs go', '/run/nodemesh/lab');
labFlags(lab.command('up').description("start the lab: one node per node the configuration's workloads name (at least 2), its workloads, per node an xds-server, a node proxy, the BPF agent (steering and the auth datapath), the encryption agent and the auth agent with its gate"))
  .option('--config <dir>', 'mesh configuration directory (watched by the xds-servers and agents)', 'examples')
  .option('--no-encryption', 'no encryption agents: traffic between the nodes stays unencrypted on the veth')
  .option('--check', 'only say whether this machine can run the lab (exit 0) or why not (exit 1)')
  .action(async (flags) => (await import('./lab-cmd.js')).runLabUp(flags));
labFlags(lab.command('watch').description('every few seconds: where 100 requests per service from each node landed, the BPF counters that moved, WireGuard peers and bytes'))
  .option('--interval-ms <ms>', 'how often', '3000')
  .option('--requests <n>', 'requests per service and node each round', '100')
  .option('--once', 'one round, then exit')
  .action(async (flags) => (await import('./lab-watch.js')).runLabWatch(flags));
labFlags(lab.command('status').description('nodes, workloads, processes, the BPF counters and the encryption status of each node'))
  .option('--json', 'print JSON')
  .action(async (flags) => (await import('./lab-cmd.js')).runLabStatus(flags));
labFlags(lab.command('down').description('remove everything of the lab: processes, namespaces, cgroups, pins, files (also after a crashed up)')).action(async (flags) =>
  (await import('./lab-cmd.js')).runLabDown(flags),
);
labFlags(lab.command('exec').description('run a command as a mesh workload of NODE (its network namespace, a cgroup under its mesh cgroup)'))
  .argument('<node>', 'node name (see nodemesh lab status)')
  .argument('<command...>', 'the command, after --')
  .action(async (node: string, command: string[], flags) => (await import('./lab-cmd.js')).runLabExec(node, command, flags));
labFlags(lab.command('config-sync', { hidden: true }).description("keeps the lab's rewritten copy of the configuration in sync (run by lab up)")).action(async (flags) =>
  (await import('./lab-cmd.js')).runLabConfigSync(flags),
);
labFlags(lab.command('serve', { hidden: true }).description("a lab workload's servers (run by lab up)"))
  .requiredOption('--workload <name>', 'workload name')
  .option('--listen <kind:address:port...>', 'http|grpc|tcp:ADDRESS:PORT', [])
  .action(async (flags) => (await import('./lab-cmd.js')).runLabServe(flags));

const encryption = program.command('encryption').description('transparent node-to-node encryption (WireGuard; IPsec where the kernel has ESP)');
encryption
  .command('agent')
  .description("run this node's encryption agent: key pair, Node object, tunnel, peers, routes, strict mode")
  .requiredOption('--node <name>', 'this node\'s name')
  .requiredOption('--endpoint <ip>', 'this node\'s underlay address (tunnel endpoint)')
  .requiredOption('--pod-cidr <cidr...>', 'this node\'s pod CIDRs')
  .requiredOption('--config <dir>', 'directory of Node objects (file mode); this node\'s is written there')
  .option('--state-dir <dir>', 'private key and agent state (0700)', '/var/lib/nodemesh/encryption')
  .addOption(new Option('--mode <mode>', 'encryption mode').choices(['wireguard', 'ipsec']).default('wireguard'))
  .option('--interface <name>', 'tunnel interface name', 'nodemesh-wg')
  .option('--port <port>', 'WireGuard UDP listen port', '51871')
  .option('--strict', 'drop and count remote pod traffic that would leave unencrypted')
  .option('--strict-cidr <cidr...>', 'more destinations strict mode guards (e.g. the cluster pod CIDR)')
  .option('--underlay-mtu <bytes>', 'underlay MTU (default: the MTU of the device holding --endpoint)')
  .option('--resync-ms <ms>', 'full reconcile interval (changes in --config apply at once)', '5000')
  .option('--rotate-every-s <s>', 'rotate the key when it is this old')
  .option('--rotation-timeout-s <s>', 'abandon a rotation peers have not acknowledged by then', '60')
  .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'))
  .action(runEncryptionAgent);
encryption
  .command('status')
  .description('mode, peers, last handshake, bytes, MTU, strict-mode drops of this node')
  .option('--state-dir <dir>', "the agent's state directory", '/var/lib/nodemesh/encryption')
  .option('--json', 'print JSON')
  .action(runEncryptionStatus);
encryption
  .command('rotate')
  .description("rotate this node's WireGuard key now (the running agent does it without breaking connections)")
  .option('--state-dir <dir>', "the agent's state directory", '/var/lib/nodemesh/encryption')
  .action(runEncryptionRotate);

const auth = program.command('auth').description('SPIFFE identities and out-of-band mutual authentication of workload flows (issue #6)');
auth
  .command('agent')
  .description("run this node's auth agent: SVIDs for the node's workloads, the handshake service, the auth manager, /status and /metrics")
  .requiredOption('--node <name>', "this node's name (endpoints and Workloads whose node it is are this node's identities)")
  .requiredOption('--config <dir>', 'configuration directory (file mode): workloads, Services, EndpointSlices, Nodes, policies')
  .option('--state-dir <dir>', 'SVID keys (0600) and certificates, under svids/', '/var/lib/nodemesh/auth')
  .option('--trust-domain <td>', 'SPIFFE trust domain', 'cluster.local')
  .option('--cluster-domain <domain>', 'DNS suffix of service hostnames', 'cluster.local')
  .option('--ca-dir <dir>', "the trust domain's shared CA directory: bring-your-own (tls.crt, tls.key, ca.crt) or, when empty, the first agent creates the root there; watched for CA rotation (without it: an in-memory root no other node trusts)")
  .option('--listen <host:port>', "handshake service address (default: this node's Node address and auth port)")
  .option('--auth-port <port>', 'auth port of nodes without the nodemesh.io/auth-port annotation', '4250')
  .option('--admin <host:port>', 'admin endpoint (/status, /metrics)', '127.0.0.1:9878')
  .option('--svid-ttl-s <s>', 'SVID lifetime in seconds (default 3600)')
  .option('--bpf-pin-root <dir>', "write auth entries into the BPF auth map pinned there (the bpf agent's --pin-root, run with --auth-datapath); default: an in-memory map")
  .option('--gate <ipv4:port>', 'run the auth gate there: auth-required connections without an entry are held there while the agent authenticates (needs --bpf-pin-root to be steered)')
  .option('--preauthenticate', 'authenticate in advance the identity pairs the policy names (a local source allowed to reach an auth-required destination), so their first connection goes straight; again every 30 s')
  .option('--preauthenticate-max <n>', 'at most this many pairs in advance (the rest authenticate on their first connection)', '1024')
  .option('--refusal-backoff <first,max>', 'after a refusal, the identity pair\'s flows are refused without a handshake for FIRST seconds, doubling per refusal up to MAX (0,0: every flow tries a handshake)', '1,30')
  .option('--tunnel-interface <ifname>', "the node's WireGuard interface: auth-required packets from other nodes' workloads are delivered only when they came out of it (needs --bpf-pin-root; while it is missing they are dropped)")
  .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'))
  .action(async (flags) => (await import('./auth-agent.js')).runAuthAgent(flags));
auth
  .command('explain')
  .description("was this flow authenticated, by whom, when: this node's auth entries for the pair and what its datapath does with a new connection (from the pinned maps)")
  .requiredOption('--from <ip>', 'source workload address')
  .requiredOption('--to <ip:port>', 'destination workload address and port')
  .option('--pin-root <dir>', "the bpf agent's pin root", '/sys/fs/bpf/nodemesh')
  .option('--json', 'print JSON')
  .action(async (flags) => (await import('./auth-explain.js')).runAuthExplain(flags));
auth
  .command('status')
  .description("entries, pending handshakes, failures by reason and requirements of this node's auth agent")
  .option('--admin <host:port>', "the agent's admin endpoint", '127.0.0.1:9878')
  .option('--json', 'print JSON')
  .action(async (flags) => (await import('./auth-status.js')).runAuthStatus(flags));

await program.parseAsync(process.argv);

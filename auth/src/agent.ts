// The node auth agent (`nodemesh auth agent`): one per node. It
// - reads the configuration directory (FileProvider → Kubernetes translator →
//   auth translator), so it knows which identities run on this node (endpoints
//   and Workloads whose node is this node), where every node's auth service is
//   (Node objects), and which flows policy requires to authenticate;
// - issues SVIDs for the local identities with the embedded provider, from a
//   bring-your-own CA directory or an in-memory root (single node only: no
//   other node can trust it), keys 0600 under <state dir>/svids;
// - runs the handshake responder (AuthServer) and the initiator side
//   (AuthManager), admitting initiators only when the model places their
//   identity on the node they claim, connecting from that node's address;
// - with --gate, runs the auth gate (gate.ts): nm_auth_connect4 steers an
//   auth-required connection that has no entry there; the gate holds it,
//   authenticates, then forwards or resets it. Its address goes into the
//   pinned nm_auth_gate map once it listens, and port 0 on a clean stop, so
//   the connect hook refuses (fails closed) while no gate runs. Where the
//   destination's policy says scope: connection, the gate authenticates each
//   connection with its 4-tuple (AuthManager.authenticateConnection), and the
//   responder admits such a request only when the tuple's addresses are the
//   two identities' workloads on the nodes the model places them;
// - with --preauthenticate, authenticates in advance the pairs the policy
//   names (preauth.ts), so their first connection goes straight;
// - with --tunnel-interface (encryption on), keeps nm_auth_tunnel naming that
//   interface (tunnel.ts): auth-required packets from another node's workload
//   are delivered only when they came out of the tunnel, where their source
//   address cannot be forged;
// - serves /status (what `nodemesh auth status` prints) and /metrics.
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import client from 'prom-client';
import { formatConfigError } from '../../crds/src/errors.js';
import type { Resources } from '../../crds/src/resources.js';
import type { Logger } from '../../xds-server/src/log.js';
import { authScopeFor, type AuthRequirementIR, type AuthScope } from '../../xds-server/src/model/auth-policies.js';
import { FileProvider, type ProviderState } from '../../xds-server/src/provider/file/index.js';
import { translateAuthPolicies } from '../../xds-server/src/translate/auth/translate.js';
import { translateResources } from '../../xds-server/src/translate/kubernetes/translate.js';
import { BpfAuthMap } from './authmap/bpf.js';
import { InMemoryAuthMap } from './authmap/memory.js';
import type { AuthMap, ConnectionTuple } from './authmap/types.js';
import type { AuthEntry } from './authmap/types.js';
import { X509Authority } from './certs/authority.js';
import { ensureCaDirectory, loadCaDirectory, watchCaDirectory } from './certs/ca-dir.js';
import { EmbeddedCertificateProvider } from './certs/embedded.js';
import { TrustStore } from './certs/trust.js';
import type { NodeAddress } from './handshake/client.js';
import { AuthServer, type ResponderOutcome } from './handshake/server.js';
import { AuthGateServer, type GateStats } from './gate.js';
import { TunnelWatch, type TunnelState } from './tunnel.js';
import { Preauthenticator, preauthPairs, type PreauthStatus } from './preauth.js';
import { AuthManager, type AuthDecision } from './manager.js';
import { originalDst } from '../../node-proxy/src/engine/listener/original-dst.js';
import { AuthMetrics } from './metrics.js';
import { authorizePeer, computePlacement, identitiesOnNode, type Placement } from './placement.js';
import type { AuthFailureReason } from './reasons.js';

/** Cilium's mutual-auth port; the default for nodes without the nodemesh.io/auth-port annotation. */
export const DEFAULT_AUTH_PORT = 4250;

export interface AuthAgentOptions {
  nodeName: string;
  configDir: string;
  /** SVID keys and certificates go to <stateDir>/svids (0700 directory, 0600 keys). */
  stateDir: string;
  trustDomain: string;
  clusterDomain?: string;
  /**
   * The CA directory shared by this trust domain's agents: bring-your-own
   * (tls.crt, tls.key and, for an intermediate, ca.crt, as cert-manager
   * writes them) or, when empty, the first agent creates a root there
   * (certs/ca-dir.ts). Watched: a new CA there rotates every SVID.
   */
  caDir?: string;
  /** How often the CA directory is polled for a new CA (default 2 s). */
  caPollIntervalMs?: number;
  /** How long after a new CA is seen the agent starts issuing from it (default 2 polls + 1 s: peers trust it by then). */
  caSwitchDelayMs?: number;
  /** Where the handshake responder listens; default this node's address (its Node object) and its auth port. */
  listenHost?: string;
  listenPort?: number;
  /** Auth port of nodes without the annotation; default 4250. */
  defaultAuthPort?: number;
  /** host:port of /status and /metrics; bind it to localhost. */
  adminAddress: string;
  logger: Logger;
  svidTtlMs?: number;
  /**
   * Write auth entries into the pinned BPF auth map under this bpffs
   * directory (the bpf agent's --pin-root, whose cgroup_skb/ingress check
   * reads them) instead of an in-memory map.
   */
  bpfPinRoot?: string;
  /**
   * Run the auth gate on this address (IPv4; the workloads must reach it:
   * loopback when they share the node's network namespace). With
   * bpfPinRoot its address is written into nm_auth_gate.
   */
  gate?: { host: string; port: number };
  /**
   * The node's encryption tunnel interface (WireGuard). With bpfPinRoot,
   * auth-required packets from other nodes' workloads are then delivered
   * only when they came out of it. Without it the check is off (written so
   * at start: this agent owns the setting).
   */
  tunnelInterface?: string;
  /** Back-off of a refused pair (its flows refused without a handshake meanwhile): first (default 1 s), doubling up to the maximum (default 30 s; 0 disables). */
  refusalBackoffInitialMs?: number;
  refusalBackoffMaxMs?: number;
  /**
   * Authenticate in advance every pair the policy names (a local identity
   * that a required pair-scope entry allows to reach a destination), at most
   * `max` (default 1024), again every `intervalMs` (default 30 s).
   */
  preauthenticate?: { max?: number; intervalMs?: number };
  /** How often the tunnel interface is looked up again (default 1 s). */
  tunnelPollIntervalMs?: number;
  /** FileProvider tuning (tests poll fast). */
  pollIntervalMs?: number;
  providerMode?: 'watch' | 'poll';
}

export interface AuthAgentStatus {
  node: string;
  trustDomain: string;
  listen: string;
  generation: number;
  identities: string[];
  nodes: Record<string, { address: string; authPort: number }>;
  entries: (AuthEntry & { expiresIn: string })[];
  /** Unexpired per-connection entries this node holds (as the responder: one per authenticated connection to its workloads). */
  connections: number;
  pending: string[];
  /** Pairs refused earlier whose flows are refused without a handshake until `retryIn` has passed. */
  backoff: { key: string; reason: AuthFailureReason; retryIn: string }[];
  failures: { initiator: Partial<Record<AuthFailureReason, number>>; responder: Partial<Record<AuthFailureReason, number>> };
  handshakes: { responderOk: number; responderFailed: number };
  /** The auth gate: where it listens and what it did with the connections it held; undefined without --gate. */
  gate?: { listen: string; bpf: boolean } & GateStats;
  /** Pre-authentication (--preauthenticate): the pairs and the last pass's outcome. */
  preauth?: PreauthStatus;
  /** What nm_auth_tunnel says (BPF auth map only). */
  tunnel?: TunnelState & { interface?: string };
  /** Auth requirements whose destination runs on this node. */
  requirements: AuthRequirementIR[];
  configErrors: string[];
}

export class AuthAgent {
  readonly #o: AuthAgentOptions;
  readonly registry = new client.Registry();
  readonly #metrics = new AuthMetrics(this.registry);
  readonly #authMap: AuthMap;
  #trust!: TrustStore;
  #provider!: EmbeddedCertificateProvider;
  #server!: AuthServer;
  #manager!: AuthManager;
  #files!: FileProvider;
  #admin: Server | undefined;
  #placement: Placement = { nodesByIdentity: new Map(), byAddress: new Map(), nodes: new Map() };
  #requirements: AuthRequirementIR[] = [];
  #configErrors: string[] = [];
  #generation = 0;
  #applying: Promise<void> = Promise.resolve();
  readonly #responderFailures = new Map<AuthFailureReason, number>();
  #listen = '';
  #stopped = false;
  #stopCaWatch: (() => void) | undefined;
  #gate: AuthGateServer | undefined;
  #tunnel: TunnelWatch | undefined;
  #preauth: Preauthenticator | undefined;
  #gateListen = '';
  #adminBound = '';
  #unsubscribe: (() => void) | undefined;

  constructor(o: AuthAgentOptions) {
    this.#o = o;
    if (o.tunnelInterface !== undefined && o.bpfPinRoot === undefined) throw new Error('a tunnel interface needs the BPF auth map (--bpf-pin-root): nm_auth_ingress makes the tunnel check');
    this.#authMap = o.bpfPinRoot !== undefined ? BpfAuthMap.open(o.bpfPinRoot) : new InMemoryAuthMap();
  }

  /** host:port the handshake responder listens on. */
  get listenAddress(): string {
    return this.#listen;
  }

  get adminAddress(): string {
    return this.#adminBound;
  }

  /** Configuration generations applied so far (tests wait on it). */
  get generation(): number {
    return this.#generation;
  }

  async start(): Promise<void> {
    const o = this.#o;
    if (o.caDir) await ensureCaDirectory(o.caDir, o.trustDomain, o.logger);
    const authority = o.caDir ? await loadCaDirectory(o.caDir, o.trustDomain, o.logger) : await X509Authority.createEmbedded({ trustDomain: o.trustDomain });
    if (!o.caDir) o.logger.warn('auth agent: no --ca-dir, using an in-memory root: no other node trusts it, and it changes on every restart', { node: o.nodeName });
    this.#trust = new TrustStore(o.trustDomain);
    this.#trust.setBundle(o.trustDomain, authority.bundlePem);
    this.#provider = new EmbeddedCertificateProvider({
      authority,
      trust: this.#trust,
      logger: o.logger,
      keyDir: join(o.stateDir, 'svids'),
      ...(o.svidTtlMs !== undefined ? { ttlMs: o.svidTtlMs } : {}),
      onRotation: (result) => this.#metrics.rotations.inc({ result }),
    });
    const common = { nodeName: o.nodeName, provider: this.#provider, trust: this.#trust, authMap: this.#authMap, logger: o.logger, metrics: this.#metrics };
    this.#server = new AuthServer({ ...common, authorizePeer: (p) => authorizePeer(this.#placement, p), authorizeConnection: (p) => this.#authorizeConnection(p) });
    this.#server.onOutcome = (out: ResponderOutcome) => {
      if (!out.ok && out.reason) this.#responderFailures.set(out.reason, (this.#responderFailures.get(out.reason) ?? 0) + 1);
    };
    this.#manager = new AuthManager({
      ...common,
      resolveNode: (n) => this.#resolveNode(n),
      ...(o.refusalBackoffInitialMs !== undefined ? { refusalBackoffInitialMs: o.refusalBackoffInitialMs } : {}),
      ...(o.refusalBackoffMaxMs !== undefined ? { refusalBackoffMaxMs: o.refusalBackoffMaxMs } : {}),
    });

    this.#files = new FileProvider({
      dir: o.configDir,
      logger: (fields) => o.logger.debug('file provider', fields),
      ...(o.providerMode ? { mode: o.providerMode } : {}),
      ...(o.pollIntervalMs !== undefined ? { pollIntervalMs: o.pollIntervalMs, debounceMs: Math.min(100, o.pollIntervalMs) } : {}),
    });
    await this.#files.start();
    await this.#apply(this.#files.current());
    this.#unsubscribe = this.#files.onChange((s) => void this.#apply(s));

    const own = this.#placement.nodes.get(o.nodeName);
    const host = o.listenHost ?? own?.address ?? '0.0.0.0';
    const port = o.listenPort ?? own?.authPort ?? o.defaultAuthPort ?? DEFAULT_AUTH_PORT;
    const bound = await this.#server.listen(port, host);
    this.#listen = `${bound.address}:${bound.port}`;
    this.#manager.start();
    if (o.caDir) this.#stopCaWatch = watchCaDirectory({ dir: o.caDir, trustDomain: o.trustDomain, logger: o.logger, intervalMs: o.caPollIntervalMs ?? 2000, onChange: (a) => this.#rotateCa(a) });
    if (o.gate) await this.#startGate(o.gate);
    if (this.#authMap instanceof BpfAuthMap) {
      const datapath = this.#authMap.datapath;
      this.#tunnel = new TunnelWatch({ interfaceName: o.tunnelInterface, write: (t) => datapath.setTunnel(t), logger: o.logger, ...(o.tunnelPollIntervalMs ? { intervalMs: o.tunnelPollIntervalMs } : {}) });
      this.#tunnel.start();
    }
    if (o.preauthenticate) {
      this.#preauth = new Preauthenticator({
        authenticate: (flow) => this.#manager.authenticate(flow),
        logger: o.logger,
        ...(o.preauthenticate.intervalMs !== undefined ? { intervalMs: o.preauthenticate.intervalMs } : {}),
      });
      this.#preauth.start();
      void this.#preauth.update(this.#preauthSet());
    }
    this.#adminBound = await this.#startAdmin(o.adminAddress);
    o.logger.info('auth agent running', { node: o.nodeName, listen: this.#listen, gate: this.#gateListen || undefined, admin: this.#adminBound, identities: this.#provider.identities().length });
  }

  async #startGate(at: { host: string; port: number }): Promise<void> {
    this.#gate = new AuthGateServer({
      nodeName: this.#o.nodeName,
      lookup: (address) => this.#placement.byAddress.get(address),
      authenticate: (flow) => this.#manager.authenticate(flow),
      authenticateConnection: (flow, tuple, opts) => this.#manager.authenticateConnection(flow, tuple, opts),
      scopeOf: (flow) => this.scopeOf(flow),
      originalDst,
      logger: this.#o.logger,
      registry: this.registry,
    });
    const a = await this.#gate.listen(at.port, at.host);
    this.#gateListen = `${a.address}:${a.port}`;
    // Only now may the connect hook send connections here.
    if (this.#authMap instanceof BpfAuthMap) this.#authMap.datapath.setGate({ address: a.address, port: a.port });
  }

  /**
   * A new CA in the CA directory. Two phases, so that no peer ever meets an
   * SVID from a root it does not trust yet: first trust the new root next to
   * the old one (every agent polls the same directory), then, once the others
   * have had time to do the same, issue from it and re-issue every SVID —
   * each rotation re-authenticates that identity's entries. The old roots are
   * dropped once the SVIDs they signed have expired.
   */
  async #rotateCa(next: X509Authority): Promise<void> {
    const o = this.#o;
    const old = this.#trust.bundle(o.trustDomain)?.map((c) => c.toString()) ?? [];
    this.#trust.setBundle(o.trustDomain, [...next.bundlePem, ...old]);
    const poll = o.caPollIntervalMs ?? 2000;
    await new Promise((r) => setTimeout(r, o.caSwitchDelayMs ?? 2 * poll + 1000));
    if (this.#stopped) return;
    this.#provider.setAuthority(next);
    const ids = this.#provider.identities();
    const results = await Promise.allSettled(ids.map((id) => this.#provider.rotate(id)));
    const failed = results.filter((r) => r.status === 'rejected').length;
    o.logger.info('auth CA rotated: SVIDs re-issued, their entries re-authenticated', { identities: ids.length, failed });
    const retire = setTimeout(() => {
      if (!this.#stopped) this.#trust.setBundle(o.trustDomain, next.bundlePem);
    }, o.svidTtlMs ?? 3600_000);
    retire.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopCaWatch?.();
    this.#tunnel?.stop();
    await this.#preauth?.stop();
    // First: no new connection is steered to a gate that is going away; the
    // connect hook refuses them (fail closed) until a gate runs again.
    if (this.#gate && this.#authMap instanceof BpfAuthMap) this.#authMap.datapath.setGate({ address: '0.0.0.0', port: 0 });
    await this.#gate?.close();
    this.#unsubscribe?.();
    this.#files?.stop();
    await this.#applying;
    await this.#manager?.stop();
    await this.#server?.close();
    await this.#provider?.close();
    if (this.#admin) await new Promise<void>((r) => this.#admin!.close(() => r()));
  }

  /** Resolves once configuration changes seen so far are applied. */
  async settled(): Promise<void> {
    await this.#applying;
  }

  /** "May this flow open?": the entry point of the auth gate and of tests. */
  authenticate(flow: { localIdentity: string; remoteIdentity: string; remoteNode: string }): Promise<AuthDecision> {
    return this.#manager.authenticate(flow);
  }

  /** Per-connection authentication of one 4-tuple: the gate's entry point for scope connection, and of tests. */
  authenticateConnection(flow: { localIdentity: string; remoteIdentity: string; remoteNode: string }, tuple: ConnectionTuple, opts: { renewal?: boolean } = {}): Promise<AuthDecision> {
    return this.#manager.authenticateConnection(flow, tuple, opts);
  }

  /** As authenticate(), with the remote identity and node found from the destination address in the model. */
  async authenticateTo(flow: { localIdentity: string; destinationAddress: string }): Promise<AuthDecision> {
    const dest = this.#placement.byAddress.get(flow.destinationAddress);
    if (!dest) return { allowed: false, reason: 'unknown_node', by: 'local', detail: `no workload with address ${flow.destinationAddress} in the mesh model` };
    return this.authenticate({ localIdentity: flow.localIdentity, remoteIdentity: dest.identity, remoteNode: dest.node });
  }

  /**
   * The scope a connection from `sourceAddress` to destinationAddress:port
   * needs: connection when the model or this node's nm_auth_required (what
   * the receiving node's datapath enforces, synced from the same model) says
   * so — the stricter answer, since a pair entry would not get a
   * per-connection port through.
   */
  scopeOf(flow: { localIdentity: string; remoteIdentity: string; sourceAddress: string; destinationAddress: string; port: number }): AuthScope {
    const model = authScopeFor(this.#requirements, { sourceIdentity: flow.localIdentity, sourceAddress: flow.sourceAddress, destinationAddress: flow.destinationAddress, port: flow.port, protocol: 'TCP' });
    if (model === 'connection') return 'connection';
    if (this.#authMap instanceof BpfAuthMap && this.#authMap.datapath.portMode(flow.remoteIdentity, flow.port) === 'per-connection') return 'connection';
    return 'pair';
  }

  #authorizeConnection(p: { localIdentity: string; remoteIdentity: string; remoteNode: string; tuple: ConnectionTuple }): string | undefined {
    const src = this.#placement.byAddress.get(p.tuple.sourceAddress);
    if (!src || src.identity !== p.remoteIdentity || src.node !== p.remoteNode) {
      return `connection source ${p.tuple.sourceAddress} is no workload of ${p.remoteIdentity} on node ${p.remoteNode} in the mesh model`;
    }
    const dst = this.#placement.byAddress.get(p.tuple.destinationAddress);
    if (!dst || dst.identity !== p.localIdentity || dst.node !== this.#o.nodeName) {
      return `connection destination ${p.tuple.destinationAddress} is no workload of ${p.localIdentity} on node ${this.#o.nodeName} in the mesh model`;
    }
    return undefined;
  }

  async status(): Promise<AuthAgentStatus> {
    const s = await this.#manager.status();
    const now = Date.now();
    const local = new Set(this.#provider.identities());
    const connections = ((await this.#authMap.listConnections?.()) ?? []).filter((e) => e.expiresAt > now).length;
    return {
      node: this.#o.nodeName,
      trustDomain: this.#o.trustDomain,
      listen: this.#listen,
      generation: this.#generation,
      identities: [...local].sort(),
      nodes: Object.fromEntries([...this.#placement.nodes].sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, i]) => [n, { ...i }])),
      entries: s.entries.map((e) => ({ ...e, expiresIn: `${Math.max(0, Math.round((e.expiresAt - now) / 1000))}s` })),
      connections,
      pending: s.pending,
      backoff: this.#manager.backoffs().map((b) => ({ key: b.key, reason: b.reason, retryIn: `${Math.max(0, Math.ceil((b.until - now) / 1000))}s` })),
      failures: { initiator: s.failures, responder: Object.fromEntries(this.#responderFailures) },
      handshakes: { responderOk: this.#server.stats.ok, responderFailed: this.#server.stats.failed },
      ...(this.#gate ? { gate: { listen: this.#gateListen, bpf: this.#authMap instanceof BpfAuthMap, ...this.#gate.stats } } : {}),
      ...(this.#tunnel?.state ? { tunnel: this.#tunnel.state } : {}),
      ...(this.#preauth ? { preauth: this.#preauth.status() } : {}),
      requirements: this.#requirements.filter((r) => r.destination.node === this.#o.nodeName),
      configErrors: this.#configErrors,
    };
  }

  #preauthSet(): ReturnType<typeof preauthPairs> {
    return preauthPairs(this.#requirements, new Set(this.#provider.identities()), this.#o.preauthenticate?.max ?? 1024);
  }

  #resolveNode(node: string): NodeAddress | undefined {
    const n = this.#placement.nodes.get(node);
    if (!n) return undefined;
    const own = this.#placement.nodes.get(this.#o.nodeName);
    // Connect from this node's own address: the responder checks it against our Node object.
    return { host: n.address, port: n.authPort, ...(own ? { localAddress: own.address } : {}) };
  }

  #apply(state: ProviderState): Promise<void> {
    this.#applying = this.#applying.then(() => this.#applyNow(state.resources, state.errors.map(formatConfigError))).catch((err: unknown) => {
      this.#o.logger.error('auth agent: applying configuration failed', { error: err instanceof Error ? err.message : String(err) });
    });
    return this.#applying;
  }

  async #applyNow(resources: Resources, providerErrors: string[]): Promise<void> {
    const o = this.#o;
    const { model, errors } = translateResources(resources, { trustDomain: o.trustDomain, clusterDomain: o.clusterDomain ?? 'cluster.local' });
    const auth = translateAuthPolicies(resources, model);
    const { placement, problems } = computePlacement(resources, model, o.defaultAuthPort ?? DEFAULT_AUTH_PORT);
    this.#placement = placement;
    this.#requirements = auth.authPolicies;
    this.#configErrors = [...providerErrors, ...[...errors, ...auth.errors].map(formatConfigError), ...problems];
    for (const p of problems) o.logger.warn('auth agent: configuration problem', { problem: p });
    const want = new Set(identitiesOnNode(placement, o.nodeName));
    const have = new Set(this.#provider.identities());
    for (const id of have) if (!want.has(id)) this.#provider.removeIdentity(id);
    const added = [...want].filter((id) => !have.has(id));
    const results = await Promise.allSettled(added.map((id) => this.#provider.addIdentity(id)));
    results.forEach((r, i) => {
      if (r.status === 'rejected') o.logger.error('auth agent: issuing an SVID failed', { identity: added[i], error: r.reason instanceof Error ? r.reason.message : String(r.reason) });
    });
    this.#generation++;
    // The new configuration may allow what was refused.
    this.#manager?.resetBackoff();
    void this.#preauth?.update(this.#preauthSet());
    o.logger.info('auth agent: configuration applied', { generation: this.#generation, identities: want.size, added: added.length, removed: [...have].filter((id) => !want.has(id)).length, requirements: auth.authPolicies.length });
  }

  async #startAdmin(address: string): Promise<string> {
    const i = address.lastIndexOf(':');
    const host = address.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1';
    const port = Number(address.slice(i + 1));
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://admin');
      const fail = (code: number, error: string) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(`${JSON.stringify({ error })}\n`);
      };
      if (req.method !== 'GET') return fail(405, 'GET only');
      if (url.pathname === '/status') {
        void this.status().then(
          (s) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(`${JSON.stringify(s, null, 2)}\n`);
          },
          (err: Error) => fail(500, err.message),
        );
        return;
      }
      if (url.pathname === '/metrics') {
        void this.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': this.registry.contentType });
            res.end(text);
          },
          (err: Error) => fail(500, err.message),
        );
        return;
      }
      fail(404, 'not found; paths: /status, /metrics');
    });
    server.listen(port, host);
    await once(server, 'listening');
    this.#admin = server;
    const a = server.address() as AddressInfo;
    return `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }
}

// The encryption agent of one node: owns the node's WireGuard key, publishes
// its Node object, and keeps the interface, peers, routes and strict-mode
// rules in line with the set of Nodes — at start, on every change in the
// config directory (fs.watch) and on a resync timer. Reconciles are
// serialized and idempotent: a run that finds nothing to change changes
// nothing (and writes nothing).
//
// Key rotation (WireGuard allows one public key per peer, and a peer's
// AllowedIPs can belong to only one key, so a node cannot simply swap its
// key: peers would drop its packets until they learn the new key, and their
// handshakes would fail until it has switched). nodemesh rotates make-
// before-break, in four steps driven entirely through Node objects:
//   1. The rotating node stores a new key as `next` and publishes its public
//      half as spec.wireGuard.nextPublicKey. Its current key keeps working.
//   2. Every peer adds the next key as a second peer entry for that node,
//      with the same endpoint and NO AllowedIPs (the CIDRs stay with the
//      current key), and lists it in its own status.wireGuardPeerKeys — the
//      acknowledgement.
//   3. Once every peer has acknowledged, the node switches its interface to
//      the new private key and publishes it as publicKey. Its next handshake
//      (immediate: switching expires its sending sessions) is accepted by
//      every peer, whose staged entry already knows the key; its inbound
//      sessions keep decrypting what peers still send with the old ones.
//   4. Each peer, on seeing the new publicKey, moves the node's CIDRs to the
//      new key and removes the old key, in one `wg set`.
// The one gap: between 3 and 4 a peer receives the node's packets on the
// new session but still attributes its CIDRs to the old key, and drops them
// (cryptokey routing). It lasts one file-watch + reconcile (milliseconds
// here); TCP retransmits across it, so connections see a delay, never an
// error — the e2e test runs a transfer across a rotation to hold us to
// that. A peer that never acknowledges (agent down) makes the rotation give
// up after rotationTimeoutMs, keeping the old key, rather than cut it off.
// Cilium does not rotate WireGuard node keys at all (only on node
// replacement; cilium/cilium#37920 asks how it would even work).
import { existsSync, mkdirSync, unlinkSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../xds-server/src/log.js';
import type { NodeDoc, NodeSpec } from '../../crds/src/node.js';
import { run as defaultRun, type Run } from './exec.js';
import { WireGuardDatapath, type Implementation } from './datapath.js';
import { checkIpsecKernel } from './ipsec.js';
import { KeyStore } from './keys.js';
import { desiredState, type DesiredState } from './plan.js';
import { applyStrict, removeStrict } from './strict.js';
import { nodeFile, readNodes, writeNode } from './nodes.js';

export type EncryptionMode = 'wireguard' | 'ipsec';

export interface AgentOptions {
  mode: EncryptionMode;
  nodeName: string;
  /** Where Node objects are published and read (file mode). */
  configDir: string;
  /** Private key and agent state; created 0700. */
  stateDir: string;
  ifname: string;
  listenPort: number;
  /** This node's underlay address. */
  tunnelEndpoint: string;
  podCIDRs: string[];
  /** Drop (and count) remote pod traffic that would leave unencrypted. */
  strict: boolean;
  /** Extra destinations strict mode guards besides the known peers' pod CIDRs (e.g. the cluster pod CIDR). */
  strictCIDRs: string[];
  /** Overrides the MTU read from the device holding the tunnel endpoint. */
  underlayMtu?: number;
  resyncMs: number;
  /** Rotate the key when it is this old (undefined: only on demand). */
  rotateEveryMs?: number;
  /** Give up a rotation when not every peer has acknowledged the next key by then. */
  rotationTimeoutMs: number;
  log: Logger;
  run?: Run;
}

/** What the agent last did; written to <stateDir>/agent.json for `nodemesh encryption status` (no secrets). */
export interface AgentState {
  mode: EncryptionMode;
  node: string;
  ifname: string;
  implementation: Implementation;
  configDir: string;
  listenPort: number;
  mtu: number;
  underlayMtu: number;
  strict: boolean;
  publicKey: string;
  rotation?: { nextPublicKey: string; since: string };
  lastKeySwitch?: string;
  problems: string[];
  reconciledAt: string;
}

export const ROTATE_REQUEST_FILE = 'rotate-request';
export const AGENT_STATE_FILE = 'agent.json';

export class EncryptionAgent {
  private readonly run: Run;
  private readonly keys: KeyStore;
  private readonly dp: WireGuardDatapath;
  private readonly log: Logger;
  private implementation: Implementation | undefined;
  private watcher: FSWatcher | undefined;
  private stateWatcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private rotationRequested = false;
  private lastKeySwitch: Date | undefined;
  /** Problems already logged, so a standing problem is logged once, not every resync. */
  private logged = new Set<string>();

  constructor(private readonly opts: AgentOptions) {
    this.run = opts.run ?? defaultRun;
    this.log = opts.log.child({ component: 'encryption', node: opts.nodeName });
    this.keys = new KeyStore(opts.stateDir);
    this.dp = new WireGuardDatapath(this.run, opts.ifname);
  }

  /**
   * Brings the data path up (or takes over the one a previous agent left)
   * and starts watching. Throws WireGuardUnavailableError /
   * IpsecUnavailableError with one clear message when the mode cannot run here.
   */
  async start(): Promise<{ implementation: Implementation; reused: boolean }> {
    if (this.opts.mode === 'ipsec') {
      checkIpsecKernel();
      throw new Error('IPsec mode: this kernel has ESP, but applying IPsec configuration is not implemented yet (encryption/README.md); use --mode wireguard');
    }
    mkdirSync(this.opts.configDir, { recursive: true });
    const key = this.keys.ensureCurrent();
    if (key.created) this.log.info('generated WireGuard key pair', { publicKey: key.publicKey });
    // A key switch that reached the interface just before a crash but was not
    // yet committed on disk: commit it rather than switch back.
    const pendingNext = this.keys.nextPublicKey();
    if (pendingNext !== undefined && (await this.dp.linkKind()) !== undefined) {
      const live = await this.dp.dump().catch(() => undefined);
      if (live?.iface.publicKey === pendingNext) this.keys.commitNext();
    }
    const ensured = await this.dp.ensure({ ifname: this.opts.ifname, listenPort: this.opts.listenPort, privateKeyPath: this.keys.currentPath, publicKey: this.keys.currentPublicKey() });
    this.implementation = ensured.implementation;
    this.log.info(ensured.reused ? 'reusing existing WireGuard interface' : 'created WireGuard interface', { ifname: this.opts.ifname, implementation: ensured.implementation });
    // The first reconcile's errors reach the caller; later ones are logged.
    const first = this.reconcile();
    this.running = first.then(() => undefined, () => undefined);
    try {
      await first;
    } finally {
      this.running = undefined;
    }
    if (this.again) this.trigger();
    this.watcher = watch(this.opts.configDir, () => this.trigger());
    this.watcher.on('error', (e) => this.log.warn('config directory watch failed; relying on resync', { error: e }));
    // `nodemesh encryption rotate` drops a request file here: act on it at once.
    this.stateWatcher = watch(this.opts.stateDir, (_event, file) => {
      if (file === ROTATE_REQUEST_FILE) this.trigger();
    });
    this.stateWatcher.on('error', () => {});
    this.timer = setInterval(() => this.trigger(), this.opts.resyncMs);
    return ensured;
  }

  /** Asks for a key rotation at the next reconcile. */
  requestRotation(): void {
    this.rotationRequested = true;
    this.trigger();
  }

  /** Stops watching; the interface, routes and strict rules stay (restart safety). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    this.stateWatcher?.close();
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Removes everything this agent made: interface, routes, strict rules, its Node object. */
  async teardown(): Promise<void> {
    await this.stop();
    await this.dp.teardown();
    await removeStrict(this.run);
    const f = nodeFile(this.opts.configDir, this.opts.nodeName);
    if (existsSync(f)) unlinkSync(f);
  }

  private trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.reconcile();
        } catch (e) {
          this.log.error('reconcile failed', { error: e });
        }
      } while (this.again && !this.stopped);
      this.running = undefined;
    })();
  }

  private spec(publicKey: string, nextPublicKey: string | undefined): NodeSpec {
    return {
      tunnelEndpoint: this.opts.tunnelEndpoint,
      podCIDRs: this.opts.podCIDRs,
      wireGuard: { publicKey, listenPort: this.opts.listenPort, ...(nextPublicKey ? { nextPublicKey } : {}) },
    };
  }

  /** One reconcile pass. */
  private async reconcile(): Promise<void> {
    const o = this.opts;
    const { nodes, errors } = readNodes(o.configDir);
    const desired = desiredState({ name: o.nodeName, podCIDRs: o.podCIDRs }, nodes);
    const problems = [...errors, ...desired.problems];
    for (const p of problems) if (!this.logged.has(p)) this.log.warn(p);
    this.logged = new Set(problems);

    const underlayMtu = o.underlayMtu ?? (await this.dp.underlayMtu(o.tunnelEndpoint));
    const mtu = await this.dp.setMtu(underlayMtu, o.tunnelEndpoint);
    const changed = await this.dp.apply(desired, mtu);
    if (changed.wgSet || changed.routeCommands.length > 0) {
      this.log.info('reconciled peers and routes', { peers: desired.peers.map((p) => `${p.node}${p.staged ? ' (staged key)' : ''}`), routeChanges: changed.routeCommands.map((c) => c.join(' ')) });
    }
    if (o.strict) await applyStrict(this.run, { ifname: o.ifname, localCIDRs: o.podCIDRs, remoteCIDRs: [...desired.remotePodCIDRs, ...o.strictCIDRs] });
    else await removeStrict(this.run);

    const rotation = await this.rotationStep(desired, nodes);
    const dump = await this.dp.dump();
    const publicKey = this.keys.currentPublicKey();
    const next = this.keys.nextPublicKey();
    writeNode(o.configDir, o.nodeName, this.spec(publicKey, next), {
      wireGuardPeerKeys: dump.peers.map((p) => p.publicKey).sort(),
      ...(this.implementation ? { wireGuardImplementation: this.implementation } : {}),
    });
    const state: AgentState = {
      mode: o.mode,
      node: o.nodeName,
      ifname: o.ifname,
      implementation: this.implementation ?? 'wireguard-go',
      configDir: o.configDir,
      listenPort: o.listenPort,
      mtu,
      underlayMtu,
      strict: o.strict,
      publicKey,
      ...(rotation ? { rotation } : {}),
      ...(this.lastKeySwitch ? { lastKeySwitch: this.lastKeySwitch.toISOString() } : {}),
      problems,
      reconciledAt: new Date().toISOString(),
    };
    writeFileSync(join(o.stateDir, AGENT_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  }

  /** Advances a key rotation by at most one step (see the header); returns the pending rotation, if any. */
  private async rotationStep(desired: DesiredState, nodes: readonly NodeDoc[]): Promise<AgentState['rotation']> {
    const o = this.opts;
    const requestFile = join(o.stateDir, ROTATE_REQUEST_FILE);
    const fileRequest = existsSync(requestFile);
    const due = o.rotateEveryMs !== undefined && Date.now() - this.keys.currentCreatedAt().getTime() >= o.rotateEveryMs;
    let next = this.keys.nextPublicKey();
    if (next === undefined && (this.rotationRequested || fileRequest || due)) {
      next = this.keys.prepareNext();
      this.log.info('key rotation started', { nextPublicKey: next, reason: due ? 'schedule' : 'request' });
      this.trigger(); // publish the next key, then wait for acknowledgements
    }
    this.rotationRequested = false;
    if (fileRequest) unlinkSync(requestFile);
    if (next === undefined) return undefined;

    const since = this.keys.nextCreatedAt();
    const d = rotationDecision({ self: o.nodeName, nextPublicKey: next, desired, nodes, startedAt: since, now: new Date(), timeoutMs: o.rotationTimeoutMs });
    if (d.action === 'switch') {
      await this.dp.setPrivateKey(this.keys.nextPath);
      this.keys.commitNext();
      this.lastKeySwitch = new Date();
      this.log.info('key rotation: switched to the next key; every peer had acknowledged it', { publicKey: next, peers: d.peers });
      return undefined;
    }
    if (d.action === 'abandon') {
      this.keys.dropNext();
      this.log.warn('key rotation abandoned: not every peer acknowledged the next key in time; keeping the current key', { waitingFor: d.waitingFor });
      return undefined;
    }
    return { nextPublicKey: next, since: since.toISOString() };
  }
}

export type RotationDecision = { action: 'switch'; peers: string[] } | { action: 'wait' | 'abandon'; waitingFor: string[] };

/**
 * Step 3 of a rotation (see the header), as a pure function: switch once our
 * own Node object carries the next key (so peers could see it) and every
 * active peer lists it in status.wireGuardPeerKeys; give up after the
 * timeout; otherwise wait.
 */
export function rotationDecision(a: { self: string; nextPublicKey: string; desired: DesiredState; nodes: readonly NodeDoc[]; startedAt: Date; now: Date; timeoutMs: number }): RotationDecision {
  const published = a.nodes.find((n) => n.metadata.name === a.self)?.spec.wireGuard?.nextPublicKey === a.nextPublicKey;
  const peers = [...new Set(a.desired.peers.filter((p) => !p.staged).map((p) => p.node))];
  const acked = (name: string) => (a.nodes.find((n) => n.metadata.name === name)?.status?.wireGuardPeerKeys ?? []).includes(a.nextPublicKey);
  const waitingFor = [...(published ? [] : [a.self]), ...peers.filter((p) => !acked(p))];
  if (waitingFor.length === 0) return { action: 'switch', peers };
  if (a.now.getTime() - a.startedAt.getTime() > a.timeoutMs) return { action: 'abandon', waitingFor };
  return { action: 'wait', waitingFor };
}

// The WireGuard data path of one node: the interface (kernel module when the
// kernel has it, else wireguard-go), its key and port, its MTU, its peers and
// the routes through it. Everything is done with `ip` and `wg` through
// execFile argument arrays (exec.ts); the private key reaches `wg` only as the
// path of its 0600 file.
//
// Restart safety: the interface is never deleted by the agent when it stops,
// and wireguard-go runs as its own daemon (it forks away from the agent and
// lives as long as its TUN device), so an agent restart finds the interface
// with its sessions intact, compares, and changes only what differs. An
// established connection through the tunnel never notices the restart.
import { existsSync } from 'node:fs';
import { ipFamilyOf } from '../../crds/src/ip.js';
import { CommandError, type Run } from './exec.js';
import { tunnelMtu } from './mtu.js';
import { routeCommands, wgPeerArgs, type DesiredState, type RouteDump } from './plan.js';
import { parseWgDump, type WgDump } from './wg-dump.js';

export type Implementation = 'kernel' | 'wireguard-go';

/** The one error the agent prints when it cannot run WireGuard here. */
export class WireGuardUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireGuardUnavailableError';
  }
}

export interface InterfaceConfig {
  ifname: string;
  listenPort: number;
  /** 0600 file holding the private key. */
  privateKeyPath: string;
  publicKey: string;
}

export interface EnsureResult {
  implementation: Implementation;
  /** True when an existing interface was taken over (agent restart). */
  reused: boolean;
}

const UAPI_DIR = '/var/run/wireguard';

export class WireGuardDatapath {
  constructor(
    private readonly run: Run,
    readonly ifname: string,
  ) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(ifname)) throw new Error(`invalid interface name ${JSON.stringify(ifname)} (1-15 of A-Z a-z 0-9 _ . -)`);
  }

  /** The interface's kind in this namespace: kernel wireguard, a TUN (wireguard-go), or absent. */
  async linkKind(): Promise<'wireguard' | 'tun' | 'other' | undefined> {
    let out: string;
    try {
      out = await this.run('ip', ['-d', '-j', 'link', 'show', 'dev', this.ifname]);
    } catch {
      return undefined;
    }
    const [link] = JSON.parse(out) as Array<{ linkinfo?: { info_kind?: string } }>;
    const kind = link?.linkinfo?.info_kind;
    return kind === 'wireguard' ? 'wireguard' : kind === 'tun' ? 'tun' : 'other';
  }

  async dump(): Promise<WgDump> {
    return parseWgDump(await this.run('wg', ['show', this.ifname, 'dump']));
  }

  /**
   * Makes sure the interface exists with this key and port, reusing one that
   * is already there. Detection order: an existing interface; the kernel
   * module (`ip link add … type wireguard`); wireguard-go. Refuses with one
   * message naming what is missing when neither implementation exists.
   */
  async ensure(cfg: InterfaceConfig): Promise<EnsureResult> {
    if (!(await this.hasCommand('wg', ['--version']))) {
      throw new WireGuardUnavailableError('WireGuard encryption needs the wg tool (Debian package wireguard-tools), which is not installed');
    }
    let kind = await this.linkKind();
    let reused = kind !== undefined;
    if (kind === 'other') throw new Error(`interface ${this.ifname} exists and is not a WireGuard interface; choose another --interface`);
    if (kind === 'tun' && !(await this.answers())) {
      // A TUN whose wireguard-go daemon is gone (killed, crashed): nothing to keep.
      await this.run('ip', ['link', 'del', 'dev', this.ifname]);
      kind = undefined;
      reused = false;
    }
    if (kind === undefined) kind = await this.create();
    const implementation: Implementation = kind === 'wireguard' ? 'kernel' : 'wireguard-go';
    const d = await this.dump();
    // Only set what differs: re-setting even the same private key makes some
    // implementations expire the current sessions.
    const set: string[] = [];
    if (d.iface.listenPort !== cfg.listenPort) set.push('listen-port', String(cfg.listenPort));
    if (d.iface.publicKey !== cfg.publicKey) set.push('private-key', cfg.privateKeyPath);
    if (set.length > 0) await this.run('wg', ['set', this.ifname, ...set]);
    return { implementation, reused };
  }

  /** Switches the interface to the private key in `privateKeyPath` (key rotation). */
  async setPrivateKey(privateKeyPath: string): Promise<void> {
    await this.run('wg', ['set', this.ifname, 'private-key', privateKeyPath]);
  }

  private async create(): Promise<'wireguard' | 'tun'> {
    let kernelError: string;
    try {
      await this.run('ip', ['link', 'add', 'dev', this.ifname, 'type', 'wireguard']);
      return 'wireguard';
    } catch (e) {
      kernelError = e instanceof CommandError ? e.stderr.trim() : String(e);
    }
    if (!(await this.hasCommand('wireguard-go', ['--version']))) {
      throw new WireGuardUnavailableError(
        `WireGuard is not available: the kernel has no WireGuard support (ip link add type wireguard: ${kernelError}) and wireguard-go is not installed (Debian package wireguard-go)`,
      );
    }
    if (!existsSync('/dev/net/tun')) throw new WireGuardUnavailableError('WireGuard is not available: no kernel module, and wireguard-go needs /dev/net/tun, which does not exist');
    // wireguard-go names its control socket after the interface in a
    // directory every network namespace shares: a socket that answers while
    // the interface is not in this namespace belongs to another namespace.
    if (existsSync(`${UAPI_DIR}/${this.ifname}.sock`) && (await this.answers())) {
      throw new Error(`interface name ${this.ifname} is already used by wireguard-go in another network namespace (${UAPI_DIR}/${this.ifname}.sock); choose another --interface`);
    }
    // Without -f, wireguard-go creates the device, forks a daemon that owns it
    // and exits; the daemon lives until the device is deleted.
    await this.run('wireguard-go', [this.ifname]);
    return 'tun';
  }

  private async answers(): Promise<boolean> {
    try {
      await this.run('wg', ['show', this.ifname, 'listen-port']);
      return true;
    } catch {
      return false;
    }
  }

  private async hasCommand(cmd: string, args: string[]): Promise<boolean> {
    try {
      await this.run(cmd, args);
      return true;
    } catch (e) {
      return !(e instanceof CommandError && e.code === 'ENOENT');
    }
  }

  /** MTU of the underlay device that carries tunnel packets: the one holding the tunnel endpoint address. */
  async underlayMtu(tunnelEndpoint: string): Promise<number> {
    const links = JSON.parse(await this.run('ip', ['-j', 'addr', 'show'])) as Array<{ ifname: string; mtu: number; addr_info?: Array<{ local?: string }> }>;
    const link = links.find((l) => l.addr_info?.some((a) => a.local === tunnelEndpoint));
    if (link === undefined) throw new Error(`no interface in this network namespace has the tunnel endpoint address ${tunnelEndpoint}`);
    return link.mtu;
  }

  /** Sets the tunnel MTU (computed from the underlay) and brings the interface up. */
  async setMtu(underlayMtu: number, tunnelEndpoint: string): Promise<number> {
    const mtu = tunnelMtu(underlayMtu, ipFamilyOf(tunnelEndpoint) ?? 'IPv4');
    const [link] = JSON.parse(await this.run('ip', ['-j', 'link', 'show', 'dev', this.ifname])) as Array<{ mtu: number; flags: string[] }>;
    if (link?.mtu !== mtu) await this.run('ip', ['link', 'set', 'dev', this.ifname, 'mtu', String(mtu)]);
    if (!link?.flags.includes('UP')) await this.run('ip', ['link', 'set', 'dev', this.ifname, 'up']);
    return mtu;
  }

  async routes(): Promise<RouteDump[]> {
    const v4 = JSON.parse(await this.run('ip', ['-j', '-4', 'route', 'show', 'dev', this.ifname])) as RouteDump[];
    const v6 = JSON.parse(await this.run('ip', ['-j', '-6', 'route', 'show', 'dev', this.ifname])) as RouteDump[];
    return [...v4, ...v6];
  }

  /** Peers and routes to `desired`; returns what was changed (for logs and tests). */
  async apply(desired: DesiredState, mtu: number): Promise<{ wgSet: boolean; routeCommands: string[][] }> {
    const dump = await this.dump();
    const args = wgPeerArgs(this.ifname, dump.peers, desired.peers);
    if (args !== undefined) await this.run('wg', args);
    const cmds = routeCommands(this.ifname, await this.routes(), desired.routes, mtu);
    for (const c of cmds) await this.run('ip', c);
    return { wgSet: args !== undefined, routeCommands: cmds };
  }

  /** Deletes the interface (and with it its routes; a wireguard-go daemon exits). */
  async teardown(): Promise<void> {
    if ((await this.linkKind()) !== undefined) await this.run('ip', ['link', 'del', 'dev', this.ifname]);
  }
}

// IPsec mode: XFRM ESP in tunnel mode with AES-GCM (rfc4106) between every
// pair of nodes, for kernels that have ESP. This file holds the two pieces
// this build ships: the configuration generator (pure, unit-tested down to
// the exact `ip xfrm` argument arrays) and the start-up check that refuses,
// in one message naming the missing kernel features, on kernels without
// them. Applying the configuration is not wired into the agent yet (see
// encryption/README.md): no kernel available here could run it.
//
// Keys. One cluster secret (32+ random bytes, distributed like a Secret) is
// the only input; each direction of each node pair gets its own AES-256 key
// + 4-byte salt, derived with HKDF-SHA256 from the secret, the SPI and both
// node names. So no two directions share a key (nonce reuse across senders
// is impossible), and the pair's keys change with every SPI.
//
// SPI-based rotation (the scheme Cilium uses for its IPsec keys): a new key
// generation gets a new SPI; ESP packets carry the SPI, so receivers can hold
// old and new states side by side and decrypt both. The out policy names its
// SPI explicitly, so which key is sent is chosen by the policy, not by kernel
// state-selection heuristics. Rotation is then three phases, each applied on
// every node before the next starts: (1) add the new inbound states; (2)
// switch the outbound state and policy to the new SPI; (3) after a grace
// period longer than any packet's time in flight, delete the old states.
// A node that is still in phase 1 keeps receiving the old SPI, which is still
// installed everywhere: no packet is ever sent with a key its receiver lacks.
import { hkdfSync } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const IPSEC_AEAD = 'rfc4106(gcm(aes))';
/** ICV (tag) length in bits. */
export const IPSEC_ICV_BITS = 128;

export interface IpsecNode {
  name: string;
  /** Underlay address: the outer source/destination of ESP packets. */
  tunnelEndpoint: string;
  podCIDRs: readonly string[];
}

export interface IpsecKey {
  /** 1..255 here (Cilium keeps SPIs small so they fit a mark); never 0. */
  spi: number;
  /** The cluster secret, at least 32 bytes. */
  secret: Buffer;
}

/** AES-256 key + 4-byte salt for one direction: the 36 bytes rfc4106 takes. */
export function pairKeyMaterial(key: IpsecKey, from: string, to: string): Buffer {
  if (key.secret.length < 32) throw new Error('IPsec secret must be at least 32 bytes');
  if (!Number.isInteger(key.spi) || key.spi < 1 || key.spi > 255) throw new Error(`IPsec SPI must be 1..255, got ${key.spi}`);
  return Buffer.from(hkdfSync('sha256', key.secret, Buffer.from([key.spi]), `nodemesh ipsec v1 ${from}->${to}`, 36));
}

/** reqid ties a policy template to its states: one per node pair, the same on both ends, stable across rotations. */
export function pairReqid(aIndex: number, bIndex: number): number {
  return (Math.min(aIndex, bIndex) << 12) | Math.max(aIndex, bIndex);
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/**
 * Wire SPI of one direction: the key generation in the low byte, the
 * sender's and receiver's index above it, so every (direction, generation)
 * has a distinct SPI and the generation is readable from any SPI.
 */
export function directionSpi(spi: number, fromIndex: number, toIndex: number): number {
  return ((fromIndex & 0xfff) << 20) | ((toIndex & 0xfff) << 8) | spi;
}

export interface IpsecPairConfig {
  peer: string;
  /** `ip xfrm state add …` for local→peer and peer→local. */
  states: string[][];
  /** `ip xfrm policy add …` out (local pods → peer pods), in and fwd (peer pods → local pods). */
  policies: string[][];
}

/**
 * The XFRM states and policies for `local` talking to each of `peers` with
 * key generation `key`. Nodes are indexed by name order so both ends compute
 * the same SPIs. The arrays are arguments to `ip` (without the leading
 * "ip"); they contain key material, so they must be fed through stdin
 * (`ip -batch -`), never passed on a command line or logged.
 */
export function ipsecConfig(local: IpsecNode, peers: readonly IpsecNode[], key: IpsecKey): IpsecPairConfig[] {
  const all = [local, ...peers].map((n) => n.name).sort();
  const index = (n: IpsecNode) => all.indexOf(n.name) + 1;
  return [...peers]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((peer) => {
      const reqid = String(pairReqid(index(local), index(peer)));
      const out = directionSpi(key.spi, index(local), index(peer));
      const inn = directionSpi(key.spi, index(peer), index(local));
      const state = (src: string, dst: string, spi: number, material: Buffer) => [
        'xfrm', 'state', 'add', 'src', src, 'dst', dst, 'proto', 'esp', 'spi', hex(spi), 'reqid', reqid, 'mode', 'tunnel',
        'aead', IPSEC_AEAD, `0x${material.toString('hex')}`, String(IPSEC_ICV_BITS),
      ];
      const states = [
        state(local.tunnelEndpoint, peer.tunnelEndpoint, out, pairKeyMaterial(key, local.name, peer.name)),
        state(peer.tunnelEndpoint, local.tunnelEndpoint, inn, pairKeyMaterial(key, peer.name, local.name)),
      ];
      const policies: string[][] = [];
      for (const lc of local.podCIDRs) {
        for (const pc of peer.podCIDRs) {
          policies.push(['xfrm', 'policy', 'add', 'src', lc, 'dst', pc, 'dir', 'out', 'tmpl', 'src', local.tunnelEndpoint, 'dst', peer.tunnelEndpoint, 'proto', 'esp', 'spi', hex(out), 'reqid', reqid, 'mode', 'tunnel']);
          for (const dir of ['in', 'fwd']) {
            policies.push(['xfrm', 'policy', 'add', 'src', pc, 'dst', lc, 'dir', dir, 'tmpl', 'src', peer.tunnelEndpoint, 'dst', local.tunnelEndpoint, 'proto', 'esp', 'reqid', reqid, 'mode', 'tunnel']);
          }
        }
      }
      return { peer: peer.name, states, policies };
    });
}

/**
 * The three phases of rotating from `from` to `to` (see the header): each is
 * a list of `ip` argument arrays. Phase 2 replaces the out policies with
 * `policy update` so there is never a moment without one.
 */
export function ipsecRotation(local: IpsecNode, peers: readonly IpsecNode[], from: IpsecKey, to: IpsecKey): { addInbound: string[][]; switchOutbound: string[][]; removeOld: string[][] } {
  if (from.spi === to.spi) throw new Error('a rotation needs a new SPI');
  const next = ipsecConfig(local, peers, to);
  const prev = ipsecConfig(local, peers, from);
  return {
    addInbound: next.map((p) => p.states[1]!),
    switchOutbound: next.flatMap((p) => [p.states[0]!, ...p.policies.filter((a) => a.includes('out')).map((a) => a.map((x) => (x === 'add' ? 'update' : x)))]),
    removeOld: prev.flatMap((p) =>
      p.states.map((s) => ['xfrm', 'state', 'delete', 'src', s[4]!, 'dst', s[6]!, 'proto', 'esp', 'spi', s[10]!]),
    ),
  };
}

/** Kernel options IPsec mode needs, with why. */
export const IPSEC_KERNEL_FEATURES: ReadonlyArray<{ option: string; what: string }> = [
  { option: 'CONFIG_XFRM_USER', what: 'XFRM netlink interface (ip xfrm)' },
  { option: 'CONFIG_INET_ESP', what: 'ESP for IPv4' },
  { option: 'CONFIG_INET6_ESP', what: 'ESP for IPv6' },
  { option: 'CONFIG_CRYPTO_GCM', what: 'AES-GCM (rfc4106) AEAD' },
];

/**
 * Which IPSEC_KERNEL_FEATURES a kernel lacks, from its config (the text of
 * /proc/config.gz or /boot/config-*) and /proc/crypto. An option counts as
 * present when built in or a module (=y/=m); GCM also counts when
 * /proc/crypto already lists it (loaded by some other means).
 */
export function missingIpsecFeatures(kernelConfig: string, procCrypto: string): string[] {
  const set = new Set(
    kernelConfig
      .split('\n')
      .map((l) => /^(CONFIG_[A-Z0-9_]+)=(y|m)$/.exec(l.trim())?.[1])
      .filter((x): x is string => x !== undefined),
  );
  const hasGcm = /^name\s*:\s*(rfc4106\(gcm\(aes\)\)|gcm\(aes\))$/m.test(procCrypto);
  return IPSEC_KERNEL_FEATURES.filter((f) => !set.has(f.option) && !(f.option === 'CONFIG_CRYPTO_GCM' && hasGcm)).map((f) => `${f.option} (${f.what})`);
}

export class IpsecUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpsecUnavailableError';
  }
}

/** Throws IpsecUnavailableError naming every missing kernel feature; returns when all are there. */
export function checkIpsecKernel(read: (path: string) => string | undefined = readKernelFile): void {
  const release = read('/proc/sys/kernel/osrelease')?.trim();
  const config = read('/proc/config.gz') ?? (release !== undefined ? read(`/boot/config-${release}`) : undefined);
  if (config === undefined) throw new IpsecUnavailableError('IPsec mode cannot start: the kernel configuration is not readable (/proc/config.gz, /boot/config-<release>), so ESP/XFRM support cannot be verified');
  const missing = missingIpsecFeatures(config, read('/proc/crypto') ?? '');
  if (missing.length > 0) throw new IpsecUnavailableError(`IPsec mode cannot start: this kernel lacks ${missing.join(', ')}. Use --mode wireguard, or a kernel with these options.`);
}

function readKernelFile(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const buf = readFileSync(path);
    return path.endsWith('.gz') ? gunzipSync(buf).toString('utf8') : buf.toString('utf8');
  } catch {
    return undefined;
  }
}

// The receive side trusts a packet's source address to name its identity
// (nm_ip_identity). Between nodes that is sound only inside the encrypted
// tunnel: WireGuard's cryptokey routing accepts a pod address from its own
// node's key alone, while on the underlay anyone on the path can forge it. So
// with encryption on, the agent tells nm_auth_ingress which interface is the
// tunnel (nm_auth_tunnel): an auth-required packet from another node's
// workload that did not come out of it is dropped.
//
// The interface is looked up by name in the agent's network namespace (the
// node's), and again every interval: the encryption agent may create it after
// this agent starts, or re-create it (a new ifindex). While it is missing the
// entry says required with ifindex 0, and such packets are dropped: the check
// fails closed, never open.
import koffi from 'koffi';
import type { Logger } from '../../xds-server/src/log.js';

export interface TunnelState {
  required: boolean;
  ifindex: number;
}

let nameToIndex: ((name: string) => number) | undefined;
/** if_nametoindex(3) in this process's network namespace; 0 when there is no such interface. */
export function interfaceIndex(name: string): number {
  nameToIndex ??= koffi.load('libc.so.6').func('unsigned int if_nametoindex(const char *ifname)') as (name: string) => number;
  return nameToIndex(name);
}

export interface TunnelWatchOptions {
  /** The tunnel interface; undefined: no encryption configured, nothing is required. */
  interfaceName: string | undefined;
  /** Writes the state into nm_auth_tunnel. */
  write(state: TunnelState): void;
  logger: Logger;
  intervalMs?: number;
  /** For tests: the lookup. */
  lookup?: (name: string) => number;
}

/** Keeps nm_auth_tunnel pointing at the tunnel interface. */
export class TunnelWatch {
  readonly #o: TunnelWatchOptions;
  #timer: NodeJS.Timeout | undefined;
  #state: TunnelState | undefined;

  constructor(o: TunnelWatchOptions) {
    this.#o = o;
  }

  /** Writes the current state at once, then re-checks every interval. */
  start(): void {
    this.check();
    if (this.#o.interfaceName === undefined) return;
    this.#timer = setInterval(() => this.check(), this.#o.intervalMs ?? 1000);
    this.#timer.unref();
  }

  /** Looks the interface up and writes the state when it changed. */
  check(): TunnelState {
    const name = this.#o.interfaceName;
    const next: TunnelState = name === undefined ? { required: false, ifindex: 0 } : { required: true, ifindex: (this.#o.lookup ?? interfaceIndex)(name) };
    const prev = this.#state;
    if (prev && prev.required === next.required && prev.ifindex === next.ifindex) return next;
    this.#o.write(next);
    this.#state = next;
    if (!next.required) this.#o.logger.info('auth tunnel check off: no tunnel interface configured', {});
    else if (next.ifindex) this.#o.logger.info('auth tunnel check on: auth-required packets from other nodes must come out of the tunnel', { interface: name, ifindex: next.ifindex });
    else this.#o.logger.warn('auth tunnel interface missing: auth-required packets from other nodes are dropped until it exists', { interface: name });
    return next;
  }

  get state(): (TunnelState & { interface?: string }) | undefined {
    return this.#state && { ...this.#state, ...(this.#o.interfaceName !== undefined ? { interface: this.#o.interfaceName } : {}) };
  }

  /** Stops watching. The entry stays as it is: a stopped agent must not open the check. */
  stop(): void {
    clearInterval(this.#timer);
  }
}

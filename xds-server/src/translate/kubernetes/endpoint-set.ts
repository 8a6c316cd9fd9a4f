// The endpoints of one Service while they are being collected: the first
// object to claim an address keeps it, later claims become warnings.
import type { ConfigError } from '../../../../crds/src/errors.js';
import type { KubeObject, ServiceObject } from '../../../../crds/src/resources.js';
import type { Endpoint } from '../../model/types.js';
import { canonicalAddress, compareAddresses } from './address.js';
import { describe, objectError } from './source.js';

export class EndpointSet {
  private readonly byAddress = new Map<string, { endpoint: Endpoint; from: KubeObject }>();

  constructor(
    private readonly service: ServiceObject,
    private readonly errors: ConfigError[],
  ) {}

  /** Adds `endpoint` unless its address is taken; `path` locates the address in `from`. */
  add(endpoint: Endpoint, from: KubeObject, path: string): void {
    const key = canonicalAddress(endpoint.address);
    const first = this.byAddress.get(key);
    if (first !== undefined) {
      this.errors.push(
        objectError(
          from,
          path,
          `address ${endpoint.address} is already an endpoint of ${describe(this.service)} (from ${describe(first.from)}); this one is ignored for that service`,
          'warning',
        ),
      );
      return;
    }
    this.byAddress.set(key, { endpoint, from });
  }

  sorted(): Endpoint[] {
    return [...this.byAddress.values()].map((e) => e.endpoint).sort((a, b) => compareAddresses(a.address, b.address));
  }
}

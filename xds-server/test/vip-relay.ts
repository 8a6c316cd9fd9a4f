// For mesh (GAMMA) traffic tests: the node proxy reaches a Service's VIP
// listener only through the capture listener and original_dst, which needs
// the eBPF steering (or an nft rule) these tests do without. The relay serves
// the control plane's Envoy snapshot unchanged, plus a copy of one Service
// port's VIP listener — exactly as the translator builds it — bound on
// loopback, so a plain client connection takes the mesh route.
import assert from 'node:assert/strict';
import { encodeMessage } from '../../api/src/any.js';
import { ALL_TYPE_URLS, TypeUrl, type ResourceTypeUrl } from '../../api/src/type-urls.js';
import { EncodedResource } from '../src/cache/resource.js';
import { SnapshotCache } from '../src/cache/snapshot-cache.js';
import { Snapshot } from '../src/cache/snapshot.js';
import type { ControlPlane } from '../src/control-plane.js';
import { silentLogger } from '../src/log.js';
import { XdsMetrics } from '../src/metrics.js';
import type { Service, ServicePort } from '../src/model/types.js';
import { XdsGrpcServer } from '../src/server/grpc-server.js';
import { StreamRegistry } from '../src/server/stream-status.js';
import { vipListener } from '../src/xds/listeners.js';

export interface RelayedListener {
  /** The Service's hostname, e.g. web.default.svc.cluster.local. */
  hostname: string;
  port: ServicePort;
  /** The bound copy's listener name. */
  name: string;
  /** Where the copy binds on 127.0.0.1. */
  listenerPort: number;
}

export class VipRelay {
  readonly registry = new StreamRegistry(silentLogger, new XdsMetrics());
  private readonly cache = new SnapshotCache(() => 'all');
  private readonly server = new XdsGrpcServer({ cache: this.cache, registry: this.registry, log: silentLogger, listen: ['127.0.0.1:0'] });
  private unwatch?: () => void;

  constructor(
    private readonly cp: ControlPlane,
    private readonly listener: RelayedListener,
  ) {}

  /** Starts serving; returns the relay's ADS address for the node proxy. */
  async start(): Promise<string> {
    const address = (await this.server.start())[0]!;
    const current = this.cp.cache.getSnapshot('envoy');
    if (current) this.relay(current);
    this.unwatch = this.cp.cache.watch('envoy', (s) => this.relay(s));
    return address;
  }

  private relay(snap: Snapshot): void {
    const resources: Partial<Record<ResourceTypeUrl, EncodedResource[]>> = {};
    for (const t of ALL_TYPE_URLS) resources[t] = [...snap.resources(t).values()];
    const { hostname, port, name, listenerPort } = this.listener;
    const l = vipListener({ hostname } as Service, port, '127.0.0.1');
    l.name = name;
    l.address = { socket_address: { address: '127.0.0.1', port_value: listenerPort } };
    delete l.bind_to_port;
    resources[TypeUrl.Listener]!.push(new EncodedResource(TypeUrl.Listener, name, encodeMessage('envoy.config.listener.v3.Listener', l), { routes: [`${hostname}:${port.port}`] }));
    const relayed = new Snapshot(snap.version, resources);
    assert.deepEqual(relayed.consistent(), []);
    this.cache.setSnapshot('all', relayed);
  }

  async stop(): Promise<void> {
    this.unwatch?.();
    await this.server.stop();
  }
}

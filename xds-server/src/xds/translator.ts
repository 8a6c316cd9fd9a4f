// Model → Envoy resources, per profile of client. Pure per service (and per
// gateway): a service translates to the same resources whatever the rest of
// the mesh holds, which is what lets XdsTranslator reuse the previous output
// of every unchanged service — a one-endpoint change re-encodes one
// ClusterLoadAssignment.
import { encodeMessage } from '../../../api/src/any.js';
import { TypeUrl, type ResourceTypeUrl } from '../../../api/src/type-urls.js';
import { EncodedResource } from '../cache/resource.js';
import type { GatewayIR } from '../model/gateway.js';
import type { MeshRouteIR } from '../model/mesh-routes.js';
import type { MeshModel, Service } from '../model/types.js';
import { http2VariantCluster, passthroughCluster, serviceCluster } from './clusters.js';
import { serviceLoadAssignment } from './endpoints.js';
import { gatewayResources } from './gateways.js';
import { http2Ports, http2PortsOf } from './http2-clusters.js';
import { apiListener, isHttpPort, outboundCaptureListener, vipListener } from './listeners.js';
import { clusterName, hostPortName, http2ClusterName } from './names.js';
import { proxylessRouteConfig, serviceRouteConfig } from './routes.js';
import { udpPortResources, udpPorts, udpPortsOf } from './udp-clusters.js';

/**
 * Envoy node proxies get listeners that capture and route connections;
 * proxyless gRPC clients get API listeners. Clusters, endpoints and routes are
 * the same objects in both.
 */
export type Profile = 'envoy' | 'proxyless';
export const PROFILES: readonly Profile[] = ['envoy', 'proxyless'];

export interface XdsTranslatorOptions {
  /** Address and port of the node proxy's capture listener. */
  outboundAddress: string;
  outboundPort: number;
  /** Opt-in: Envoy's file access logger (JSON, listeners.ts MESH_ACCESS_LOG_FORMAT) on the capture and per-VIP listeners. */
  accessLogPath?: string;
}

export type ResourcesByType = Partial<Record<ResourceTypeUrl, EncodedResource[]>>;

interface ServiceOutput {
  envoy: EncodedResource[];
  proxyless: EncodedResource[];
}

const MESSAGE: Record<ResourceTypeUrl, string> = {
  [TypeUrl.Listener]: 'envoy.config.listener.v3.Listener',
  [TypeUrl.RouteConfiguration]: 'envoy.config.route.v3.RouteConfiguration',
  [TypeUrl.Cluster]: 'envoy.config.cluster.v3.Cluster',
  [TypeUrl.ClusterLoadAssignment]: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
  [TypeUrl.Secret]: 'envoy.extensions.transport_sockets.tls.v3.Secret',
};

function encode(typeUrl: ResourceTypeUrl, name: string, message: object, refs?: EncodedResource['refs']): EncodedResource {
  return new EncodedResource(typeUrl, name, encodeMessage(MESSAGE[typeUrl], message), refs);
}

/**
 * The resources of one service; `mesh`: its ports' GAMMA routes
 * (model/mesh-routes.ts), if any; `http2`: ports whose HTTP/2 variant cluster
 * some route uses (http2-clusters.ts); `udp`: UDP ports some gateway UDPRoute
 * sends to (udp-clusters.ts).
 */
export function translateService(
  svc: Service,
  mesh: readonly MeshRouteIR[] = [],
  http2: readonly number[] = [],
  udp: readonly number[] = [],
  accessLogPath?: string,
): ServiceOutput {
  const envoy: EncodedResource[] = [];
  const proxyless: EncodedResource[] = [];
  for (const port of svc.ports) {
    if (port.protocol === 'UDP' && udp.includes(port.port)) {
      // Envoy only: gRPC clients never speak UDP.
      const { cluster, endpoints } = udpPortResources(svc, port);
      envoy.push(encode(TypeUrl.Cluster, cluster.name!, cluster, { endpoints: [cluster.name!] }), encode(TypeUrl.ClusterLoadAssignment, cluster.name!, endpoints));
      continue;
    }
    // UDP and SCTP need listener types nodemesh does not emit yet.
    if (port.protocol !== 'TCP' || port.appProtocol === 'udp') continue;
    const cname = clusterName(svc, port);
    const shared = [
      encode(TypeUrl.Cluster, cname, serviceCluster(svc, port), { endpoints: [cname] }),
      encode(TypeUrl.ClusterLoadAssignment, cname, serviceLoadAssignment(svc, port)),
    ];
    if (http2.includes(port.port)) {
      // Shares the port's endpoints (its EDS service_name is `cname`).
      const h2 = http2ClusterName(cname);
      shared.push(encode(TypeUrl.Cluster, h2, http2VariantCluster(svc, port), { endpoints: [cname] }));
    }
    envoy.push(...shared);
    proxyless.push(...shared);
    const routeName = hostPortName(svc, port);
    // A route configuration is emitted only where a listener names it.
    const meshRoutes = mesh.find((m) => m.port === port.port);
    const config = isHttpPort(port) ? serviceRouteConfig(svc, port, meshRoutes) : undefined;
    const route = config && encode(TypeUrl.RouteConfiguration, routeName, config);
    if (route && svc.vips.length > 0) envoy.push(route);
    for (const vip of svc.vips) {
      const l = vipListener(svc, port, vip, accessLogPath);
      envoy.push(encode(TypeUrl.Listener, l.name!, l, { routes: route ? [routeName] : [] }));
    }
    if (port.appProtocol === 'grpc' && route) {
      // gRPC accepts a subset of what mesh routes use (routes.ts); the default route is in it.
      const grpcRoute = meshRoutes ? encode(TypeUrl.RouteConfiguration, routeName, proxylessRouteConfig(config!)) : route;
      proxyless.push(grpcRoute, encode(TypeUrl.Listener, routeName, apiListener(svc, port), { routes: [routeName] }));
    }
  }
  return { envoy, proxyless };
}

/** The resources of one gateway: Envoy profile only (gateways.ts). */
export function translateGateway(gw: GatewayIR): EncodedResource[] {
  return gatewayResources(gw).map((r) => encode(r.typeUrl, r.name, r.message, r.refs));
}

/** Resources that do not depend on any service. */
function staticResources(opts: XdsTranslatorOptions): ServiceOutput {
  const l = outboundCaptureListener(opts.outboundAddress, opts.outboundPort, opts.accessLogPath);
  const c = passthroughCluster();
  return {
    envoy: [encode(TypeUrl.Listener, l.name!, l), encode(TypeUrl.Cluster, c.name!, c)],
    proxyless: [],
  };
}

/**
 * Translates whole models, reusing the previous call's output for every service
 * (and gateway) whose model is unchanged (compared by content, since providers rebuild the
 * model from scratch). Not safe for concurrent use.
 */
export class XdsTranslator {
  private previous = new Map<string, ServiceOutput>();
  // Identity first: a provider that keeps unchanged Service objects (as the
  // incremental paths do) skips even the serialization of the content key.
  // A service's mesh routes are part of its output: `meshKey` says which ones
  // (their JSON; '' for none, so a service without routes keys as before).
  private byIdentity = new WeakMap<Service, { key: string; svcKey: string; meshKey: string; out: ServiceOutput }>();
  // Gateways, memoized the same way: an unchanged gateway keeps its encoded
  // resources (and so their content-hash versions) across translations.
  private previousGateways = new Map<string, EncodedResource[]>();
  private gatewaysByIdentity = new WeakMap<GatewayIR, { key: string; out: EncodedResource[] }>();
  private readonly statics: ServiceOutput;
  private readonly accessLogPath?: string;

  constructor(opts: XdsTranslatorOptions) {
    this.statics = staticResources(opts);
    this.accessLogPath = opts.accessLogPath;
  }

  reset(): void {
    this.previous = new Map();
    this.byIdentity = new WeakMap();
    this.previousGateways = new Map();
    this.gatewaysByIdentity = new WeakMap();
  }

  /** Resources the last translate() created rather than reused: what is new to validate. */
  fresh: EncodedResource[] = [];

  translate(model: MeshModel): Record<Profile, ResourcesByType> {
    const next = new Map<string, ServiceOutput>();
    const fresh: EncodedResource[] = this.previous.size === 0 ? [...this.statics.envoy, ...this.statics.proxyless] : [];
    const out: Record<Profile, ResourcesByType> = { envoy: {}, proxyless: {} };
    const add = (o: ServiceOutput) => {
      for (const p of PROFILES) for (const r of o[p]) (out[p][r.typeUrl] ??= []).push(r);
    };
    add(this.statics);
    const meshBySvc = new Map<string, MeshRouteIR[]>();
    for (const m of model.meshRoutes ?? []) {
      const id = `${m.namespace}/${m.service}`;
      meshBySvc.set(id, [...(meshBySvc.get(id) ?? []), m]);
    }
    const h2 = http2Ports(model);
    const udp = udpPorts(model);
    for (const svc of model.services) {
      const mesh = meshBySvc.size ? meshBySvc.get(`${svc.namespace}/${svc.name}`) : undefined;
      const h2Ports = h2.size ? http2PortsOf(svc, h2) : [];
      // What besides the Service decides its output; '' for neither, so a plain service keys as before.
      const udpOf = udp.size ? udpPortsOf(svc, udp) : [];
      const meshKey = (mesh ? JSON.stringify(mesh) : '') + (h2Ports.length ? `\nhttp2:${h2Ports.join(',')}` : '') + (udpOf.length ? `\nudp:${udpOf.join(',')}` : '');
      let hit = this.byIdentity.get(svc);
      if (!hit || hit.meshKey !== meshKey) {
        const svcKey = hit?.svcKey ?? JSON.stringify(svc);
        const key = meshKey ? `${svcKey}\n${meshKey}` : svcKey;
        let out = this.previous.get(key);
        if (!out) {
          out = translateService(svc, mesh, h2Ports, udpOf, this.accessLogPath);
          fresh.push(...new Set([...out.envoy, ...out.proxyless]));
        }
        hit = { key, svcKey, meshKey, out };
        this.byIdentity.set(svc, hit);
      }
      next.set(hit.key, hit.out);
      add(hit.out);
    }
    this.previous = next;
    this.addGateways(model.gateways ?? [], out.envoy, fresh);
    this.fresh = fresh;
    return out;
  }

  private addGateways(gateways: readonly GatewayIR[], envoy: ResourcesByType, fresh: EncodedResource[]): void {
    const next = new Map<string, EncodedResource[]>();
    const secrets = new Set<string>();
    for (const gw of gateways) {
      let hit = this.gatewaysByIdentity.get(gw);
      if (!hit) {
        const key = JSON.stringify(gw);
        let out = this.previousGateways.get(key);
        if (!out) {
          out = translateGateway(gw);
          fresh.push(...out);
        }
        hit = { key, out };
        this.gatewaysByIdentity.set(gw, hit);
      }
      next.set(hit.key, hit.out);
      for (const r of hit.out) {
        // Gateways that terminate TLS with the same Secret share its resource.
        if (r.typeUrl === TypeUrl.Secret) {
          if (secrets.has(r.name)) continue;
          secrets.add(r.name);
        }
        (envoy[r.typeUrl] ??= []).push(r);
      }
    }
    this.previousGateways = next;
  }
}

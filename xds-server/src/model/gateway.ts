// The gateway part of the mesh model: what Gateway API (and later Ingress,
// Istio, SMI) resolve to, independent of any user API — Envoy Gateway's
// ir.Xds in spirit. Translators fill it (every reference resolved, every
// precedence rule already applied: routes are in evaluation order); the xDS
// translator only maps it to Envoy resources.
import type { SourceRef } from './types.js';

/** A Service port a route sends traffic to, resolved to the mesh cluster that serves it. */
export interface BackendIR {
  /** The mesh cluster name (xds/names.ts clusterName), e.g. outbound|8080||web.default.svc.cluster.local. */
  cluster: string;
  /** Relative weight; 0 means "configured but receives no traffic". */
  weight: number;
  /**
   * 'http2': the route's requests must reach this backend over HTTP/2
   * (GRPCRoute: gRPC needs it, whatever the Service port's appProtocol) and
   * `cluster` does not speak it, so the xDS translator sends them to the
   * cluster's HTTP/2 variant. Absent: `cluster` itself (HTTP/2 only for
   * appProtocol grpc/http2).
   */
  protocol?: 'http2';
}

export interface StringMatchIR {
  type: 'Exact' | 'RegularExpression';
  value: string;
}

export interface HttpMatchIR {
  /** Absent: any path. */
  path?: { type: 'Exact' | 'PathPrefix' | 'RegularExpression'; value: string };
  headers: (StringMatchIR & { name: string })[];
  queryParams: (StringMatchIR & { name: string })[];
  method?: string;
}

export interface HeaderModifierIR {
  /** Replace (or add) these headers. */
  set: { name: string; value: string }[];
  /** Append a value (or add the header). */
  add: { name: string; value: string }[];
  remove: string[];
}

export interface RedirectIR {
  scheme?: 'http' | 'https';
  hostname?: string;
  port?: number;
  path?: { type: 'ReplaceFullPath' | 'ReplacePrefixMatch'; value: string };
  /** 302 (the CRD's default), 301, or 303/307/308 where a user API allows them. */
  statusCode: number;
}

export interface UrlRewriteIR {
  hostname?: string;
  path?: { type: 'ReplaceFullPath' | 'ReplacePrefixMatch'; value: string };
}

/** GEP-1731 retries. */
export interface RetryIR {
  /** HTTP status codes that are retried. */
  codes: number[];
  attempts: number;
  /** Base backoff; absent: the proxy's default. */
  backoffMs?: number;
}

/** One match of one HTTPRoute rule: the unit of precedence, so one Envoy route each. */
export interface HttpRouteIR {
  /** Unique within its virtual host, stable: `<ns>/<route>/rule/<i>/match/<j>`. */
  name: string;
  source: SourceRef;
  match: HttpMatchIR;
  /** What the rule does; `direct` carries the spec's 500 for a rule whose every backend is invalid. */
  action:
    | { kind: 'forward'; backends: BackendIR[]; rewrite?: UrlRewriteIR }
    | { kind: 'redirect'; redirect: RedirectIR }
    | { kind: 'direct'; status: number; body?: string };
  /**
   * Share of traffic (0..1) answered 500 because it belongs to backendRefs
   * that could not be resolved (the spec: "the proportion of requests that
   * would have been sent to an invalid backend must receive a 500").
   */
  invalidBackendShare?: number;
  /**
   * The HTTP status answered for invalidBackendShare; absent: 500 (HTTPRoute).
   * GRPCRoute: 503, which gRPC clients (and Envoy's gRPC local replies) read
   * as UNAVAILABLE, the status that spec requires.
   */
  invalidBackendStatus?: number;
  requestHeaders?: HeaderModifierIR;
  responseHeaders?: HeaderModifierIR;
  /** `protocol` as BackendIR's. */
  mirrors: { cluster: string; percent: number; protocol?: 'http2' }[];
  /** HTTPRoute timeouts.request (whole request) and backendRequest (per try); absent: the proxy's default. */
  timeouts?: { requestMs?: number; backendRequestMs?: number };
  retry?: RetryIR;
  /** GEP-1619 session persistence of the route's rule. */
  session?: SessionPersistenceIR;
}

/** Keep a client on the host that first served it, by a cookie or a header naming that host. */
export interface SessionPersistenceIR {
  type: 'Cookie' | 'Header';
  /** The cookie's or the header's name. */
  name: string;
  /** A cookie's Max-Age; absent: a session cookie. */
  cookieTtlSeconds?: number;
}

export interface VirtualHostIR {
  /** Unique within the port, stable (the hostname, or `*`). */
  name: string;
  /** Envoy domains: exact names, `*.suffix` wildcards, or `*`. */
  domains: string[];
  /** In evaluation order: the Gateway API precedence is already applied. */
  routes: HttpRouteIR[];
}

/** A TLS certificate (from a Secret) a listener terminates with. */
export interface TlsCertIR {
  /** SDS secret name, unique per Secret: `<ns>/<name>`. */
  secret: string;
  certChainPem: string;
  privateKeyPem: string;
}

/**
 * A TLSRoute, TCPRoute or UDPRoute as served on one port: every connection
 * (TLS: whose SNI one of `hostnames` covers) goes to one of `backends` by
 * weight. No matching beyond SNI exists for streams, so the user API's
 * precedence (one route per SNI name, or per TCP/UDP listener) is applied
 * before the IR.
 */
export interface StreamRouteIR {
  /** Unique within the port, stable: `<ns>/<route>`, or `listener/<name>` for a listener's reject entry. */
  name: string;
  source: SourceRef;
  /** TLS only: SNI names (exact or `*.suffix`), most specific first; [] = any SNI or none. TCP and UDP: []. */
  hostnames: string[];
  /** TLS only: terminate TLS with these certificates (the listener's), then proxy the plaintext; absent: pass TLS through. */
  terminate?: TlsCertIR[];
  /** Weight-0 backends included; no backend with weight > 0 means every connection is refused. */
  backends: BackendIR[];
  /**
   * Share (0..1) of connections refused because it belongs to backendRefs
   * that could not be resolved (the spec's "connection rejections must
   * respect weight").
   */
  invalidBackendShare?: number;
}

/**
 * Everything one Gateway serves on one port, merged across its listeners on
 * that port. A UDP port is its own entry: TCP and UDP may use one port number.
 */
export interface GatewayPortIR {
  port: number;
  /**
   * HTTPS: TLS by SNI, terminated into HTTP — and on the same port, TLS
   * listeners' streams by their (distinct) SNI names. TLS: streams only.
   */
  protocol: 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP';
  /** HTTP and HTTPS: virtual hosts, most specific hostname first. */
  virtualHosts: VirtualHostIR[];
  /** HTTPS: certificates by SNI hostname ('' = any). */
  certificates: { hostnames: string[]; certs: TlsCertIR[] }[];
  /** HTTPS and TLS: TLSRoutes by SNI, most specific names first; TCP and UDP: at most one (the route that wins the listener). */
  streams: StreamRouteIR[];
}

export interface GatewayIR {
  namespace: string;
  name: string;
  source: SourceRef;
  /** Addresses the node proxy binds for this gateway; default ['0.0.0.0']. */
  addresses: string[];
  ports: GatewayPortIR[];
}

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
  requestHeaders?: HeaderModifierIR;
  responseHeaders?: HeaderModifierIR;
  mirrors: { cluster: string; percent: number }[];
  /** HTTPRoute timeouts.request (whole request) and backendRequest (per try); absent: the proxy's default. */
  timeouts?: { requestMs?: number; backendRequestMs?: number };
  retry?: RetryIR;
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

/** Everything one Gateway serves on one port, merged across its listeners on that port. */
export interface GatewayPortIR {
  port: number;
  protocol: 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP';
  /** HTTP and HTTPS: virtual hosts, most specific hostname first. */
  virtualHosts: VirtualHostIR[];
  /** HTTPS and TLS-terminate: certificates by SNI hostname ('' = any). */
  certificates: { hostnames: string[]; certs: TlsCertIR[] }[];
  /** TLS passthrough (TLSRoute) by SNI, TCP (TCPRoute), UDP (UDPRoute): backends per SNI name set ('' = any). */
  streams: { hostnames: string[]; backends: BackendIR[]; source: SourceRef }[];
}

export interface GatewayIR {
  namespace: string;
  name: string;
  source: SourceRef;
  /** Addresses the node proxy binds for this gateway; default ['0.0.0.0']. */
  addresses: string[];
  ports: GatewayPortIR[];
}

// The contracts between the embedded engine's parts: the route table
// (routing/), the clusters (upstream/) and the connection managers
// (listener/, http/). Everything the xDS client hands over is the decoded
// message shape of api/src/any.ts decodeMessage: keepCase field names, enums
// as their names, 64-bit integers as strings, bytes as Buffer, nested Any as
// {type_url, value} still encoded, defaults omitted, oneof names present.
import type { Duplex, Readable } from 'node:stream';

export type Decoded = Record<string, unknown>;

/** Lower-case header names, as Node's http and http2 modules give them. */
export type Headers = Record<string, string | string[] | undefined>;

/** What routing sees of a downstream request. */
export interface RequestHead {
  method: string;
  scheme: 'http' | 'https';
  /** :authority / Host, as sent (may carry a port). */
  authority: string;
  /** Path with query, as sent. */
  path: string;
  headers: Headers;
  /** Downstream peer, for hash policies and access logs. */
  remoteAddress: string;
}

/** Header edits at one level (route config, virtual host, route, weighted cluster). */
export interface HeaderMutation {
  /** In order; `append` per Envoy's append_action. */
  set: { name: string; value: string; action: 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS' }[];
  remove: string[];
}

export interface RetryPolicy {
  /** retry_on conditions: 5xx, gateway-error, reset, connect-failure, retriable-status-codes, … */
  retryOn: ReadonlySet<string>;
  numRetries: number;
  /** 0: no per-try timeout. */
  perTryTimeoutMs: number;
  retriableStatusCodes: readonly number[];
  backoff: { baseMs: number; maxMs: number };
}

export interface MirrorPolicy {
  cluster: string;
  /** 0..1, from runtime_fraction's default_value; 1 when absent. */
  fraction: number;
}

export interface ForwardDecision {
  kind: 'forward';
  vhost: string;
  route: string;
  cluster: string;
  /** Code to answer when `cluster` does not exist (Envoy: cluster_not_found_response_code, default 503). */
  clusterNotFoundStatus: number;
  /** Upstream :path and :authority after prefix/regex/host rewrites. */
  path: string;
  authority: string;
  /** Applied to the upstream request in array order (Envoy's default: most specific level first, so the least specific wins). */
  requestHeaders: HeaderMutation[];
  /** Applied to the downstream response in array order (as requestHeaders). */
  responseHeaders: HeaderMutation[];
  /** Route timeout; 0 disables it. Envoy's default is 15 s. */
  timeoutMs: number;
  retry?: RetryPolicy;
  mirrors: MirrorPolicy[];
  /** For ring hash: from the route's hash_policy; undefined when none applies. */
  hashKey?: string;
  /** The route's typed_per_filter_config, by HTTP filter name, decoded. */
  perFilterConfig?: Readonly<Record<string, TypedConfig>>;
}

/** A decoded google.protobuf.Any: its message's full name and fields. */
export interface TypedConfig {
  type: string;
  config: Decoded;
}

export interface RedirectDecision {
  kind: 'redirect';
  vhost: string;
  route: string;
  status: number;
  location: string;
  responseHeaders: HeaderMutation[];
}

export interface DirectDecision {
  kind: 'direct';
  vhost: string;
  route: string;
  status: number;
  body?: string;
  /** The exact bytes of an inline_bytes body (not necessarily UTF-8). */
  bodyBytes?: Buffer;
  /** Envoy adds Location (the request URL) to 201 and 3xx direct responses. */
  location?: string;
  responseHeaders: HeaderMutation[];
}

/** No virtual host or route matched: Envoy answers 404 with response flag NR. */
export interface NoRouteDecision {
  kind: 'none';
}

export type RouteDecision = ForwardDecision | RedirectDecision | DirectDecision | NoRouteDecision;

/** Compiled RouteConfiguration. Pure: the same request always gets the same decision for the same `random`. */
export interface RouteTable {
  readonly name: string;
  /** `random` in [0,1): picks weighted clusters; injectable for tests. */
  route(req: RequestHead, random?: () => number): RouteDecision;
}

/** Why an upstream attempt failed, in Envoy's response-flag vocabulary. */
export type UpstreamFailure =
  | 'overflow' // UO: a circuit breaker is open
  | 'no_healthy_upstream' // UH
  | 'connect_failure' // UF
  | 'reset' // UR: the connection or stream was reset after connecting
  | 'timeout'; // UT: per-try timeout (the router's)

export class UpstreamError extends Error {
  constructor(
    readonly reason: UpstreamFailure,
    message: string,
    readonly host?: string,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/** The downstream connection's context for load balancing. */
export interface LbContext {
  /** Ring hash key (from the route's hash policy), if any. */
  hashKey?: string;
  /**
   * The host a stateful session asks for (address:port): used while it is a
   * healthy member of the cluster; otherwise the load balancer picks, or with
   * `strict` the request fails as no_healthy_upstream (Envoy's override host).
   */
  overrideHost?: { host: string; strict: boolean };
  /** The connection's original destination, for ORIGINAL_DST clusters. */
  originalDst?: { address: string; port: number };
}

export interface UpstreamHttpRequest {
  method: string;
  path: string;
  authority: string;
  /** Without pseudo-headers and hop-by-hop headers. */
  headers: Headers;
  /** null: no body. A Buffer can be resent on retry; a stream cannot. */
  body: Buffer | Readable | null;
  /**
   * Aborts this attempt. The attempt rejects with `signal.reason` when that is
   * an UpstreamError (a per-try timeout passes UpstreamError('timeout'), which
   * outlier detection counts against the host); otherwise with 'reset', and a
   * downstream disconnect is not counted against the host.
   */
  signal: AbortSignal;
}

export interface UpstreamHttpResponse {
  status: number;
  headers: Headers;
  body: Readable;
  /** address:port of the host that answered. */
  host: string;
  /** HTTP/2 trailers (gRPC's grpc-status); settles when the body ends, never rejects. */
  trailers?: Promise<Headers | undefined>;
}

export interface UpstreamCluster {
  readonly name: string;
  /** One HTTP attempt: host choice, pool, circuit breakers and outlier accounting. Rejects with UpstreamError. */
  request(req: UpstreamHttpRequest, ctx: LbContext): Promise<UpstreamHttpResponse>;
  /** One TCP connection for tcp_proxy (max_connections breaker, connect_timeout). Rejects with UpstreamError. */
  connect(ctx: LbContext): Promise<{ socket: Duplex; host: string }>;
  /** Takes a retry from the max_retries circuit breaker; false when it is open (counts upstream_rq_retry_overflow). */
  tryRetry(): boolean;
  retryDone(): void;
  /**
   * The host of one udp_proxy session (udp/): takes a slot of the
   * max_connections circuit breaker (upstream_cx_overflow when open) and a
   * host from the load balancer (upstream_cx_none_healthy when none). With
   * `replacing`, a session whose host turned unhealthy moves to a healthy
   * other host if the balancer offers one, else keeps its host (Envoy's
   * sticky sessions). Throws UpstreamError. Optional: test doubles of HTTP
   * clusters need not implement it.
   */
  udpSession?(ctx: LbContext, replacing?: UdpUpstream): UdpUpstream;
}

/** A udp_proxy session's hold on an upstream host. */
export interface UdpUpstream {
  readonly address: string;
  readonly port: number;
  /** address:port */
  readonly host: string;
  /** Envoy's coarse health of the host right now. */
  healthy(): boolean;
  /** Called once when the host leaves the cluster or the cluster is removed: the session must end. */
  onGone?: () => void;
  /** Gives back the circuit breaker slot. Idempotent. */
  release(): void;
}

export interface ClusterManager {
  /** Applies a whole accepted configuration. Clusters not in `clusters` are drained and closed. */
  update(config: { clusters: ReadonlyMap<string, Decoded>; endpoints: ReadonlyMap<string, Decoded>; secrets: ReadonlyMap<string, Decoded> }): void;
  get(name: string): UpstreamCluster | undefined;
  close(): Promise<void>;
}

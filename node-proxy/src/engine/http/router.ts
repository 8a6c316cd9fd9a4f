// envoy.filters.http.router: forwards one routed request to its cluster.
// Envoy semantics kept here: the route timeout spans every attempt and the
// response body; a per-try timeout only runs until response headers; retries
// follow retry_on with jittered exponential back-off and take a slot of the
// max_retries breaker for the retry's lifetime; mirrors are fire-and-forget;
// upstream failures become Envoy's local replies and response flags.
import type { Readable } from 'node:stream';
import { applyHeaderMutations, type HeaderFormatContext } from '../routing/headers.js';
import { shadowHost } from '../routing/host.js';
import type { Stats } from '../stats.js';
import {
  UpstreamError,
  type ClusterManager,
  type ForwardDecision,
  type Headers,
  type LbContext,
  type MirrorPolicy,
  type RequestHead,
  type RetryPolicy,
  type UpstreamCluster,
  type UpstreamFailure,
  type UpstreamHttpRequest,
  type UpstreamHttpResponse,
} from '../types.js';

export interface ForwardInput {
  /** A forward decision; the routing module's RouteForwardDecision adds autoHostRewrite and per-mirror options. */
  decision: ForwardDecision & { autoHostRewrite?: boolean; mirrors: (MirrorPolicy & { disableShadowHostSuffixAppend?: boolean })[] };
  clusters: Pick<ClusterManager, 'get'>;
  request: RequestHead;
  /** A Buffer can be resent (retries, mirrors); a stream is sent once, so it disables both. */
  body: Buffer | Readable | null;
  lb: LbContext;
  /** Aborted when the downstream goes away. */
  signal: AbortSignal;
  stats: Stats;
  /** For header formatters; downstreamRemoteAddress defaults to the request's. */
  format?: HeaderFormatContext;
  /** [0,1): back-off jitter and mirror sampling; injectable for tests. */
  random?: () => number;
  /** The Router filter's suppress_envoy_headers. */
  suppressEnvoyHeaders?: boolean;
}

/** The request as handed to the cluster; `autoHostRewrite` asks it to use the chosen host's hostname as authority. */
export interface RouterUpstreamRequest extends UpstreamHttpRequest {
  autoHostRewrite?: boolean;
}

export interface UpstreamResult {
  kind: 'upstream';
  status: number;
  headers: Headers;
  body: Readable;
  host: string;
  attempts: number;
  flags: string[];
  /** Passed through when the cluster's response carries trailers. */
  trailers?: Promise<Headers | undefined>;
}

/** A reply made here. status 0 with flag DC: the downstream went away, nothing is to be sent. */
export interface LocalResult {
  kind: 'local';
  status: number;
  body: string;
  headers: Headers;
  flags: string[];
  attempts: number;
  host?: string;
}

export type ForwardResult = UpstreamResult | LocalResult;

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'host'];
const RESET_BEFORE_HEADERS = 'upstream connect error or disconnect/reset before headers.';
const RESET_REASON: Record<UpstreamFailure, string> = {
  overflow: 'overflow',
  no_healthy_upstream: 'no healthy upstream',
  connect_failure: 'remote connection failure',
  reset: 'connection termination',
  timeout: 'upstream request timeout',
};
const FLAG: Record<UpstreamFailure, string> = { overflow: 'UO', no_healthy_upstream: 'UH', connect_failure: 'UF', reset: 'UR', timeout: 'UT' };

/** Request or response headers minus pseudo and hop-by-hop ones (and those the Connection header names). */
export function withoutHopByHop(headers: Headers): Headers {
  const out: Headers = {};
  const listed = new Set(
    ([] as string[])
      .concat(headers['connection'] ?? [])
      .flatMap((v) => v.split(','))
      .map((s) => s.trim().toLowerCase()),
  );
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || k.startsWith(':') || HOP_BY_HOP.includes(k) || listed.has(k)) continue;
    out[k] = Array.isArray(v) ? [...v] : v;
  }
  // gRPC needs "te: trailers" end to end.
  if (String(headers['te'] ?? '').toLowerCase() === 'trailers') out['te'] = 'trailers';
  return out;
}

type Outcome =
  | { kind: 'response'; res: UpstreamHttpResponse; ms: number }
  | { kind: 'failure'; reason: UpstreamFailure; host?: string; message: string; perTry?: boolean }
  | { kind: 'global-timeout' }
  | { kind: 'downstream-abort' };

/** Envoy's RetryStateImpl::wouldRetryFromHeaders. */
function retriableStatus(p: RetryPolicy, res: UpstreamHttpResponse): boolean {
  if (res.headers['x-envoy-ratelimited'] !== undefined || res.headers['x-envoy-overloaded'] !== undefined) return false;
  const s = res.status;
  return (
    (p.retryOn.has('5xx') && s >= 500 && s < 600) ||
    (p.retryOn.has('gateway-error') && (s === 502 || s === 503 || s === 504)) ||
    (p.retryOn.has('retriable-4xx') && s === 409) ||
    (p.retryOn.has('retriable-status-codes') && p.retriableStatusCodes.includes(s))
  );
}

/** Envoy's RetryStateImpl::wouldRetryFromReset; a per-try timeout is a local reset. */
function retriableFailure(p: RetryPolicy, o: Extract<Outcome, { kind: 'failure' }>): boolean {
  if (o.reason === 'overflow' || o.reason === 'no_healthy_upstream') return false;
  if (p.retryOn.has('5xx') || p.retryOn.has('gateway-error') || p.retryOn.has('reset')) return true;
  if (o.reason === 'connect_failure') return p.retryOn.has('connect-failure');
  return o.reason === 'reset' && p.retryOn.has('refused-stream') && /REFUSED_STREAM/i.test(o.message);
}

function onAbort(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    queueMicrotask(fn);
    return () => {};
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

/** One attempt, settled by the first of: response headers, failure, per-try timeout, route timeout, downstream abort. */
function attempt(
  cluster: UpstreamCluster,
  req: Omit<RouterUpstreamRequest, 'signal'>,
  lb: LbContext,
  perTryMs: number,
  global: AbortSignal,
  downstream: AbortSignal,
): Promise<Outcome> {
  const ac = new AbortController();
  const started = Date.now();
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    const cleanups: (() => void)[] = [];
    const settle = (o: Outcome) => {
      if (settled) return;
      settled = true;
      for (const c of cleanups) c();
      if (o.kind !== 'response') ac.abort(new UpstreamError(o.kind === 'failure' ? o.reason : 'timeout', 'attempt abandoned'));
      resolve(o);
    };
    if (perTryMs > 0) {
      const t = setTimeout(() => settle({ kind: 'failure', reason: 'timeout', message: 'per-try timeout', perTry: true }), perTryMs);
      cleanups.push(() => clearTimeout(t));
    }
    cleanups.push(onAbort(global, () => settle({ kind: 'global-timeout' })));
    cleanups.push(onAbort(downstream, () => settle({ kind: 'downstream-abort' })));
    Promise.resolve()
      // Each attempt gets its own header object: a cluster may add to it.
      .then(() => cluster.request({ ...req, headers: { ...req.headers }, signal: ac.signal } as RouterUpstreamRequest, lb))
      .then(
        (res) => {
          if (settled) res.body.destroy();
          else settle({ kind: 'response', res, ms: Date.now() - started });
        },
        (err: unknown) => {
          const e = err instanceof UpstreamError ? err : undefined;
          const o: Outcome = { kind: 'failure', reason: e?.reason ?? 'reset', message: (err as Error)?.message ?? String(err) };
          if (e?.host) o.host = e.host;
          settle(o);
        },
      );
  });
}

/** Envoy's JitteredExponentialBackOffStrategy: the n-th retry (0-based) waits random in [0, min(base·2ⁿ, max)). */
export function backoffDelayMs(n: number, backoff: RetryPolicy['backoff'], random: () => number): number {
  return Math.floor(random() * Math.min(backoff.baseMs * 2 ** n, backoff.maxMs));
}

function sleep(ms: number, global: AbortSignal, downstream: AbortSignal): Promise<'done' | 'global-timeout' | 'downstream-abort'> {
  return new Promise((resolve) => {
    const offs: (() => void)[] = [];
    const finish = (r: 'done' | 'global-timeout' | 'downstream-abort') => {
      clearTimeout(t);
      for (const off of offs) off();
      resolve(r);
    };
    const t = setTimeout(() => finish('done'), ms);
    offs.push(onAbort(global, () => finish('global-timeout')));
    offs.push(onAbort(downstream, () => finish('downstream-abort')));
  });
}

function sendMirrors(input: ForwardInput, base: Omit<RouterUpstreamRequest, 'signal'>, random: () => number): void {
  const { decision: d, body } = input;
  if (body !== null && !Buffer.isBuffer(body)) return;
  for (const m of d.mirrors) {
    if (m.fraction < 1 && !(random() < m.fraction)) continue;
    const cluster = input.clusters.get(m.cluster);
    if (!cluster) continue;
    const ac = new AbortController();
    const timer = d.timeoutMs > 0 ? setTimeout(() => ac.abort(new UpstreamError('timeout', 'shadow timeout')), d.timeoutMs) : undefined;
    const authority = m.disableShadowHostSuffixAppend ? base.authority : shadowHost(base.authority);
    const req: UpstreamHttpRequest = { ...base, authority, headers: { ...base.headers }, body, signal: ac.signal };
    // The shadow's outcome never reaches the main response: its body is drained and errors are dropped.
    Promise.resolve()
      .then(() => cluster.request(req, input.lb))
      .then(
        (res) => {
          res.body.on('error', () => {});
          res.body.on('close', () => clearTimeout(timer));
          res.body.resume();
        },
        () => clearTimeout(timer),
      );
  }
}

export async function forward(input: ForwardInput): Promise<ForwardResult> {
  const { decision: d, request, stats } = input;
  const random = input.random ?? Math.random;
  const tags = { envoy_cluster_name: d.cluster };
  const format: HeaderFormatContext = { downstreamRemoteAddress: request.remoteAddress, ...input.format };
  const local = (status: number, body: string, flags: string[], attempts: number, host?: string): LocalResult => {
    const headers = applyHeaderMutations({}, d.responseHeaders, host ? { ...format, upstreamRemoteAddress: host } : format);
    const r: LocalResult = { kind: 'local', status, body, headers, flags, attempts };
    if (host) r.host = host;
    return r;
  };

  const cluster = input.clusters.get(d.cluster);
  if (!cluster) return local(d.clusterNotFoundStatus, '', ['NC'], 0);
  if (input.signal.aborted) return local(0, '', ['DC'], 0);

  const policy = d.retry;
  // Envoy ignores a per-try timeout that is not shorter than the route timeout.
  const perTryMs = policy && policy.perTryTimeoutMs > 0 && (d.timeoutMs === 0 || policy.perTryTimeoutMs < d.timeoutMs) ? policy.perTryTimeoutMs : 0;
  const headers = withoutHopByHop(request.headers);
  applyHeaderMutations(headers, d.requestHeaders, format);
  if (!input.suppressEnvoyHeaders) {
    if (d.path !== request.path) headers['x-envoy-original-path'] = request.path;
    const expected = perTryMs || d.timeoutMs;
    if (expected > 0) headers['x-envoy-expected-rq-timeout-ms'] = String(Math.round(expected));
  }
  const base: Omit<RouterUpstreamRequest, 'signal'> = { method: request.method, path: d.path, authority: d.authority, headers, body: input.body };
  if (d.autoHostRewrite) base.autoHostRewrite = true;
  sendMirrors(input, base, random);

  const globalAc = new AbortController();
  const globalTimer = d.timeoutMs > 0 ? setTimeout(() => globalAc.abort(), d.timeoutMs) : undefined;
  let keepGlobalTimer = false;
  // A streamed body cannot be replayed, so it is never retried (Envoy: buffer limit exceeded).
  let retriesLeft = policy && (input.body === null || Buffer.isBuffer(input.body)) ? policy.numRetries : 0;
  let holdingRetry = false;
  const releaseRetry = () => {
    if (holdingRetry) cluster.retryDone();
    holdingRetry = false;
  };
  /** Envoy's RetryStateImpl::shouldRetry. */
  const shouldRetry = (retriable: boolean): 'yes' | 'no' | 'limit' | 'overflow' => {
    if (holdingRetry && !retriable) stats.counter('envoy_cluster_upstream_rq_retry_success', tags).inc();
    releaseRetry();
    if (!retriable) return 'no';
    if (retriesLeft <= 0) {
      stats.counter('envoy_cluster_upstream_rq_retry_limit_exceeded', tags).inc();
      return 'limit';
    }
    retriesLeft--;
    if (!cluster.tryRetry()) {
      stats.counter('envoy_cluster_upstream_rq_retry_overflow', tags).inc();
      return 'overflow';
    }
    holdingRetry = true;
    stats.counter('envoy_cluster_upstream_rq_retry', tags).inc();
    return 'yes';
  };

  let attempts = 0;
  let retries = 0;
  try {
    for (;;) {
      attempts++;
      const o = await attempt(cluster, base, input.lb, perTryMs, globalAc.signal, input.signal);
      if (o.kind === 'global-timeout') {
        stats.counter('envoy_cluster_upstream_rq_timeout', tags).inc();
        return local(504, 'upstream request timeout', ['UT'], attempts);
      }
      if (o.kind === 'downstream-abort') return local(0, '', ['DC'], attempts);
      if (o.kind === 'failure' && o.perTry) stats.counter('envoy_cluster_upstream_rq_per_try_timeout', tags).inc();

      const retriable = policy ? (o.kind === 'response' ? retriableStatus(policy, o.res) : retriableFailure(policy, o)) : false;
      let verdict: ReturnType<typeof shouldRetry> = 'no';
      // A host-selection failure is answered at once, without a retry decision (Envoy: sendNoHealthyUpstreamResponse).
      if (o.kind === 'failure' && o.reason === 'no_healthy_upstream') releaseRetry();
      else verdict = shouldRetry(retriable);
      if (verdict === 'yes') {
        if (o.kind === 'response') {
          // The retried response is discarded; draining lets its connection be reused.
          o.res.body.on('error', () => {});
          o.res.body.resume();
        }
        const slept = await sleep(backoffDelayMs(retries++, policy!.backoff, random), globalAc.signal, input.signal);
        if (slept === 'global-timeout') return local(504, 'upstream request timeout', ['UT'], attempts);
        if (slept === 'downstream-abort') return local(0, '', ['DC'], attempts);
        continue;
      }
      const flags = verdict === 'limit' ? ['URX'] : verdict === 'overflow' ? ['UO'] : [];
      if (o.kind === 'response') {
        keepGlobalTimer = globalTimer !== undefined;
        return upstreamResult(input, o.res, o.ms, attempts, flags, format, globalAc.signal, () => clearTimeout(globalTimer));
      }
      const status = o.reason === 'timeout' ? 504 : 503;
      const body =
        o.reason === 'no_healthy_upstream' || o.reason === 'timeout'
          ? RESET_REASON[o.reason]
          : `${RESET_BEFORE_HEADERS} ${attempts > 1 ? 'retried and the latest reset reason' : 'reset reason'}: ${RESET_REASON[o.reason]}`;
      return local(status, body, [FLAG[o.reason], ...flags.filter((f) => f !== FLAG[o.reason])], attempts, o.host);
    }
  } finally {
    releaseRetry();
    if (!keepGlobalTimer) clearTimeout(globalTimer);
  }
}

function upstreamResult(
  input: ForwardInput,
  res: UpstreamHttpResponse,
  ms: number,
  attempts: number,
  flags: string[],
  format: HeaderFormatContext,
  global: AbortSignal,
  clearGlobal: () => void,
): UpstreamResult {
  const { decision: d, stats } = input;
  const headers = withoutHopByHop(res.headers);
  if (!input.suppressEnvoyHeaders) headers['x-envoy-upstream-service-time'] = String(ms);
  applyHeaderMutations(headers, d.responseHeaders, { ...format, upstreamRemoteAddress: res.host });
  // The route timeout also bounds the body: when it fires mid-body the stream is reset.
  const off = onAbort(global, () => {
    stats.counter('envoy_cluster_upstream_rq_timeout', { envoy_cluster_name: d.cluster }).inc();
    res.body.destroy(new UpstreamError('timeout', 'upstream request timeout', res.host));
  });
  const done = () => {
    off();
    clearGlobal();
  };
  if (res.body.closed || res.body.destroyed) done();
  else res.body.once('close', done);
  const out: UpstreamResult = { kind: 'upstream', status: res.status, headers, body: res.body, host: res.host, attempts, flags };
  const trailers = (res as { trailers?: Promise<Headers | undefined> }).trailers;
  if (trailers) out.trailers = trailers;
  return out;
}

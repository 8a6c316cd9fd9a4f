// A cluster's Envoy stats (cluster.<name>.* after tag extraction), created
// up front so they read 0 before the first event, as Envoy's do.
import type { Counter, Gauge, Histogram, Stats } from '../stats.js';

export class ClusterStats {
  readonly cxTotal: Counter;
  readonly cxActive: Gauge;
  readonly cxHttp1Total: Counter;
  readonly cxHttp2Total: Counter;
  readonly cxConnectFail: Counter;
  readonly cxConnectTimeout: Counter;
  readonly cxOverflow: Counter;
  readonly cxIdleTimeout: Counter;
  readonly cxMaxRequests: Counter;
  readonly cxDestroy: Counter;
  readonly cxNoneHealthy: Counter;
  readonly cxConnectMs: Histogram;
  readonly rqTotal: Counter;
  readonly rqActive: Gauge;
  readonly rqPendingTotal: Counter;
  readonly rqPendingActive: Gauge;
  readonly rqPendingOverflow: Counter;
  readonly rqPendingFailureEject: Counter;
  readonly rqCancelled: Counter;
  readonly rqRetryOverflow: Counter;
  readonly rqRxReset: Counter;
  readonly rqTime: Histogram;
  readonly lbHealthyPanic: Counter;
  readonly membershipTotal: Gauge;
  readonly membershipHealthy: Gauge;
  readonly membershipDegraded: Gauge;
  readonly membershipExcluded: Gauge;
  readonly cbCxOpen: Gauge;
  readonly cbRqPendingOpen: Gauge;
  readonly cbRqOpen: Gauge;
  readonly cbRqRetryOpen: Gauge;
  private readonly tags: { envoy_cluster_name: string };

  constructor(
    private readonly stats: Stats,
    readonly cluster: string,
  ) {
    this.tags = { envoy_cluster_name: cluster };
    const c = (n: string) => stats.counter(`envoy_cluster_${n}`, this.tags);
    const g = (n: string) => stats.gauge(`envoy_cluster_${n}`, this.tags);
    const h = (n: string) => stats.histogram(`envoy_cluster_${n}`, this.tags);
    this.cxTotal = c('upstream_cx_total');
    this.cxActive = g('upstream_cx_active');
    this.cxHttp1Total = c('upstream_cx_http1_total');
    this.cxHttp2Total = c('upstream_cx_http2_total');
    this.cxConnectFail = c('upstream_cx_connect_fail');
    this.cxConnectTimeout = c('upstream_cx_connect_timeout');
    this.cxOverflow = c('upstream_cx_overflow');
    this.cxIdleTimeout = c('upstream_cx_idle_timeout');
    this.cxMaxRequests = c('upstream_cx_max_requests');
    this.cxDestroy = c('upstream_cx_destroy');
    this.cxNoneHealthy = c('upstream_cx_none_healthy');
    this.cxConnectMs = h('upstream_cx_connect_ms');
    this.rqTotal = c('upstream_rq_total');
    this.rqActive = g('upstream_rq_active');
    this.rqPendingTotal = c('upstream_rq_pending_total');
    this.rqPendingActive = g('upstream_rq_pending_active');
    this.rqPendingOverflow = c('upstream_rq_pending_overflow');
    this.rqPendingFailureEject = c('upstream_rq_pending_failure_eject');
    this.rqCancelled = c('upstream_rq_cancelled');
    this.rqRetryOverflow = c('upstream_rq_retry_overflow');
    this.rqRxReset = c('upstream_rq_rx_reset');
    this.rqTime = h('upstream_rq_time');
    this.lbHealthyPanic = c('lb_healthy_panic');
    this.membershipTotal = g('membership_total');
    this.membershipHealthy = g('membership_healthy');
    this.membershipDegraded = g('membership_degraded');
    this.membershipExcluded = g('membership_excluded');
    this.cbCxOpen = g('circuit_breakers_default_cx_open');
    this.cbRqPendingOpen = g('circuit_breakers_default_rq_pending_open');
    this.cbRqOpen = g('circuit_breakers_default_rq_open');
    this.cbRqRetryOpen = g('circuit_breakers_default_rq_retry_open');
  }

  /** cluster.<name>.upstream_rq_<code> and upstream_rq_<class>xx. */
  responseCode(status: number): void {
    // Per request: the two series are looked up once per status code, not built each time.
    let pair = this.byCode.get(status);
    if (!pair) {
      pair = [
        this.stats.counter('envoy_cluster_upstream_rq', { ...this.tags, envoy_response_code: String(status) }),
        this.stats.counter('envoy_cluster_upstream_rq_xx', { ...this.tags, envoy_response_code_class: String(Math.floor(status / 100)) }),
      ];
      this.byCode.set(status, pair);
    }
    pair[0].inc();
    pair[1].inc();
  }

  private readonly byCode = new Map<number, [Counter, Counter]>();

  counter(name: string): Counter {
    return this.stats.counter(`envoy_cluster_${name}`, this.tags);
  }

  gauge(name: string): Gauge {
    return this.stats.gauge(`envoy_cluster_${name}`, this.tags);
  }
}

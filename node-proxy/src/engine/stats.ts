// Envoy-compatible stats. Names follow Envoy's stat names after its default
// tag extraction, so dashboards and alerts written for Envoy work unchanged:
// `cluster.<name>.upstream_rq_total` is exposed as
// `envoy_cluster_upstream_rq_total{envoy_cluster_name="<name>"}`.
export type Tags = Readonly<Record<string, string>>;

export interface Counter {
  inc(n?: number): void;
  value(): number;
}
export interface Gauge {
  set(v: number): void;
  add(n: number): void;
  value(): number;
}
export interface Histogram {
  /** Milliseconds, as Envoy's *_time histograms. */
  record(ms: number): void;
}

/** Envoy's default histogram buckets (ms). */
const BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

interface Series<T> {
  name: string;
  tags: Tags;
  metric: T;
}

export class Stats {
  private readonly counters = new Map<string, Series<Counter>>();
  private readonly gauges = new Map<string, Series<Gauge>>();
  private readonly histograms = new Map<string, Series<{ counts: number[]; sum: number; count: number }>>();

  /** `name` is the Prometheus name without labels, e.g. envoy_cluster_upstream_rq_total. */
  counter(name: string, tags: Tags = {}): Counter {
    const key = seriesKey(name, tags);
    let s = this.counters.get(key);
    if (!s) {
      let v = 0;
      s = { name, tags, metric: { inc: (n = 1) => void (v += n), value: () => v } };
      this.counters.set(key, s);
    }
    return s.metric;
  }

  gauge(name: string, tags: Tags = {}): Gauge {
    const key = seriesKey(name, tags);
    let s = this.gauges.get(key);
    if (!s) {
      let v = 0;
      s = { name, tags, metric: { set: (x) => void (v = x), add: (n) => void (v += n), value: () => v } };
      this.gauges.set(key, s);
    }
    return s.metric;
  }

  histogram(name: string, tags: Tags = {}): Histogram {
    const key = seriesKey(name, tags);
    let s = this.histograms.get(key);
    if (!s) {
      s = { name, tags, metric: { counts: BUCKETS.map(() => 0), sum: 0, count: 0 } };
      this.histograms.set(key, s);
    }
    const h = s.metric;
    return {
      record: (ms) => {
        h.sum += ms;
        h.count++;
        for (let i = 0; i < BUCKETS.length; i++) if (ms <= BUCKETS[i]!) h.counts[i]!++;
      },
    };
  }

  /** The value of a counter or gauge, 0 if it was never touched. */
  get(name: string, tags: Tags = {}): number {
    const key = seriesKey(name, tags);
    return (this.counters.get(key) ?? this.gauges.get(key))?.metric.value() ?? 0;
  }

  /** Prometheus text exposition format (what Envoy's /stats/prometheus serves). */
  prometheus(): string {
    const lines: string[] = [];
    const group = <T>(m: Map<string, Series<T>>) => {
      const by = new Map<string, Series<T>[]>();
      for (const s of m.values()) {
        const list = by.get(s.name) ?? [];
        list.push(s);
        by.set(s.name, list);
      }
      return [...by.entries()].sort(([a], [b]) => a.localeCompare(b));
    };
    for (const [name, list] of group(this.counters)) {
      lines.push(`# TYPE ${name} counter`);
      for (const s of list) lines.push(`${name}${labels(s.tags)} ${s.metric.value()}`);
    }
    for (const [name, list] of group(this.gauges)) {
      lines.push(`# TYPE ${name} gauge`);
      for (const s of list) lines.push(`${name}${labels(s.tags)} ${s.metric.value()}`);
    }
    for (const [name, list] of group(this.histograms)) {
      lines.push(`# TYPE ${name} histogram`);
      for (const s of list) {
        const h = s.metric;
        BUCKETS.forEach((le, i) => lines.push(`${name}_bucket${labels({ ...s.tags, le: String(le) })} ${h.counts[i]}`));
        lines.push(`${name}_bucket${labels({ ...s.tags, le: '+Inf' })} ${h.count}`);
        lines.push(`${name}_sum${labels(s.tags)} ${h.sum}`);
        lines.push(`${name}_count${labels(s.tags)} ${h.count}`);
      }
    }
    return lines.join('\n') + '\n';
  }
}

function seriesKey(name: string, tags: Tags): string {
  return name + labels(tags);
}

function labels(tags: Tags): string {
  const keys = Object.keys(tags);
  if (keys.length > 1) keys.sort();
  if (!keys.length) return '';
  return '{' + keys.map((k) => `${k}="${tags[k]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',') + '}';
}

/**
 * One job: the prom-client metric objects for one (registry, prefix), shared by every log
 * registered there. A registry holds one metric per name, so two logs in one registry are two
 * label sets of the same metrics; a log's series are told apart by its constant labels.
 *
 * Counters and gauges are filled lazily in collect(), at scrape time, from each log's metrics()
 * snapshot: reset, then one series per log. A counter's value is then exactly the log's total
 * since open, which the store keeps monotonic; a log that is unregistered simply has no series at
 * the next scrape. Histograms cannot be rebuilt from a snapshot, so they are observed per batch
 * (see register.ts) and a log's series are removed when it is unregistered.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { assert } from '@seglog/types';
import type { BatchEvent } from '@seglog/types';
import type { LogSource } from './log-source.js';
import { counterSpecs, gaugeSpecs, histogramSpecs, sealReasonsSpec } from './metric-table.js';
import type { CounterSpec, GaugeSpec, HistogramSpec } from './metric-table.js';
import type { AnyRegistry, ResolvedOptions } from './options.js';

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

export class MetricFamily {
  /** The options that shaped these metrics; later registrations must match them. */
  readonly shape: ResolvedOptions;
  readonly #sources = new Map<string, LogSource>();
  /** Names kept beside the objects: an OpenMetrics registry renames counters in place. */
  readonly #metrics: { name: string; metric: AnyMetric }[] = [];
  readonly #histograms: { spec: HistogramSpec; histogram: Histogram<string> }[] = [];

  constructor(shape: ResolvedOptions) {
    this.shape = shape;
    try {
      this.#build();
    } catch (error) {
      // A name clash halfway through (a metric the caller registered by hand) must not leave
      // the first half of ours behind in the registry.
      this.destroy();
      throw error;
    }
  }

  get size(): number {
    return this.#sources.size;
  }

  add(source: LogSource): void {
    if (this.#sources.has(source.labelsKey)) {
      throw new TypeError(`a seglog log with labels ${source.labelsKey} is already registered under prefix "${this.shape.prefix}"; give each log distinct labels`);
    }
    this.#sources.set(source.labelsKey, source);
  }

  /** Forgets the log; its histogram series go now, its counters and gauges at the next scrape. */
  remove(source: LogSource): void {
    if (this.#sources.get(source.labelsKey) !== source) return;
    this.#sources.delete(source.labelsKey);
    for (const { histogram } of this.#histograms) histogram.remove(source.labels);
  }

  observe(source: LogSource, event: BatchEvent): void {
    for (const { spec, histogram } of this.#histograms) histogram.observe(source.labels, spec.observe(event));
  }

  /** False once someone cleared the registry or replaced our metrics in it. */
  isLive(): boolean {
    return (
      this.#metrics.length > 0 &&
      this.#metrics.every(({ name, metric }) => this.#registry.getSingleMetric(name) === metric)
    );
  }

  /** Takes our metrics out of the registry, leaving any same-named metric that is not ours. */
  destroy(): void {
    for (const { name, metric } of this.#metrics) {
      if (this.#registry.getSingleMetric(name) === metric) this.#registry.removeSingleMetric(name);
    }
    this.#metrics.length = 0;
    this.#histograms.length = 0;
  }

  get #registry(): AnyRegistry {
    return this.shape.registry;
  }

  #build(): void {
    for (const spec of counterSpecs) this.#keep(spec.name, this.#counter(spec));
    this.#keep(sealReasonsSpec.name, this.#sealReasonsCounter());
    for (const spec of gaugeSpecs) this.#keep(spec.name, this.#gauge(spec));
    for (const spec of histogramSpecs) {
      const buckets = [...this.shape.buckets[spec.buckets]];
      const histogram = new Histogram({ ...this.#common(spec.name, spec.help), buckets });
      this.#keep(spec.name, histogram);
      this.#histograms.push({ spec, histogram });
    }
  }

  /** What every metric of the family shares: prefixed name, help, the family's labels, our registry. */
  #common(
    name: string,
    help: string,
    extraLabels: readonly string[] = [],
  ): { name: string; help: string; labelNames: string[]; registers: AnyRegistry[] } {
    return {
      name: this.shape.prefix + name,
      help,
      labelNames: [...this.shape.labelNames, ...extraLabels],
      registers: [this.#registry],
    };
  }

  #keep(name: string, metric: AnyMetric): void {
    this.#metrics.push({ name: this.shape.prefix + name, metric });
  }

  #counter(spec: CounterSpec): Counter<string> {
    const sources = this.#sources;
    return new Counter({
      ...this.#common(spec.name, spec.help),
      collect() {
        this.reset();
        for (const source of sources.values()) this.inc(source.labels, total(spec.name, spec.read(source.metrics())));
      },
    });
  }

  #sealReasonsCounter(): Counter<string> {
    const sources = this.#sources;
    return new Counter({
      ...this.#common(sealReasonsSpec.name, sealReasonsSpec.help, ['reason']),
      collect() {
        this.reset();
        for (const source of sources.values()) {
          const sealed = source.metrics().sealReasons;
          for (const reason of sealReasonsSpec.reasons) {
            this.inc(source.with('reason', reason), total(`${sealReasonsSpec.name}{reason="${reason}"}`, sealed[reason]));
          }
        }
      },
    });
  }

  #gauge(spec: GaugeSpec): Gauge<string> {
    const sources = this.#sources;
    return new Gauge({
      ...this.#common(spec.name, spec.help),
      collect() {
        this.reset();
        for (const source of sources.values()) {
          const value = spec.read(source.metrics(), source.log);
          // reset() leaves a 0 sample when there are no labels; a log without the value must
          // show no sample rather than a made-up 0.
          if (value === undefined) this.remove(source.labels);
          else this.set(source.labels, value);
        }
      },
    });
  }
}

/**
 * prom-client's inc() treats a missing value as 1, so a store that stopped reporting a total
 * would silently export a wrong count; refuse loudly instead.
 */
function total(name: string, value: number): number {
  assert(typeof value === 'number' && Number.isFinite(value) && value >= 0, `${name} must be a finite total >= 0, got ${String(value)}`);
  return value;
}

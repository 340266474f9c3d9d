/**
 * One job: one registered log as the metric families see it: its constant labels, whether a
 * batch event is its own, and one metrics() snapshot per scrape.
 *
 * Why one snapshot per scrape: prom-client calls every metric's collect() in the same synchronous
 * run at the start of registry.metrics(), so the first collect takes the snapshot and a microtask
 * drops it once that run is over. Every counter and gauge of one scrape then comes from the same
 * instant (appends_total never runs ahead of batches_total), and a scrape costs one metrics() call
 * per log instead of one per metric.
 */
import { resolve } from 'node:path';
import type { BatchEvent, LogMetrics } from '@seglog/types';
import type { MetricsLog } from './metric-table.js';

export class LogSource {
  readonly log: MetricsLog;
  readonly labels: Readonly<Record<string, string>>;
  /** Identifies the label set inside a family; two sources with one key would share series. */
  readonly labelsKey: string;
  readonly #dir: string;
  readonly #dirResolved: string;
  #snapshot: LogMetrics | null = null;

  constructor(log: MetricsLog, labels: Readonly<Record<string, string>>) {
    this.log = log;
    this.labels = labels;
    this.labelsKey = labelsKeyOf(labels);
    this.#dir = log.dir;
    this.#dirResolved = resolve(log.dir);
  }

  metrics(): LogMetrics {
    if (this.#snapshot === null) {
      this.#snapshot = this.log.metrics();
      queueMicrotask(() => {
        this.#snapshot = null;
      });
    }
    return this.#snapshot;
  }

  /** Batch events from every log in the process share one channel; keep only this log's. */
  owns(event: BatchEvent): boolean {
    return event.dir === this.#dir || event.dir === this.#dirResolved;
  }

  /** These labels plus one more, for the per-reason counter. */
  with(name: string, value: string): Record<string, string> {
    return { ...this.labels, [name]: value };
  }
}

function labelsKeyOf(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.keys(labels).sort().map((name) => [name, labels[name]]));
}

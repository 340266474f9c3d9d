/**
 * One job: registerLogMetrics, which ties one log to the metric family of its (registry, prefix)
 * and feeds that family's histograms from the `seglog:batch` diagnostics channel.
 *
 * The store publishes every durable batch on that channel, and publishing costs nothing while
 * nobody subscribes, so a log that is never registered pays nothing. All logs in the process share
 * the channel; each registration keeps only the events whose `dir` is its log's.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { BATCH_CHANNEL } from '@seglog/types';
import type { BatchEvent } from '@seglog/types';
import { LogSource } from './log-source.js';
import { MetricFamily } from './metric-family.js';
import type { MetricsLog } from './metric-table.js';
import { resolveOptions, sameShape } from './options.js';
import type { AnyRegistry, RegisterOptions, ResolvedOptions } from './options.js';

/** Channel names the store publishes on (docs/observability.md). */

export interface Registration {
  /** Stops observing and removes this log's series; the metrics go when the last log leaves. Idempotent. */
  unregister(): void;
}

/** Keyed by registry, then prefix; weak so a dropped registry takes its families with it. */
const families = new WeakMap<AnyRegistry, Map<string, MetricFamily>>();

/**
 * Registers everything `log` reports with prom-client: counters and gauges read from
 * `log.metrics()` at scrape time, histograms observed per durable batch. Several logs may share a
 * registry if each has its own `labels`.
 */
export function registerLogMetrics(log: MetricsLog, options?: RegisterOptions): Registration {
  checkLog(log);
  const resolved = resolveOptions(options);
  const family = familyFor(resolved);
  const source = new LogSource(log, resolved.labels);
  family.add(source);
  const onBatch = batchListener(family, source);
  subscribe(BATCH_CHANNEL, onBatch);
  let registered = true;
  return {
    unregister(): void {
      if (!registered) return;
      registered = false;
      unsubscribe(BATCH_CHANNEL, onBatch);
      family.remove(source);
      if (family.size === 0) dropFamily(family);
    },
  };
}

function checkLog(log: MetricsLog): void {
  if (typeof log !== 'object' || log === null || typeof log.metrics !== 'function') {
    throw new TypeError('registerLogMetrics needs a log with a metrics() method');
  }
  if (typeof log.dir !== 'string' || log.dir.length === 0) throw new TypeError('registerLogMetrics needs a log with a dir');
}

function familyFor(options: ResolvedOptions): MetricFamily {
  let byPrefix = families.get(options.registry);
  if (byPrefix === undefined) {
    byPrefix = new Map();
    families.set(options.registry, byPrefix);
  }
  const existing = byPrefix.get(options.prefix);
  // A family whose metrics left the registry (registry.clear(), say) is stale: start afresh.
  if (existing !== undefined && existing.isLive()) {
    if (!sameShape(existing.shape, options)) {
      throw new TypeError(
        `logs registered under prefix "${options.prefix}" in one registry must use the same label names and buckets; use another prefix or registry`,
      );
    }
    return existing;
  }
  const created = new MetricFamily(options);
  byPrefix.set(options.prefix, created);
  return created;
}

function dropFamily(family: MetricFamily): void {
  family.destroy();
  const byPrefix = families.get(family.shape.registry);
  if (byPrefix?.get(family.shape.prefix) === family) byPrefix.delete(family.shape.prefix);
}

/**
 * diagnostics_channel rethrows a subscriber's exception as an uncaught exception, which would
 * take the whole process down over a metric; a malformed event is reported once as a warning.
 */
function batchListener(family: MetricFamily, source: LogSource): (message: unknown) => void {
  let warned = false;
  return (message) => {
    if (typeof message !== 'object' || message === null) return;
    const event = message as BatchEvent;
    if (!source.owns(event)) return;
    try {
      family.observe(source, event);
    } catch (error) {
      if (warned) return;
      warned = true;
      process.emitWarning(`@seglog/prometheus could not observe a batch of ${event.dir}: ${String(error)}`, 'SeglogMetricsWarning');
    }
  };
}

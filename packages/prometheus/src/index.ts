/**
 * @seglog/prometheus: exposes what a seglog Log reports as Prometheus metrics through prom-client.
 * One call, registerLogMetrics(log, options), registers counters and gauges read lazily from
 * log.metrics() at scrape time and histograms observed per durable batch from the `seglog:batch`
 * diagnostics channel; registerQueueMetrics(queue, options) does the same for a @seglog/queue queue's
 * per-group stats. Every metric, its unit and what to alert on: docs/observability.md,
 * section "Prometheus".
 */
export { registerLogMetrics } from './register.js';
export { queueMetricSpecs, registerQueueMetrics } from './queue-metrics.js';
export type { MetricsQueue, QueueGroupStats, QueueRegistration } from './queue-metrics.js';
export { BATCH_CHANNEL, ERROR_CHANNEL } from '@seglog/types';
export type { Registration } from './register.js';
export { defaultBuckets } from './options.js';
export type { AnyRegistry, BucketOptions, RegisterOptions, ResolvedBuckets } from './options.js';
export type { MetricsLog } from './metric-table.js';
export { registerShipperMetrics } from './shipper-metrics.js';
export type { ShipperRegisterOptions, ShipperRegistration, ShipperSource } from './shipper-metrics.js';
export type { ShipperMetrics } from '@seglog/types';

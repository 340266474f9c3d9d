/**
 * One job: BullMQ's per-minute completed/failed metrics, as collectMetrics.lua: a running count
 * and a list of per-minute deltas (newest first), at most `maxDataPoints` long.
 */
import type { MetricsState } from './queue-state.js';

const MINUTE_MS = 60_000;

export function recordMetric(metrics: MetricsState, maxDataPoints: number, now: number): void {
  metrics.count++;
  const previousCount = metrics.count - 1;
  if (metrics.prevTs === 0) {
    metrics.prevTs = now;
    metrics.prevCount = 0;
    return;
  }
  const minutes = Math.min(Math.floor(now / MINUTE_MS) - Math.floor(metrics.prevTs / MINUTE_MS), maxDataPoints);
  if (minutes <= 0) return;
  const delta = previousCount - metrics.prevCount;
  metrics.data.unshift(delta);
  for (let i = 1; i < minutes; i++) metrics.data.unshift(0);
  if (metrics.data.length > maxDataPoints) metrics.data.length = maxDataPoints;
  metrics.prevCount = previousCount;
  metrics.prevTs = now;
}

/**
 * One job: everything the benchmarks read from the store's metrics and its commit-window policy,
 * in one file: flush counts and latency, and the window the adaptive policy settles on.
 */
import { limits, type LogMetrics } from '@seglog/types';

/** Flushes the log made durable: O_DSYNC batch writes or fdatasync calls, by syncMethod. */
export function flushCount(metrics: LogMetrics): number {
  return metrics.flushes;
}

/** The latency summary of those flushes, µs. */
export function flushLatency(metrics: LogMetrics): LogMetrics['flushMicros'] {
  return metrics.flushMicros;
}

/** The store's default `commitWindow.adaptive.maxMicros`. */
export const adaptiveWindowMaxMicrosDefault = limits.adaptiveWindowMicrosMaxDefault;

/**
 * The window the adaptive commit-window policy settles on for a disk whose flushes take
 * `flushMicros`, under load heavy enough to engage it: its flush estimate becomes that flush
 * time, and the window its target, a fraction of the estimate under the cap (commit-window.ts).
 */
export function adaptiveWindowMicros(flushMicros: number, maxMicros: number): number {
  const capMicros = Math.min(maxMicros, limits.windowCapFlushFraction * flushMicros);
  return Math.min(capMicros, limits.windowFlushFraction * flushMicros);
}

/**
 * One job: everything the benchmarks read from the store whose name or place issue 10 changes
 * (fdatasyncs -> flushes, fdatasyncMicros -> flushMicros, the commit-window controller leaving
 * the store's exports for limits in @seglog/types), in this one file, so the benchmarks follow
 * that change by replacing this file alone when it lands on main.
 */
import { initialWindowState, nextWindow } from '@seglog/store';
import type { LogMetrics } from '@seglog/types';

/** Flushes the log made durable: O_DSYNC batch writes or fdatasync calls, by syncMethod. */
export function flushCount(metrics: LogMetrics): number {
  return metrics.fdatasyncs;
}

/** The latency summary of those flushes, µs. */
export function flushLatency(metrics: LogMetrics): LogMetrics['fdatasyncMicros'] {
  return metrics.fdatasyncMicros;
}

/** The store's default `commitWindow.adaptive.maxMicros` (docs/tuning.md). */
export const adaptiveWindowMaxMicrosDefault = 2000;

/**
 * The window the adaptive commit-window policy settles on for a disk whose flushes take
 * `flushMicros`, under load heavy enough to engage it (the policy itself, fed that flush time
 * until it stops moving): what `seglog bench --probe` prints.
 */
export function adaptiveWindowMicros(flushMicros: number, maxMicros: number): number {
  let state = initialWindowState;
  // Each step moves 30% of the way (commit-window.ts STEP); 200 steps leave no visible distance.
  for (let step = 0; step < 200; step += 1) {
    const saturated = { fdatasyncMicros: flushMicros, independentArrivals: 1000, elapsedMicros: flushMicros };
    state = nextWindow(state, saturated, { maxMicros });
  }
  return state.windowMicros;
}

/**
 * One job: the store's names that issue 10 renames (fdatasyncs -> flushes, fdatasyncMicros ->
 * flushMicros), read in this one place, so the benchmarks flip with a one-line change per name
 * when the rename lands on main.
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

/**
 * The window the adaptive commit-window policy settles on for a disk whose flushes take
 * `flushMicros`, under load heavy enough to engage it (the policy itself, fed that flush time
 * until it stops moving): what `seglog bench --probe` prints.
 */
export function adaptiveWindowMicros(flushMicros: number, maxMicros: number): number {
  let state = initialWindowState;
  // Each step moves 30% of the way (commit-window.ts STEP); 200 steps leave no visible distance.
  for (let step = 0; step < 200; step += 1) {
    state = nextWindow(state, { fdatasyncMicros: flushMicros, independentArrivals: 1000, elapsedMicros: flushMicros }, { maxMicros });
  }
  return state.windowMicros;
}

/**
 * One job: decide how long an open batch may wait for company once the disk is idle. A pure
 * controller: state in, observation in, state out, so property tests drive it with synthetic
 * telemetry and simulations replay it exactly.
 *
 * Why these rules (docs/tuning.md, "The adaptive commit window", has the figures):
 * - Group commit already batches every append that arrives while a batch is in the kernel, so a
 *   window only adds company that arrives *after* the disk went idle. Appends that are resumed by
 *   an acknowledgement (a closed loop: `await append(); append()`) arrive in that same turn and are
 *   already in the batch; waiting for more of them waits for nothing. The controller therefore
 *   looks only at *independent* arrivals: appends that did not come in the acknowledgement's turn.
 * - Waiting pays only when independent appends come often enough to meet in one window: load =
 *   rate x flush estimate >= windowEngageLoadRatio. Below that the window is 0: a lone appender
 *   pays one flush, never a window more (a fixed delay hurts every light load: influxdb#7565).
 *   The threshold is below 1 because real arrivals cluster (requests come in bursts, the event
 *   loop releases them in groups), so a short window gathers far more company than a uniform
 *   arrival model predicts.
 * - When it pays, the window is a small part (windowFlushFraction) of the flush estimate, never
 *   more than half a flush (PostgreSQL's commit_delay guidance) or the configured maximum. At light
 *   load an append's median latency is about one flush, and its tail is the flush tail, so a tenth
 *   of a flush costs at most about a tenth of the median and a few percent of p99.
 * - Damping: the flush estimate is the median of the last few samples (so isolated stalls on a
 *   shared disk do not read as a slower disk), then it and the rate are exponentially smoothed, the
 *   window moves a fraction of the way to its target each step, and engaging needs load >=
 *   windowEngageLoadRatio while disengaging needs load < windowReleaseLoadRatio (hysteresis), so
 *   noise around the threshold cannot make it flap.
 *
 * The constants live in `limits` (@seglog/types), with the relations between them asserted.
 */
import { limits } from '@seglog/types';

export interface WindowConfig {
  /** The largest window ever applied, microseconds. */
  readonly maxMicros: number;
}

export interface WindowState {
  readonly windowMicros: number;
  readonly capMicros: number;
  readonly engaged: boolean;
  /** Smoothed median of recent flush durations; 0 until the first observation. */
  readonly flushEstimateMicros: number;
  /** Smoothed rate of independent arrivals, per microsecond. */
  readonly arrivalsPerMicro: number;
  /** The last `limits.flushMedianSamplesCount` flush durations, oldest first. */
  readonly recentFlushMicros: readonly number[];
}

/** What one durable batch taught us. */
export interface WindowObservation {
  readonly flushMicros: number;
  /** Independent arrivals since the previous observation. */
  readonly independentArrivals: number;
  /** Time since the previous observation, microseconds (> 0). */
  readonly elapsedMicros: number;
}

export const initialWindowState: WindowState = {
  windowMicros: 0,
  capMicros: 0,
  engaged: false,
  flushEstimateMicros: 0,
  arrivalsPerMicro: 0,
  recentFlushMicros: [],
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function smooth(previous: number, sample: number, first: boolean): number {
  return first ? sample : previous + limits.windowSmoothingFraction * (sample - previous);
}

export function nextWindow(state: WindowState, observation: WindowObservation, config: WindowConfig): WindowState {
  const first = state.flushEstimateMicros === 0;
  const clipLimitMicros = limits.flushSampleClipRatio * state.flushEstimateMicros;
  const clipped = first ? observation.flushMicros : Math.min(observation.flushMicros, clipLimitMicros);
  const keptSamples = state.recentFlushMicros.slice(-(limits.flushMedianSamplesCount - 1));
  const recentFlushMicros = [...keptSamples, Math.max(0, clipped)];
  const smoothedMicros = smooth(state.flushEstimateMicros, median(recentFlushMicros), first);
  const flushEstimateMicros = Math.max(1, smoothedMicros);
  const arrivals = Math.max(0, observation.independentArrivals);
  const rate = observation.elapsedMicros > 0 ? arrivals / observation.elapsedMicros : 0;
  // The rate starts from 0, not from its first sample: one append arriving alone right after open
  // is not evidence of a steady stream.
  const arrivalsPerMicro = smooth(state.arrivalsPerMicro, rate, false);
  const load = arrivalsPerMicro * flushEstimateMicros;
  const engaged = state.engaged ? load >= limits.windowReleaseLoadRatio : load >= limits.windowEngageLoadRatio;
  const capMicros = Math.min(config.maxMicros, limits.windowCapFlushFraction * flushEstimateMicros);
  const target = engaged ? Math.min(capMicros, limits.windowFlushFraction * flushEstimateMicros) : 0;
  let windowMicros = state.windowMicros + limits.windowStepFraction * (target - state.windowMicros);
  // Snap the tail of the decay to exactly 0, so "not waiting" really means not waiting.
  if (target === 0 && windowMicros < 1) windowMicros = 0;
  windowMicros = Math.min(Math.max(0, windowMicros), capMicros);
  return { windowMicros, capMicros, engaged, flushEstimateMicros, arrivalsPerMicro, recentFlushMicros };
}

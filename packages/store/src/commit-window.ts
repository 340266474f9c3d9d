/**
 * One job: decide how long an open batch may wait for company once the disk is idle. A pure
 * controller: state in, observation in, state out, so property tests drive it with synthetic
 * telemetry and simulations replay it exactly.
 *
 * Why these rules (see docs/tuning.md, "The adaptive commit window"):
 * - Group commit already batches every append that arrives while a batch is in the kernel, so a
 *   window only adds company that arrives *after* the disk went idle. Appends that are resumed by
 *   an acknowledgement (a closed loop: `await append(); append()`) arrive in that same turn and are
 *   already in the batch; waiting for more of them waits for nothing. The controller therefore
 *   looks only at *independent* arrivals: appends that did not come in the acknowledgement's turn.
 * - Waiting pays only when independent appends come often enough to meet in one window: load =
 *   rate x fdatasync latency >= ENGAGE_LOAD. Below that the window is 0: a lone appender pays one
 *   fdatasync, never a window more (InfluxDB's fixed 100 ms delay, influxdb#7565, is the lesson).
 *   The threshold is below 1 because real arrivals cluster (requests come in bursts, the event
 *   loop releases them in groups): on this machine a 50 µs window cut flushes/s by a third at
 *   3000 appends/s against a 300 µs fdatasync (load 0.9), where a uniform arrival model predicts
 *   a few percent. See docs/benchmarks.md, "Adaptive commit window".
 * - When it pays, the window is a fraction (BETA) of the smoothed fdatasync latency, never more
 *   than half an fdatasync (PostgreSQL's commit_delay guidance) or the configured maximum. The
 *   tail of an append's latency is the fdatasync tail (milliseconds on a shared disk), and at light
 *   load an append's median latency is about one fdatasync, so a tenth of the median fdatasync
 *   costs at most about 10% of the median and a few percent of p99. (0.2 with an engage load of 0.3
 *   cost 10-30% of p99 on five of six load shapes in docs/benchmarks.md's comparison: it engaged
 *   at 200 appends/s against a 1.2 ms flush, load 0.24 plus Poisson clustering.)
 * - Damping: latency is the median of the last few samples (so isolated stalls on a shared disk
 *   do not read as a slower disk), then it and the rate are exponentially smoothed, the window moves a fraction of the way
 *   to its target each step, and engaging needs load >= ENGAGE_LOAD while disengaging needs
 *   load < RELEASE_LOAD (hysteresis), so noise around the threshold cannot make it flap.
 */

export const BETA = 0.1;
export const CAP_FRACTION = 0.5;
export const ENGAGE_LOAD = 0.5;
export const RELEASE_LOAD = 0.25;
/** Weight of a new sample in the smoothed fdatasync latency and arrival rate. */
export const SMOOTHING = 0.2;
/** Fraction of the distance to the target covered per step. */
export const STEP = 0.3;
/** A latency sample is clipped to this multiple of the smoothed value, so one stall cannot yank the window. */
export const SPIKE_CLIP = 4;
/** The smoothed latency follows the median of this many recent samples, so isolated stalls are ignored. */
export const MEDIAN_SAMPLES = 9;

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
  /** The last MEDIAN_SAMPLES flush durations, oldest first. */
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
  return first ? sample : previous + SMOOTHING * (sample - previous);
}

export function nextWindow(state: WindowState, observation: WindowObservation, config: WindowConfig): WindowState {
  const first = state.flushEstimateMicros === 0;
  const clipped = first ? observation.flushMicros : Math.min(observation.flushMicros, SPIKE_CLIP * state.flushEstimateMicros);
  const recentFlushMicros = [...state.recentFlushMicros.slice(-(MEDIAN_SAMPLES - 1)), Math.max(0, clipped)];
  const flushEstimateMicros = Math.max(1, smooth(state.flushEstimateMicros, median(recentFlushMicros), first));
  const rate = observation.elapsedMicros > 0 ? Math.max(0, observation.independentArrivals) / observation.elapsedMicros : 0;
  // The rate starts from 0, not from its first sample: one append arriving alone right after open
  // is not evidence of a steady stream.
  const arrivalsPerMicro = smooth(state.arrivalsPerMicro, rate, false);
  const load = arrivalsPerMicro * flushEstimateMicros;
  const engaged = state.engaged ? load >= RELEASE_LOAD : load >= ENGAGE_LOAD;
  const capMicros = Math.min(config.maxMicros, CAP_FRACTION * flushEstimateMicros);
  const target = engaged ? Math.min(capMicros, BETA * flushEstimateMicros) : 0;
  let windowMicros = state.windowMicros + STEP * (target - state.windowMicros);
  // Snap the tail of the decay to exactly 0, so "not waiting" really means not waiting.
  if (target === 0 && windowMicros < 1) windowMicros = 0;
  windowMicros = Math.min(Math.max(0, windowMicros), capMicros);
  return { windowMicros, capMicros, engaged, flushEstimateMicros, arrivalsPerMicro, recentFlushMicros };
}

/**
 * One job: drive N concurrent appenders against one engine for a warm-up plus a measured window.
 *
 * Each appender is an async loop that awaits one durable append at a time, the way N independent
 * request handlers of a service would. Only the measured window counts: throughput is the appends
 * that *completed* inside it, latency is taken from appends that both started and completed inside
 * it (so warm-up stragglers and the final drain do not skew the percentiles).
 */
import { randomFillSync } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { elapsedMicros, LatencyRecorder, type LatencySummary } from './latency.js';

/** Monotonic counters an engine keeps; the driver reports their change over the measured window. */
export interface EngineCounters {
  readonly appends: number;
  readonly fdatasyncs: number;
}

/** What the driver needs from an engine while the appenders run. */
export interface AppendTarget {
  append(payload: Uint8Array): Promise<unknown>;
  counters(): EngineCounters;
}

export interface DriveOptions {
  readonly recordBytes: number;
  readonly concurrency: number;
  readonly warmupMillis: number;
  readonly durationMillis: number;
}

export interface DriveResult {
  /** Length of the measured window, seconds (measured, not the requested duration). */
  readonly measuredSeconds: number;
  /** Appends that completed inside the measured window. */
  readonly appends: number;
  readonly appendsPerSecond: number;
  readonly latencyMicros: LatencySummary;
  /** Engine counters from the start of the measured window until every appender stopped. */
  readonly windowAppends: number;
  readonly windowFdatasyncs: number;
}

interface WindowState {
  measuring: boolean;
  stopped: boolean;
  startNanos: bigint;
  endNanos: bigint;
  completedInWindow: number;
  readonly latency: LatencyRecorder;
}

export async function driveAppenders(target: AppendTarget, options: DriveOptions): Promise<DriveResult> {
  validate(options);
  const state: WindowState = {
    measuring: false,
    stopped: false,
    startNanos: 0n,
    endNanos: 0n,
    completedInWindow: 0,
    latency: new LatencyRecorder(),
  };
  const loops: Promise<void>[] = [];
  for (let i = 0; i < options.concurrency; i += 1) {
    loops.push(appendLoop(target, makePayload(options.recordBytes), state));
  }
  // If an appender fails, stop the others and the timers at once instead of running out the clock;
  // the failure then surfaces from `await failed` below.
  const timers = new AbortController();
  const failed = Promise.all(loops).then(
    () => undefined,
    (error: unknown) => {
      state.stopped = true;
      timers.abort();
      throw error;
    },
  );
  failed.catch(() => undefined);
  const before = await runWindow(target, state, options, timers.signal);
  await failed;
  const after = target.counters();
  const measuredSeconds = Number(state.endNanos - state.startNanos) / 1e9;
  return {
    measuredSeconds,
    appends: state.completedInWindow,
    appendsPerSecond: state.completedInWindow / measuredSeconds,
    latencyMicros: state.latency.summary(),
    windowAppends: after.appends - before.appends,
    windowFdatasyncs: after.fdatasyncs - before.fdatasyncs,
  };
}

/** Warm up, open the window, close it; returns the counters at the window's start. */
async function runWindow(
  target: AppendTarget,
  state: WindowState,
  options: DriveOptions,
  signal: AbortSignal,
): Promise<EngineCounters> {
  await sleepUnlessAborted(options.warmupMillis, signal);
  const before = target.counters();
  state.startNanos = process.hrtime.bigint();
  state.measuring = true;
  await sleepUnlessAborted(options.durationMillis, signal);
  state.endNanos = process.hrtime.bigint();
  state.measuring = false;
  state.stopped = true;
  return before;
}

/** Sleeps, or returns early (without throwing) once `signal` aborts. */
async function sleepUnlessAborted(millis: number, signal: AbortSignal): Promise<void> {
  await sleep(millis, undefined, { signal }).catch(() => undefined);
}

async function appendLoop(target: AppendTarget, payload: Uint8Array, state: WindowState): Promise<void> {
  while (!state.stopped) {
    const startNanos = process.hrtime.bigint();
    await target.append(payload);
    const endNanos = process.hrtime.bigint();
    if (!state.measuring) continue;
    state.completedInWindow += 1;
    // An append that began during warm-up waited behind warm-up work: keep it out of the latency.
    if (startNanos >= state.startNanos) state.latency.record(elapsedMicros(startNanos, endNanos));
  }
}

/** Random bytes, one buffer per appender, reused: both engines are done with a payload once its promise resolves. */
function makePayload(recordBytes: number): Uint8Array {
  return randomFillSync(new Uint8Array(recordBytes));
}

function validate(options: DriveOptions): void {
  if (!Number.isInteger(options.recordBytes) || options.recordBytes < 1) {
    throw new TypeError(`recordBytes must be a positive integer, got ${options.recordBytes}`);
  }
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new TypeError(`concurrency must be a positive integer, got ${options.concurrency}`);
  }
  if (!(options.durationMillis > 0) || !(options.warmupMillis >= 0)) {
    throw new TypeError('durationMillis must be > 0 and warmupMillis >= 0');
  }
}

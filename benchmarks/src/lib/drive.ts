/**
 * One job: drive N concurrent appenders against one engine for a warm-up plus a measured window.
 *
 * Each appender is an async loop that awaits one durable operation at a time, the way N
 * independent request handlers of a service would; an open-loop workload instead issues appends
 * on a schedule without waiting for earlier ones, and times each from when it was due. Only the
 * measured window counts: throughput is
 * the records that *completed* inside it, latency is taken from operations that both started and
 * completed inside it (so warm-up stragglers and the final drain do not skew the percentiles). A
 * probe, if given, is told when the window opens and closes, so CPU and disk counters cover exactly
 * the same interval as the throughput. An engine's gauges (seglog's commit window, a reader's
 * memory) are sampled through the window and reported as their means.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { LatencyRecorder, type LatencySummary } from './latency.js';
import { arrivalRate, nextArrivalGapSeconds, operationSource, seededRandom, type Operation, type Workload } from './workload.js';

/** How often gauges are read during the window. */
const gaugeIntervalMillis = 20;
/** Every open-loop run draws the same arrival times, so compared variants see the same load. */
const openLoopSeed = 0x5e6106;

/** Monotonic counters an engine keeps; the driver reports their change over the measured window. */
export interface EngineCounters {
  readonly appends: number;
  /** null when the engine cannot count its own flushes (the strace pass counts them instead). */
  readonly flushes: number | null;
  /** Write-family and sync calls the engine counts itself (seglog's metrics); absent when it cannot. */
  readonly syscalls?: number;
}

/** What the driver needs from an engine while the appenders run. */
export interface AppendTarget {
  append(payload: Uint8Array): Promise<unknown>;
  appendMany?(payloads: readonly Uint8Array[]): Promise<unknown>;
  counters(): EngineCounters;
  /** Instantaneous values to average over the window, by name. */
  gauges?(): Readonly<Record<string, number>>;
}

/** Sampled at the window's edges; see lib/window-probe.ts. */
export interface WindowProbe {
  open(): void;
  close(): void;
}

export interface DriveOptions {
  /** Defaults to `{ kind: 'uniform', recordBytes }`. */
  readonly workload?: Workload;
  readonly recordBytes: number;
  readonly concurrency: number;
  readonly warmupMillis: number;
  readonly durationMillis: number;
  readonly probe?: WindowProbe;
  /**
   * false: no clock reads and no histogram per operation (latency stays empty), so a measurement
   * of the engine's own CPU per append (append-cpu) carries none of the driver's. Default true.
   */
  readonly timeOperations?: boolean;
}

export interface DriveResult {
  /** Length of the measured window, seconds (measured, not the requested duration). */
  readonly measuredSeconds: number;
  /** Records made durable inside the measured window (appendMany counts each record). */
  readonly appends: number;
  readonly appendsPerSecond: number;
  readonly payloadBytes: number;
  readonly megabytesPerSecond: number;
  /** Per operation (one append, or one whole appendMany). */
  readonly latencyMicros: LatencySummary;
  /** The latency histogram, compressed (see lib/latency.ts). */
  readonly latencyHistogram: string;
  /** Engine counters from the start of the measured window until every appender stopped. */
  readonly windowAppends: number;
  readonly windowFlushes: number | null;
  /** null when the engine does not count its syscalls. */
  readonly windowSyscalls: number | null;
  /** The mean of each of the engine's gauges over the window (empty when it has none). */
  readonly gaugeMeans: Readonly<Record<string, number>>;
  /** The window's edges as wall-clock epoch microseconds, to match against strace -ttt timestamps. */
  readonly windowStartEpochMicros: number;
  readonly windowEndEpochMicros: number;
  /** Every record and payload byte made durable in the cell, warm-up and drain included. */
  readonly lifetimeRecords: number;
  readonly lifetimePayloadBytes: number;
}

interface WindowState {
  measuring: boolean;
  stopped: boolean;
  /** performance.now() at the window's edges, milliseconds. */
  startMillis: number;
  endMillis: number;
  startEpochMicros: number;
  endEpochMicros: number;
  completedRecords: number;
  completedBytes: number;
  lifetimeRecords: number;
  lifetimeBytes: number;
  readonly latency: LatencyRecorder;
  readonly timed: boolean;
  readonly gaugeSums: Record<string, number>;
  gaugeSamples: number;
}

export async function driveAppenders(target: AppendTarget, options: DriveOptions): Promise<DriveResult> {
  validate(options);
  const workload = options.workload ?? { kind: 'uniform', recordBytes: options.recordBytes };
  const state: WindowState = {
    measuring: false,
    stopped: false,
    startMillis: 0,
    endMillis: 0,
    startEpochMicros: 0,
    endEpochMicros: 0,
    completedRecords: 0,
    completedBytes: 0,
    lifetimeRecords: 0,
    lifetimeBytes: 0,
    latency: new LatencyRecorder(),
    timed: options.timeOperations !== false,
    gaugeSums: {},
    gaugeSamples: 0,
  };
  const loops: Promise<void>[] = [];
  if (workload.kind === 'open') {
    loops.push(openLoop(target, workload, state, (options.warmupMillis + options.durationMillis) / 1000));
  } else {
    for (let i = 0; i < options.concurrency; i += 1) {
      const source = operationSource(workload, i);
      loops.push(appendLoop(target, () => source.next(), state));
    }
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
  const measuredSeconds = (state.endMillis - state.startMillis) / 1000;
  return {
    measuredSeconds,
    appends: state.completedRecords,
    appendsPerSecond: state.completedRecords / measuredSeconds,
    payloadBytes: state.completedBytes,
    megabytesPerSecond: state.completedBytes / 1e6 / measuredSeconds,
    latencyMicros: state.latency.summary(),
    latencyHistogram: state.latency.encoded(),
    windowAppends: after.appends - before.appends,
    windowFlushes: change(before.flushes, after.flushes),
    windowSyscalls: change(before.syscalls, after.syscalls),
    gaugeMeans: gaugeMeans(state),
    windowStartEpochMicros: state.startEpochMicros,
    windowEndEpochMicros: state.endEpochMicros,
    lifetimeRecords: state.lifetimeRecords,
    lifetimePayloadBytes: state.lifetimeBytes,
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
  options.probe?.open();
  state.startMillis = performance.now();
  state.startEpochMicros = epochMicros();
  state.measuring = true;
  const sample = (): void => sampleGauges(target, state);
  const sampler = target.gauges === undefined ? null : setInterval(sample, gaugeIntervalMillis);
  await sleepUnlessAborted(options.durationMillis, signal);
  if (sampler !== null) clearInterval(sampler);
  state.endMillis = performance.now();
  state.endEpochMicros = epochMicros();
  state.measuring = false;
  options.probe?.close();
  state.stopped = true;
  return before;
}

function sampleGauges(target: AppendTarget, state: WindowState): void {
  for (const [name, value] of Object.entries(target.gauges?.() ?? {})) {
    state.gaugeSums[name] = (state.gaugeSums[name] ?? 0) + value;
  }
  state.gaugeSamples += 1;
}

/** after - before, or null when the engine does not keep that counter. */
function change(before: number | null | undefined, after: number | null | undefined): number | null {
  return before === null || before === undefined || after === null || after === undefined ? null : after - before;
}

function gaugeMeans(state: WindowState): Record<string, number> {
  return Object.fromEntries(Object.entries(state.gaugeSums).map(([name, sum]) => [name, sum / state.gaugeSamples]));
}

function epochMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** Sleeps, or returns early (without throwing) once `signal` aborts. */
async function sleepUnlessAborted(millis: number, signal: AbortSignal): Promise<void> {
  await sleep(millis, undefined, { signal }).catch(() => undefined);
}

async function appendLoop(target: AppendTarget, next: () => Operation, state: WindowState): Promise<void> {
  while (!state.stopped) {
    const op = next();
    if (op.kind === 'pause') {
      await sleep(op.millis);
      continue;
    }
    // performance.now(), not hrtime.bigint(): same monotonic clock at sub-microsecond resolution,
    // without two BigInt allocations per append charged to every engine's CPU per append.
    const startMillis = state.timed ? performance.now() : 0;
    const records = op.kind === 'append' ? 1 : op.payloads.length;
    const bytes = op.kind === 'append' ? op.payload.length : op.payloadBytes;
    await (op.kind === 'append' ? target.append(op.payload) : appendMany(target, op.payloads));
    recordCompletion(state, records, bytes, startMillis, state.timed ? performance.now() : 0);
  }
}

/**
 * Appends arrive on the workload's schedule whether or not earlier ones are done; each is timed
 * from when it was due, so time spent queued behind a slow flush counts (no coordinated omission).
 * The loop yields to I/O between arrivals, so arrivals spread in time as a service's requests do.
 */
async function openLoop(
  target: AppendTarget,
  workload: Extract<Workload, { kind: 'open' }>,
  state: WindowState,
  totalSeconds: number,
): Promise<void> {
  const random = seededRandom(openLoopSeed);
  const op = operationSource(workload, 0).next();
  if (op.kind !== 'append') throw new TypeError('an open loop issues single appends');
  const pending = new Set<Promise<void>>();
  let failure: { readonly error: unknown } | null = null;
  const startMillis = performance.now();
  let dueMillis = startMillis;
  while (!state.stopped) {
    const now = performance.now();
    while (dueMillis <= now && !state.stopped) {
      const due = dueMillis;
      const done = target.append(op.payload).then(
        () => recordCompletion(state, 1, op.payload.length, due, performance.now()),
        (error: unknown) => {
          failure ??= { error };
          state.stopped = true;
        },
      );
      pending.add(done);
      void done.finally(() => pending.delete(done));
      const rate = arrivalRate(workload.rate, (due - startMillis) / 1000, totalSeconds);
      dueMillis += 1000 * nextArrivalGapSeconds(rate, random());
    }
    await nextTurn();
  }
  await Promise.all(pending);
  if (failure !== null) throw (failure as { readonly error: unknown }).error;
}

function recordCompletion(
  state: WindowState,
  records: number,
  bytes: number,
  startMillis: number,
  endMillis: number,
): void {
  state.lifetimeRecords += records;
  state.lifetimeBytes += bytes;
  if (!state.measuring) return;
  state.completedRecords += records;
  state.completedBytes += bytes;
  // An operation that began during warm-up waited behind warm-up work: keep it out of the latency.
  if (state.timed && startMillis >= state.startMillis) state.latency.record((endMillis - startMillis) * 1000);
}

function appendMany(target: AppendTarget, payloads: readonly Uint8Array[]): Promise<unknown> {
  if (target.appendMany === undefined) throw new TypeError('this engine has no appendMany');
  return target.appendMany(payloads);
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

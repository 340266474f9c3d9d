/**
 * One job: say what each appender does in a cell, and hand it its next operation.
 *
 * Closed loops (each appender awaits its operation before the next) cover the suite's scenarios:
 * - uniform: every operation is one `append` of `recordBytes` (the concurrency and size sweeps);
 * - batch: every operation is one `appendMany` of `batchRecords` records (a producer that already
 *   holds a batch, e.g. a consumer draining a socket);
 * - mixed: bursts of small records with an occasional large one and a short random pause between
 *   bursts, the shape of a service whose requests arrive in clumps. The large records and pauses
 *   come from a seeded generator, so every engine and every repetition sees the same trace.
 * And one open loop, for latency at a given load rather than at saturation:
 * - open: appends of `recordBytes` arrive on a schedule (Poisson arrivals at a rate that may vary
 *   in time, from a seeded generator), whether or not earlier ones are done; an append's latency
 *   runs from when it was due, so a stalled engine pays for the queue it builds (lib/drive.ts).
 */
import { randomFillSync } from 'node:crypto';

export type Workload =
  | { readonly kind: 'uniform'; readonly recordBytes: number }
  | { readonly kind: 'batch'; readonly recordBytes: number; readonly batchRecords: number }
  | {
      readonly kind: 'mixed';
      readonly smallBytes: number;
      readonly largeBytes: number;
      /** On average one record in this many is large. */
      readonly largeEveryRecords: number;
      readonly burstRecords: number;
      /** Each pause between bursts is uniform in [0, pauseMaxMillis]. */
      readonly pauseMaxMillis: number;
    }
  | { readonly kind: 'open'; readonly recordBytes: number; readonly rate: RateSchedule };

/**
 * Arrivals per second over a run of warm-up + window: steady; on for `onMillis` of every
 * `periodMillis`, silent for the rest; or a ramp from 0 to `peakPerSecond` at mid-run and back to 0.
 */
export type RateSchedule =
  | { readonly kind: 'steady'; readonly perSecond: number }
  | { readonly kind: 'on-off'; readonly perSecond: number; readonly onMillis: number; readonly periodMillis: number }
  | { readonly kind: 'ramp'; readonly peakPerSecond: number };

/** The arrival rate `elapsedSeconds` into a run of `totalSeconds`, per second. */
export function arrivalRate(schedule: RateSchedule, elapsedSeconds: number, totalSeconds: number): number {
  switch (schedule.kind) {
    case 'steady':
      return schedule.perSecond;
    case 'on-off':
      return (elapsedSeconds * 1000) % schedule.periodMillis < schedule.onMillis ? schedule.perSecond : 0;
    case 'ramp':
      return schedule.peakPerSecond * Math.max(0, 1 - Math.abs((2 * elapsedSeconds) / totalSeconds - 1));
  }
}

/**
 * Seconds from one arrival to the next at `perSecond` (exponential gaps: Poisson arrivals), given a
 * uniform draw in [0, 1); a silent schedule steps time forward by a millisecond.
 */
export function nextArrivalGapSeconds(perSecond: number, uniform: number): number {
  return perSecond > 0 ? Math.log(1 / (1 - uniform)) / perSecond : 0.001;
}

function describeRate(rate: RateSchedule): string {
  switch (rate.kind) {
    case 'steady':
      return `${rate.perSecond}/s`;
    case 'on-off':
      return `${rate.perSecond}/s for ${rate.onMillis} of ${rate.periodMillis} ms`;
    case 'ramp':
      return `ramp to ${rate.peakPerSecond}/s`;
  }
}

/** One thing an appender does next: one append, or one appendMany. */
export type Operation =
  | { readonly kind: 'append'; readonly payload: Uint8Array }
  | { readonly kind: 'many'; readonly payloads: readonly Uint8Array[]; readonly payloadBytes: number }
  | { readonly kind: 'pause'; readonly millis: number };

export interface OperationSource {
  next(): Operation;
}

/** The record size a workload is known by in tables (the small size for the mixed trace). */
export function nominalRecordBytes(workload: Workload): number {
  return workload.kind === 'mixed' ? workload.smallBytes : workload.recordBytes;
}

/** A short label such as "128 B", "appendMany 64 x 128 B" or "mixed 128 B + 1/50 x 64 KiB". */
export function describeWorkload(workload: Workload): string {
  switch (workload.kind) {
    case 'uniform':
      return formatBytes(workload.recordBytes);
    case 'batch':
      return `appendMany ${workload.batchRecords} x ${formatBytes(workload.recordBytes)}`;
    case 'mixed':
      return `mixed ${formatBytes(workload.smallBytes)} + 1/${workload.largeEveryRecords} x ${formatBytes(workload.largeBytes)}`;
    case 'open':
      return `open ${describeRate(workload.rate)} x ${formatBytes(workload.recordBytes)}`;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** The operation stream of appender number `appenderIndex`. Payload buffers are reused. */
export function operationSource(workload: Workload, appenderIndex: number): OperationSource {
  switch (workload.kind) {
    case 'uniform':
    case 'open': {
      const op: Operation = { kind: 'append', payload: randomPayload(workload.recordBytes) };
      return { next: () => op };
    }
    case 'batch': {
      const payloads = Array.from({ length: workload.batchRecords }, () => randomPayload(workload.recordBytes));
      const op: Operation = { kind: 'many', payloads, payloadBytes: workload.recordBytes * workload.batchRecords };
      return { next: () => op };
    }
    case 'mixed':
      return mixedSource(workload, appenderIndex);
  }
}

function mixedSource(workload: Extract<Workload, { kind: 'mixed' }>, appenderIndex: number): OperationSource {
  const random = seededRandom(0x5e6109 + appenderIndex);
  const small: Operation = { kind: 'append', payload: randomPayload(workload.smallBytes) };
  const large: Operation = { kind: 'append', payload: randomPayload(workload.largeBytes) };
  let leftInBurst = workload.burstRecords;
  return {
    next(): Operation {
      if (leftInBurst === 0) {
        leftInBurst = workload.burstRecords;
        return { kind: 'pause', millis: Math.floor(random() * (workload.pauseMaxMillis + 1)) };
      }
      leftInBurst -= 1;
      return random() * workload.largeEveryRecords < 1 ? large : small;
    },
  };
}

/**
 * Random bytes, so no engine gains from compressing them (LevelDB compresses with Snappy). A Buffer
 * (a Uint8Array subclass), as a Node service would hold: some clients treat a plain Uint8Array as an
 * object and stringify it (ioredis sends "12,255,..." for one), which would be their loss, not ours.
 */
function randomPayload(bytes: number): Uint8Array {
  return randomFillSync(Buffer.allocUnsafeSlow(bytes));
}

/** mulberry32: a tiny seeded generator, good enough to pick record sizes and pauses. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

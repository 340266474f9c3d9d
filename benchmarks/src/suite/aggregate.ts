/**
 * One job: reduce repetitions to what the tables show: per cell, the median of each figure and
 * its spread (min and max across repetitions), and the median device ceiling.
 * Medians and spreads: report/stats.ts.
 */
import type { CellResult } from '../lib/cell.js';
import type { DeviceCeiling } from '../lib/device-ceiling.js';
import { spreadOf, type Spread } from '../report/stats.js';
import type { CellSpec } from './plan.js';
import type { TimingRun } from './run-cells.js';
import type { TraceFigures } from './trace.js';

export interface CellSummary {
  readonly cell: CellSpec;
  readonly durable: boolean;
  /** Successful repetitions; 0 when every repetition failed (see errors). */
  readonly repetitions: number;
  readonly errors: readonly string[];
  readonly appendsPerSecond: Spread | null;
  readonly megabytesPerSecond: Spread | null;
  readonly p50Micros: Spread | null;
  readonly p99Micros: Spread | null;
  readonly p999Micros: Spread | null;
  readonly maxMicros: Spread | null;
  readonly cpuMicrosPerAppend: Spread | null;
  /** From the engine's own counter (seglog, plain) when it has one, else from the strace pass. */
  readonly appendsPerFlush: { readonly value: number; readonly source: 'engine' | 'strace' } | null;
  readonly deviceBytesPerPayloadByte: Spread | null;
  readonly trace: TraceFigures | null;
  readonly traceError: string | null;
}

export interface CeilingSummary {
  readonly syncedWritesPerSecond: Spread;
  readonly syncedP50Micros: Spread;
  readonly syncedP99Micros: Spread;
  /** CPU (user + system) of one synced 4 KiB write, µs: what one flush costs the machine. */
  readonly syncedCpuMicros: Spread | null;
  readonly appendingWritesPerSecond: Spread;
  readonly sequentialMegabytesPerSecond: Spread;
  /** A bare async O_DSYNC 4 KiB write loop (one appender's practical ceiling); null in older results. */
  readonly asyncDsyncWritesPerSecond: Spread | null;
  readonly asyncDsyncP99Micros: Spread | null;
  /** Two bare async O_DSYNC loops at once: whether this disk overlaps flushes (null in older results). */
  readonly asyncDsyncDepth2WritesPerSecond: Spread | null;
}

export function summarizeCell(
  cell: CellSpec,
  durable: boolean,
  runs: readonly TimingRun[],
  trace: TraceFigures | null,
  traceError: string | null,
): CellSummary {
  const mine = runs.filter((run) => run.key === cell.key);
  const results = mine.flatMap((run) => (run.result === undefined ? [] : [run.result]));
  const pick = (figure: (result: CellResult) => number | null): Spread | null =>
    spreadOf(results.map(figure).filter((value): value is number => value !== null && Number.isFinite(value)));
  const engineRatio = pick((r) => r.appendsPerFlush);
  const appendsPerFlush =
    engineRatio !== null
      ? { value: engineRatio.median, source: 'engine' as const }
      : trace?.appendsPerSync != null
        ? { value: trace.appendsPerSync, source: 'strace' as const }
        : null;
  return {
    cell,
    durable,
    repetitions: results.length,
    errors: mine.flatMap((run) => (run.error === undefined ? [] : [run.error])),
    appendsPerSecond: pick((r) => r.appendsPerSecond),
    megabytesPerSecond: pick((r) => r.megabytesPerSecond),
    // A repetition in which no operation both started and ended inside the window has no latency.
    p50Micros: pick((r) => (r.latencyMicros.count === 0 ? null : r.latencyMicros.p50)),
    p99Micros: pick((r) => (r.latencyMicros.count === 0 ? null : r.latencyMicros.p99)),
    p999Micros: pick((r) => (r.latencyMicros.count === 0 ? null : r.latencyMicros.p999)),
    maxMicros: pick((r) => (r.latencyMicros.count === 0 ? null : r.latencyMicros.max)),
    cpuMicrosPerAppend: pick((r) => r.cpuMicrosPerAppend),
    appendsPerFlush,
    deviceBytesPerPayloadByte: pick((r) => r.deviceBytesPerPayloadByte),
    trace,
    traceError,
  };
}

export function summarizeCeilings(ceilings: readonly DeviceCeiling[]): CeilingSummary | null {
  if (ceilings.length === 0) return null;
  const of = (figure: (c: DeviceCeiling) => number): Spread => spreadOf(ceilings.map(figure))!;
  // Absent from results written before it was measured (--report on an old file).
  const asyncDsync = ceilings.flatMap((c) => (c.asyncDsyncWrites === undefined ? [] : [c.asyncDsyncWrites]));
  const asyncDsyncDepth2 = ceilings.flatMap((c) => c.asyncDsyncWritesDepth2 ?? []);
  return {
    syncedWritesPerSecond: of((c) => c.syncedWrites.writesPerSecond),
    syncedP50Micros: of((c) => c.syncedWrites.latencyMicros.p50),
    syncedP99Micros: of((c) => c.syncedWrites.latencyMicros.p99),
    // Absent from results written before the field existed (--report on an old file).
    syncedCpuMicros: spreadOf(
      ceilings.flatMap((c) => {
        const cpu = c.syncedWrites.cpuMicrosPerWrite;
        return cpu === undefined ? [] : [cpu];
      }),
    ),
    appendingWritesPerSecond: of((c) => c.appendingWrites.writesPerSecond),
    sequentialMegabytesPerSecond: of((c) => c.sequential.megabytesPerSecond),
    asyncDsyncWritesPerSecond: spreadOf(asyncDsync.map((figures) => figures.writesPerSecond)),
    asyncDsyncP99Micros: spreadOf(asyncDsync.map((figures) => figures.latencyMicros.p99)),
    asyncDsyncDepth2WritesPerSecond: spreadOf(asyncDsyncDepth2.map((figures) => figures.writesPerSecond)),
  };
}

/**
 * One job: the shape of one benchmark cell (engine x record size x concurrency), in and out.
 *
 * Both engines return the same shape, so the table, the JSON results and the strace script never
 * need to know which engine produced a number.
 */
import type { DriveResult, EngineCounters } from './drive.js';
import type { LatencySummary } from './latency.js';

export const engineNames = ['seglog', 'plain-fdatasync'] as const;
export type EngineName = (typeof engineNames)[number];

export interface CellOptions {
  /** A fresh, empty directory the engine may fill; the caller removes it. */
  readonly dir: string;
  readonly recordBytes: number;
  readonly concurrency: number;
  readonly warmupMillis: number;
  readonly durationMillis: number;
}

export interface CellResult extends DriveResult {
  readonly engine: EngineName;
  readonly recordBytes: number;
  readonly concurrency: number;
  /** Durable appends per fdatasync over the measured window (plain: 1 by construction). */
  readonly appendsPerFdatasync: number;
  /** Engine counters over the engine's whole life, warm-up and drain included (read after close). */
  readonly totalAppends: number;
  readonly totalFdatasyncs: number;
  /** fdatasync duration over the engine's whole life, microseconds: what each append waits on. */
  readonly fdatasyncMicros: LatencySummary;
  /** Engine-specific extras for the JSON file (seglog: its metrics snapshot at close). */
  readonly detail?: unknown;
}

export function isEngineName(text: string): text is EngineName {
  return (engineNames as readonly string[]).includes(text);
}

/** Joins what the driver measured with the engine's own counters into one cell result. */
export function cellResult(
  engine: EngineName,
  options: CellOptions,
  drive: DriveResult,
  totals: EngineCounters,
  fdatasyncMicros: LatencySummary,
  detail?: unknown,
): CellResult {
  const base = {
    ...drive,
    engine,
    recordBytes: options.recordBytes,
    concurrency: options.concurrency,
    appendsPerFdatasync: drive.windowFdatasyncs === 0 ? 0 : drive.windowAppends / drive.windowFdatasyncs,
    totalAppends: totals.appends,
    totalFdatasyncs: totals.fdatasyncs,
    fdatasyncMicros,
  };
  return detail === undefined ? base : { ...base, detail };
}

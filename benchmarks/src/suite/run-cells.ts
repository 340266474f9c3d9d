/**
 * One job: run the timing pass: every cell, every repetition, each in its own child process,
 * engines of one group back to back (their order rotated per repetition, so a slow spell on the
 * shared disk does not always hit the same engine), and the device ceiling at the start of each
 * repetition, so ratios always compare runs of the same invocation and the same hour.
 */
import type { CellResult } from '../lib/cell.js';
import type { DeviceCeiling } from '../lib/device-ceiling.js';
import { runChildJson } from '../lib/child.js';
import { nominalRecordBytes } from '../lib/workload.js';
import { rotate } from '../report/stats.js';
import { groupCells, type CellSpec } from './plan.js';
import type { Progress } from './progress.js';

export interface RunSettings {
  readonly warmupMillis: number;
  readonly durationMillis: number;
}

/** Seconds a child process takes beyond its warm-up and window (start-up, open, drain, close). */
export const processOverheadSeconds = 1.0;
/** Seconds one device-ceiling measurement takes, about. */
export const ceilingCostSeconds = 6;

export function cellCostSeconds(settings: RunSettings): number {
  return (settings.warmupMillis + settings.durationMillis) / 1000 + processOverheadSeconds;
}

export interface TimingRun {
  readonly key: string;
  readonly repetition: number;
  readonly result?: CellResult;
  readonly error?: string;
}

export function cellArgs(cell: CellSpec, settings: RunSettings): string[] {
  return [
    '--engine', cell.engine,
    '--record-bytes', String(nominalRecordBytes(cell.workload)),
    '--concurrency', String(cell.concurrency),
    '--seconds', String(settings.durationMillis / 1000),
    '--warmup-ms', String(settings.warmupMillis),
    '--workload', JSON.stringify(cell.workload),
  ];
}

export async function runTimingPass(
  cells: readonly CellSpec[],
  repetitions: number,
  settings: RunSettings,
  ceilingArgs: readonly string[],
  progress: Progress,
): Promise<{ runs: TimingRun[]; ceilings: DeviceCeiling[] }> {
  const runs: TimingRun[] = [];
  const ceilings: DeviceCeiling[] = [];
  const groups = groupCells(cells);
  for (let repetition = 0; repetition < repetitions; repetition += 1) {
    progress.start(`device ceiling (repetition ${repetition + 1}/${repetitions})`, ceilingCostSeconds);
    try {
      const ceiling = await runChildJson<DeviceCeiling>({ command: 'device', args: ceilingArgs, timeoutMillis: 120_000 });
      ceilings.push(ceiling);
      progress.done(`${Math.round(ceiling.syncedWrites.writesPerSecond).toLocaleString('en-US')} synced 4 KiB writes/s, p99 ${ceiling.syncedWrites.latencyMicros.p99} µs; ${Math.round(ceiling.sequential.megabytesPerSecond)} MB/s sequential`);
    } catch (error) {
      progress.done(`FAILED: ${String(error)}`);
    }
    for (const group of groups) {
      for (const cell of rotate(group, repetition)) {
        progress.start(`${progress.describe(cell)} (repetition ${repetition + 1}/${repetitions})`, cellCostSeconds(settings));
        try {
          const result = await runChildJson<CellResult>({
            command: 'cell',
            args: cellArgs(cell, settings),
            timeoutMillis: settings.warmupMillis + settings.durationMillis + 90_000,
          });
          runs.push({ key: cell.key, repetition, result });
          progress.done(progress.summarize(result));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          runs.push({ key: cell.key, repetition, error: message });
          progress.done(`FAILED: ${message}`);
        }
      }
    }
  }
  return { runs, ceilings };
}

/**
 * One job: the README's benchmark as a function other packages can call (the CLI's `seglog
 * bench`): group commit (seglog, defaults) against one write + fdatasync per record, on
 * temporary logs on the disk behind the OS temp dir.
 *
 * For each record size and each number of concurrent appenders, each engine runs in a fresh temp
 * directory for a warm-up plus a measured window. The engines alternate cell by cell so a slow
 * spell on a shared disk hurts both rather than one.
 */
import { runCell } from '../engines/index.js';
import { describeMachine, type MachineInfo } from '../report/machine.js';
import { renderResultsTable, speedRatios, type SpeedRatio } from '../report/quickstart-table.js';
import type { CellResult, EngineName } from './cell.js';
import { benchTempRoot, sameFileSystemAsTmp, withTempDir } from './tmpdir.js';

export const quickstartRecordSizesBytes = [128, 1024] as const;
export const quickstartConcurrencies = [1, 16, 256] as const;
/** Plain goes first in each pair: the table reads baseline, then what group commit does with it. */
export const quickstartEngines: readonly EngineName[] = ['plain-fdatasync', 'seglog'];

/**
 * Why the warm-up is this long: right after open, seglog zero-fills the *next* 64 MiB segment in
 * the background (64 x 1 MiB pwrite + fdatasync, about 1.2 s on the 2-core dev VM, seen with
 * `strace -tt`). That one-off startup cost shares the disk with the first appends; the table is
 * about steady-state group commit, so the window opens after it. Later segments' preallocation still
 * lands inside windows whenever a run rolls a segment, as it would in a long-lived service.
 */
export const quickstartWarmupMillis = { standard: 1500, quick: 1000 } as const;
export const quickstartSeconds = { standard: 3, quick: 1 } as const;

export interface QuickstartSettings {
  readonly durationMillis: number;
  readonly warmupMillis: number;
}

export interface QuickstartRun {
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly settings: QuickstartSettings;
  readonly machine: MachineInfo & { readonly tempDirSameFileSystemAsTmp: boolean };
  readonly cells: readonly CellResult[];
  readonly ratios: readonly SpeedRatio[];
  /** The Markdown table the README shows. */
  readonly table: string;
}

/** The standard (3 s windows) or quick (1 s) settings. */
export function quickstartSettings(quick: boolean): QuickstartSettings {
  const mode = quick ? 'quick' : 'standard';
  return { durationMillis: quickstartSeconds[mode] * 1000, warmupMillis: quickstartWarmupMillis[mode] };
}

export function quickstartCellCount(): number {
  return quickstartRecordSizesBytes.length * quickstartConcurrencies.length * quickstartEngines.length;
}

/** Runs every cell in this process, one after another; `onCell` hears of each as it finishes. */
export async function runQuickstart(
  settings: QuickstartSettings,
  onCell?: (result: CellResult) => void,
): Promise<QuickstartRun> {
  const startedAt = new Date();
  const tempRoot = benchTempRoot();
  const machine = { ...describeMachine(tempRoot), tempDirSameFileSystemAsTmp: sameFileSystemAsTmp(tempRoot) };
  const cells: CellResult[] = [];
  for (const recordBytes of quickstartRecordSizesBytes) {
    for (const concurrency of quickstartConcurrencies) {
      for (const engine of quickstartEngines) {
        const result = await withTempDir((dir) => runCell(engine, { dir, recordBytes, concurrency, ...settings }));
        onCell?.(result);
        cells.push(result);
      }
    }
  }
  const finishedAt = new Date();
  const ratios = speedRatios(cells);
  return { startedAt, finishedAt, settings, machine, cells, ratios, table: renderResultsTable(cells) };
}

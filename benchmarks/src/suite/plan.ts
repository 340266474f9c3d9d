/**
 * One job: say which cells the suite runs: the scenarios, their engines, workloads and
 * concurrencies, in the standard and the --quick shape.
 *
 * A cell is (engine, workload, appenders). Scenarios share cells: the size sweep's 128-byte row is
 * the concurrency sweep's 256-appender cell, measured once. The standard suite is sized for about
 * 15-20 minutes on a 2-core machine (about 100 cells x 3 repetitions of 0.75 s warm-up + 1.5 s
 * window, plus one traced run per single-append cell); --quick for about a minute and a half (one repetition of short
 * windows, 1-16-256 appenders, three sizes, one batch and the mixed trace; 1 and 256 appenders traced).
 */
import type { EngineName } from '../lib/cell.js';
import { describeWorkload, type Workload } from '../lib/workload.js';

export const scenarioNames = ['concurrency', 'size', 'batch', 'mixed'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export const scenarioTitles: Record<ScenarioName, string> = {
  concurrency: 'Concurrency sweep: 128-byte appends, one process',
  size: 'Record size sweep: 256 concurrent appenders',
  batch: 'appendMany batches of 128-byte records',
  mixed: 'Mixed trace: bursts of small records with occasional large ones',
};

/** Every engine that runs by default; lmdb-overlap (not durable) only in the concurrency sweep. */
export const defaultEngines: readonly EngineName[] = ['seglog', 'plain-fdatasync', 'sqlite', 'lmdb', 'lmdb-overlap', 'level', 'redis', 'nats'];
/** --quick leaves out the non-durable LMDB variant (name it with --engines to include it). */
export const quickDefaultEngines: readonly EngineName[] = defaultEngines.filter((engine) => engine !== 'lmdb-overlap');
const concurrencyOnlyEngines: ReadonlySet<EngineName> = new Set(['lmdb-overlap']);

export interface CellSpec {
  /** Stable across runs: `${engine}/${workload}/${concurrency}`. */
  readonly key: string;
  readonly engine: EngineName;
  readonly workload: Workload;
  readonly concurrency: number;
  /** The scenarios whose tables show this cell. */
  readonly scenarios: readonly ScenarioName[];
}

export interface PlanShape {
  readonly concurrencies: readonly number[];
  readonly sizeSweepBytes: readonly number[];
  readonly sizeSweepConcurrency: number;
  readonly batchRecords: readonly number[];
  readonly batchConcurrency: number;
  readonly mixed: Workload;
  readonly mixedConcurrency: number;
}

const mixedTrace: Workload = { kind: 'mixed', smallBytes: 128, largeBytes: 64 * 1024, largeEveryRecords: 50, burstRecords: 32, pauseMaxMillis: 5 };

export const standardShape: PlanShape = {
  concurrencies: [1, 4, 16, 64, 256, 1024],
  sizeSweepBytes: [64, 128, 1024, 8192, 65536],
  sizeSweepConcurrency: 256,
  batchRecords: [16, 256],
  batchConcurrency: 16,
  mixed: mixedTrace,
  mixedConcurrency: 64,
};

export const quickShape: PlanShape = {
  concurrencies: [1, 16, 256],
  sizeSweepBytes: [128, 1024, 65536],
  sizeSweepConcurrency: 256,
  batchRecords: [64],
  batchConcurrency: 16,
  mixed: mixedTrace,
  mixedConcurrency: 64,
};

export function workloadKey(workload: Workload): string {
  return describeWorkload(workload).replace(/\s+/g, '');
}

export function cellKey(engine: EngineName, workload: Workload, concurrency: number): string {
  return `${engine}/${workloadKey(workload)}/${concurrency}`;
}

/** The cells of `scenarios` for `engines`, in run order (scenario by scenario), without duplicates. */
export function planCells(
  shape: PlanShape,
  scenarios: readonly ScenarioName[],
  engines: readonly EngineName[],
): CellSpec[] {
  const byKey = new Map<
    string,
    { engine: EngineName; workload: Workload; concurrency: number; scenarios: ScenarioName[] }
  >();
  const add = (scenario: ScenarioName, workload: Workload, concurrency: number): void => {
    for (const engine of engines) {
      if (scenario !== 'concurrency' && concurrencyOnlyEngines.has(engine)) continue;
      const key = cellKey(engine, workload, concurrency);
      const existing = byKey.get(key);
      if (existing === undefined) byKey.set(key, { engine, workload, concurrency, scenarios: [scenario] });
      else if (!existing.scenarios.includes(scenario)) existing.scenarios.push(scenario);
    }
  };
  for (const scenario of scenarios) {
    switch (scenario) {
      case 'concurrency':
        for (const concurrency of shape.concurrencies) add(scenario, { kind: 'uniform', recordBytes: 128 }, concurrency);
        break;
      case 'size':
        for (const recordBytes of shape.sizeSweepBytes) add(scenario, { kind: 'uniform', recordBytes }, shape.sizeSweepConcurrency);
        break;
      case 'batch':
        for (const batchRecords of shape.batchRecords) add(scenario, { kind: 'batch', recordBytes: 128, batchRecords }, shape.batchConcurrency);
        break;
      case 'mixed':
        add(scenario, shape.mixed, shape.mixedConcurrency);
        break;
    }
  }
  return [...byKey.entries()].map(([key, cell]) => ({ key, ...cell }));
}

/** Cells grouped by (workload, concurrency), engines together, so each group's engines run back to back. */
export function groupCells(cells: readonly CellSpec[]): CellSpec[][] {
  const groups = new Map<string, CellSpec[]>();
  for (const cell of cells) {
    const key = `${workloadKey(cell.workload)}/${cell.concurrency}`;
    const group = groups.get(key) ?? [];
    group.push(cell);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * The cells the strace pass traces. Standard: every single-append cell (the concurrency and size
 * sweeps: the syscall chart, the durability check, the syscall target); --quick: only 1 and 256
 * appenders of 128 B. The batch and mixed cells are left out to keep the suite within its time.
 */
export function isTracedCell(cell: CellSpec, quick: boolean): boolean {
  if (cell.workload.kind !== 'uniform') return false;
  if (!quick) return true;
  return cell.workload.recordBytes === 128 && (cell.concurrency === 1 || cell.concurrency === 256);
}

/**
 * One job: compare variants of one engine (sets of `openLog` options, an instrumented file
 * system) on the same disk in one run, through the one cell runner (run-cell.ts).
 *
 * Every variant of a cell runs once per round on a fresh temporary directory, in an order that
 * rotates each round, so drift of a shared disk hits every variant alike; a table shows the median
 * of each figure over the rounds. preallocate, options-ab and append-cpu are this with their own
 * variants and columns.
 */
import { median, rotate, spreadOf, spreadPercent } from '../report/stats.js';
import { formatCount, formatMicros, renderMarkdownTable, type Column } from '../report/table.js';
import type { CellShape } from './args.js';
import type { CellResult, EngineDefinition } from './cell.js';
import { runCellOn } from './run-cell.js';
import { withTempDir } from './tmpdir.js';

export interface Variant {
  /** How the variant is named in the table (e.g. its options as JSON). */
  readonly label: string;
  readonly engine: EngineDefinition;
}

export interface ComparisonSettings {
  readonly cells: readonly CellShape[];
  readonly rounds: number;
  readonly warmupMillis: number;
  readonly durationMillis: number;
  /** false: no per-append clock or histogram (CPU measurements); latency columns stay empty. */
  readonly timeOperations?: boolean;
}

export interface ComparisonRow {
  readonly cell: CellShape;
  readonly variant: string;
  /** One result per round. */
  readonly samples: readonly CellResult[];
}

/** Every cell x round x variant; `onSample` hears of each run as it finishes. */
export async function compareVariants(
  variants: readonly Variant[],
  settings: ComparisonSettings,
  onSample?: (row: { cell: CellShape; variant: string; round: number }, result: CellResult) => void,
): Promise<ComparisonRow[]> {
  const rows: ComparisonRow[] = [];
  for (const cell of settings.cells) {
    const samples = new Map<Variant, CellResult[]>(variants.map((variant) => [variant, []]));
    for (let round = 0; round < settings.rounds; round += 1) {
      for (const variant of rotate(variants, round)) {
        const { warmupMillis, durationMillis, timeOperations } = settings;
        const options = { ...cell, warmupMillis, durationMillis, timeOperations };
        const result = await withTempDir((dir) => runCellOn(variant.engine, { dir, ...options }));
        samples.get(variant)!.push(result);
        onSample?.({ cell, variant: variant.label, round }, result);
      }
    }
    for (const variant of variants) rows.push({ cell, variant: variant.label, samples: samples.get(variant)! });
  }
  return rows;
}

/** A column of the comparison table: a figure of one run, shown as the median over the rounds. */
export interface Figure {
  readonly title: string;
  /** null when this run has no such figure (it is left out of the median). */
  readonly of: (result: CellResult) => number | null;
  readonly format: (value: number) => string;
}

const decimals = (digits: number) => (value: number): string => value.toFixed(digits);

/** The figures a comparison can show; each command picks its columns from these. */
export const figures = {
  appendsPerSecond: { title: 'appends/s (median)', of: (r) => r.appendsPerSecond, format: formatCount },
  megabytesPerSecond: { title: 'MB/s (median)', of: (r) => r.megabytesPerSecond, format: decimals(1) },
  p50: { title: 'p50 µs', of: (r) => nonEmpty(r) ?? r.latencyMicros.p50, format: formatMicros },
  p99: { title: 'p99 µs', of: (r) => nonEmpty(r) ?? r.latencyMicros.p99, format: formatMicros },
  flushP50: { title: 'flush p50 µs', of: (r) => r.flushMicros?.p50 ?? null, format: formatMicros },
  flushP99: { title: 'flush p99 µs', of: (r) => r.flushMicros?.p99 ?? null, format: formatMicros },
  appendsPerFlush: { title: 'appends/flush', of: (r) => r.appendsPerFlush, format: decimals(1) },
  cpuMicrosPerAppend: { title: 'CPU µs/append', of: (r) => r.cpuMicrosPerAppend, format: decimals(3) },
  userMicrosPerAppend: { title: 'user µs/append', of: (r) => perAppend(r, r.cost.selfCpuMicros - r.cost.selfSystemMicros), format: decimals(3) },
  systemMicrosPerAppend: { title: 'system µs/append', of: (r) => perAppend(r, r.cost.selfSystemMicros), format: decimals(3) },
} satisfies Record<string, Figure>;

/** A run in which no operation both started and ended inside the window has no latency. */
function nonEmpty(result: CellResult): null | undefined {
  return result.latencyMicros.count === 0 ? null : undefined;
}

function perAppend(result: CellResult, micros: number): number | null {
  return result.appends === 0 ? null : micros / result.appends;
}

/** The median of `figure` over a row's rounds, or null when no round has it. */
export function medianFigure(row: ComparisonRow, figure: Figure): number | null {
  const values = row.samples.map(figure.of).filter((v): v is number => v !== null && Number.isFinite(v));
  return values.length === 0 ? null : median(values);
}

/** appenders | record bytes | <variantTitle> | one column per figure | spread of appends/s | rounds. */
export function renderComparison(
  rows: readonly ComparisonRow[],
  variantTitle: string,
  shown: readonly Figure[],
): string {
  const columns: Column[] = [
    { title: 'appenders', align: 'right' },
    { title: 'record bytes', align: 'right' },
    { title: variantTitle, align: 'left' },
    ...shown.map((figure): Column => ({ title: figure.title, align: 'right' })),
    { title: 'spread', align: 'right' },
    { title: 'rounds', align: 'right' },
  ];
  return renderMarkdownTable(
    columns,
    rows.map((row) => {
      const rates = spreadOf(row.samples.map((r) => r.appendsPerSecond));
      return [
        String(row.cell.concurrency),
        String(row.cell.recordBytes),
        row.variant,
        ...shown.map((figure) => {
          const value = medianFigure(row, figure);
          return value === null ? '-' : figure.format(value);
        }),
        rates === null ? '-' : `±${(spreadPercent(rates) / 2).toFixed(0)}%`,
        String(row.samples.length),
      ];
    }),
  );
}

/**
 * One job: worst latency (and p99) at many appenders, seglog against LMDB in the same run (issue 11:
 * worst latency at 64-256 appenders <= 1.5x LMDB's), plus seglog variants that take one suspect
 * away each, so the cause of a tail shows as the variant whose tail is gone:
 *
 * - `seglog`: the defaults (64 MiB segments, the next one zero-filled in the background).
 * - `no-zero-fill`: `preallocate: false`: rolls still happen, the background zero fill does not.
 * - `no-roll`: one 2 GiB segment, not preallocated: no roll (no trailer, HEAD and directory flushes
 *   at a roll) and no zero fill during the run.
 *
 * Variants run in a rotating order each round on fresh directories (lib/compare.ts); the table shows
 * medians over the rounds. Worst latency needs runs long enough to hold several rolls: 128-byte
 * records at these rates fill a 64 MiB segment every few seconds.
 */
import { parseArgs } from 'node:util';
import { lmdbEngine } from '../engines/lmdb.js';
import { seglogEngineWith } from '../engines/seglog.js';
import { parseCells, positiveInteger, positiveNumber } from '../lib/args.js';
import type { Figure } from '../lib/compare.js';
import { compareVariants, figures, medianFigure, renderComparison } from '../lib/compare.js';
import type { ComparisonRow, Variant } from '../lib/compare.js';
import { formatMicros } from '../report/table.js';
import type { Command } from './command.js';

const GIB = 1024 * 1024 * 1024;

export const tailVariants: readonly Variant[] = [
  { label: 'seglog', engine: seglogEngineWith({}, 'seglog (defaults)') },
  { label: 'seglog no-zero-fill', engine: seglogEngineWith({ preallocate: false }, "seglog (preallocate: false)") },
  {
    label: 'seglog no-roll',
    engine: seglogEngineWith({ preallocate: false, segmentBytes: 2 * GIB }, 'seglog (one 2 GiB segment)'),
  },
  { label: 'lmdb', engine: lmdbEngine },
];

const maxFigure: Figure = {
  title: 'max µs',
  of: (r) => (r.latencyMicros.count === 0 ? null : r.latencyMicros.max),
  format: formatMicros,
};
const p999Figure: Figure = {
  title: 'p999 µs',
  of: (r) => (r.latencyMicros.count === 0 ? null : r.latencyMicros.p999),
  format: formatMicros,
};

/** `seglog max / lmdb max` per cell, from the medians the table shows: the target is <= 1.5. */
export function tailRatios(rows: readonly ComparisonRow[]): string[] {
  const lines: string[] = [];
  const cells = [...new Set(rows.map((row) => `${row.cell.concurrency}x${row.cell.recordBytes}`))];
  for (const cell of cells) {
    const of = (variant: string): number | null => {
      const row = rows.find((r) => `${r.cell.concurrency}x${r.cell.recordBytes}` === cell && r.variant === variant);
      return row === undefined ? null : medianFigure(row, maxFigure);
    };
    const seglog = of('seglog');
    const lmdb = of('lmdb');
    if (seglog !== null && lmdb !== null && lmdb > 0) lines.push(`${cell}: seglog worst / LMDB worst = ${(seglog / lmdb).toFixed(2)}x`);
  }
  return lines;
}

export const tailsCommand: Command = {
  name: 'tails',
  summary: 'worst latency and p99 at many appenders: seglog, seglog without zero fill / rolls, and LMDB',
  usage: `usage: main.js tails [--cells 64x128,256x128] [--rounds 3] [--seconds 15] [--variants a,b]
  --variants LIST  labels to run (default all: seglog, "seglog no-zero-fill", "seglog no-roll", lmdb)`,
  async run(argv) {
    const options = { cells: { type: 'string' }, rounds: { type: 'string' }, seconds: { type: 'string' }, variants: { type: 'string' } } as const;
    const { values } = parseArgs({ args: [...argv], options });
    const wanted = values.variants?.split(',').map((label) => label.trim());
    const variants = tailVariants.filter((variant) => wanted === undefined || wanted.includes(variant.label));
    const rows = await compareVariants(variants, {
      cells: parseCells(values.cells ?? '64x128,256x128'),
      rounds: positiveInteger(values.rounds, '--rounds', 3),
      warmupMillis: 1000,
      durationMillis: Math.round(positiveNumber(values.seconds, '--seconds', 15) * 1000),
    });
    const shown = [figures.appendsPerSecond, figures.p50, figures.p99, p999Figure, maxFigure];
    console.log(renderComparison(rows, 'engine', shown));
    for (const line of tailRatios(rows)) console.log(line);
  },
};

/**
 * One job: compare seglog under several sets of `openLog` options, on the same disk in one run
 * (lib/compare.ts: rotating order per round, medians over rounds).
 *
 *   main.js options-ab --variants '{"syncMethod":"fdatasync"}' '{"syncMethod":"open_datasync"}'
 */
import { parseArgs } from 'node:util';
import { SeglogError } from '@seglog/types';
import { seglogEngineWith, type SeglogOptions } from '../engines/seglog.js';
import { parseCells, positiveInteger, positiveNumber } from '../lib/args.js';
import { compareVariants, figures, renderComparison, type Variant } from '../lib/compare.js';
import type { Command } from './command.js';

export const optionsAbCommand: Command = {
  name: 'options-ab',
  summary: 'two or more sets of openLog options against each other, rotating order, medians (e.g. syncMethod)',
  usage: `usage: main.js options-ab --variants '<json>' '<json>' [...] [--cells 1x128,16x128,256x128] [--rounds 5] [--seconds 2]
  --variants      two or more openLog option sets (without dir), each one JSON argument
  --cells LIST    appenders x record bytes, comma-separated
  --rounds N      runs of every variant per cell (default 5)
  --seconds S     measured window per run (default 2; 500 ms warm-up before it)`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { variants: { type: 'boolean' }, cells: { type: 'string' }, rounds: { type: 'string' }, seconds: { type: 'string' } },
    });
    if (values.variants !== true || positionals.length < 2) throw SeglogError.invalidOption('--variants', 'give at least two option sets, each as JSON');
    const variants = positionals.map((json): Variant => ({ label: `\`${json}\``, engine: seglogEngineWith(parseVariant(json), json) }));
    const rows = await compareVariants(variants, {
      cells: parseCells(values.cells ?? '1x128,16x128,256x128'),
      rounds: positiveInteger(values.rounds, '--rounds', 5),
      warmupMillis: 500,
      durationMillis: Math.round(positiveNumber(values.seconds, '--seconds', 2) * 1000),
    });
    console.log(renderComparison(rows, 'options', [figures.appendsPerSecond, figures.p50, figures.p99, figures.appendsPerFlush, figures.flushP50, figures.flushP99]));
  },
};

function parseVariant(json: string): SeglogOptions {
  try {
    const value = JSON.parse(json) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('not an object');
    return value;
  } catch (error) {
    throw SeglogError.invalidOption('--variants', `"${json}" is not a JSON object of openLog options (${String(error)})`);
  }
}

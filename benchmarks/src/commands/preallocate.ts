/**
 * One job: the numbers behind the `preallocate` default: seglog with preallocation on, off and
 * 'auto', compared by lib/compare.ts (rotating order, medians over rounds): flush latency, durable
 * appends/s and MB/s, by default at 1 and 16 appenders of 128-byte records (one 4 KiB block per batch).
 */
import { parseArgs } from 'node:util';
import { seglogEngineWith } from '../engines/seglog.js';
import { parseCells, positiveInteger, positiveNumber } from '../lib/args.js';
import { compareVariants, figures, renderComparison, type Variant } from '../lib/compare.js';
import type { Command } from './command.js';

const policies = [true, false, 'auto'] as const;

export const preallocateCommand: Command = {
  name: 'preallocate',
  summary: 'appends/s, MB/s and flush latency with segment preallocation on, off and auto',
  usage: `usage: main.js preallocate [--rounds 5] [--seconds 3] [--cells 1x128,16x128]
  --cells LIST    appenders x record bytes, comma-separated (e.g. 256x128,256x65536)`,
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: { rounds: { type: 'string' }, seconds: { type: 'string' }, cells: { type: 'string' } } });
    const variants = policies.map((preallocate): Variant => ({ label: String(preallocate), engine: seglogEngineWith({ preallocate }, `preallocate: ${String(preallocate)}`) }));
    const rows = await compareVariants(variants, {
      cells: parseCells(values.cells ?? '1x128,16x128'),
      rounds: positiveInteger(values.rounds, '--rounds', 5),
      warmupMillis: 500,
      durationMillis: Math.round(positiveNumber(values.seconds, '--seconds', 3) * 1000),
    });
    console.log(renderComparison(rows, 'preallocate', [figures.appendsPerSecond, figures.megabytesPerSecond, figures.flushP50, figures.flushP99]));
  },
};

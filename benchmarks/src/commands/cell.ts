/**
 * One job: run a single benchmark cell in this process and print its result as one JSON line.
 *
 * The suite runs every cell this way (lib/child.ts), so engines never share a heap, a libuv pool or
 * a page-cache warm-up with each other, and a tool such as strace can watch exactly one engine
 * doing exactly one cell. The printed `totalAppends` covers the engine's whole life (warm-up
 * included), which is what a whole-process syscall count must be divided by.
 */
import { parseArgs } from 'node:util';
import { SeglogError } from '@seglog/types';
import { runCell } from '../engines/index.js';
import { nonNegativeInteger, positiveInteger, positiveNumber } from '../lib/args.js';
import { engineNames, isEngineName, type CellOptions, type EngineName } from '../lib/cell.js';
import { withTempDir } from '../lib/tmpdir.js';
import type { Workload } from '../lib/workload.js';
import type { Command } from './command.js';

type CellArgs = Omit<CellOptions, 'dir'> & { readonly engine: EngineName };

export const cellCommand: Command = {
  name: 'cell',
  summary: 'one cell (engine x workload x appenders) in this process, printed as one JSON line (the suite runs this)',
  usage: `usage: main.js cell --engine ${engineNames.join('|')} --record-bytes N --concurrency N
                   [--seconds S] [--warmup-ms M] [--batch-records N | --workload JSON]`,
  async run(argv) {
    // The suite stops a cell that overruns with SIGTERM: exit, so lib/server.ts's exit hook kills any server.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(130));
    const { engine, ...settings } = parseCellArgs(argv);
    const result = await withTempDir((dir) => runCell(engine, { dir, ...settings }));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  },
};

function parseCellArgs(argv: readonly string[]): CellArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      engine: { type: 'string' },
      'record-bytes': { type: 'string' },
      concurrency: { type: 'string' },
      seconds: { type: 'string' },
      'warmup-ms': { type: 'string' },
      'batch-records': { type: 'string' },
      workload: { type: 'string' },
    },
  });
  const engine = values.engine ?? '';
  if (!isEngineName(engine)) throw SeglogError.invalidOption('--engine', `unknown or missing engine "${engine}"`);
  const recordBytes = positiveInteger(values['record-bytes'], '--record-bytes');
  return {
    engine,
    recordBytes,
    concurrency: positiveInteger(values.concurrency, '--concurrency'),
    durationMillis: Math.round(positiveNumber(values.seconds, '--seconds', 3) * 1000),
    warmupMillis: nonNegativeInteger(values['warmup-ms'], '--warmup-ms', 1500),
    workload: workloadOf(values.workload, values['batch-records'], recordBytes),
  };
}

function workloadOf(json: string | undefined, batchRecords: string | undefined, recordBytes: number): Workload {
  if (json !== undefined) return JSON.parse(json) as Workload;
  if (batchRecords !== undefined) return { kind: 'batch', recordBytes, batchRecords: positiveInteger(batchRecords, '--batch-records') };
  return { kind: 'uniform', recordBytes };
}

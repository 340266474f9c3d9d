/**
 * One job: run a single benchmark cell in its own process and print its result as one JSON line.
 *
 *   node dist/cell.js --engine seglog --record-bytes 128 --concurrency 256 [--seconds 3] [--warmup-ms 1500]
 *                     [--batch-records N | --workload '<json>']
 *
 * The suite runs every cell this way, so engines never share a heap, a libuv pool or a page-cache
 * warm-up with each other, and a tool such as strace can watch exactly one engine doing exactly one
 * cell. The printed `totalAppends` covers the engine's whole life (warm-up included), which is what
 * a whole-process syscall count must be divided by.
 */
import { parseArgs } from 'node:util';
import { runCell } from './engines/index.js';
import { engineNames, isEngineName, type CellOptions } from './lib/cell.js';
import { withTempDir } from './lib/tmpdir.js';
import type { Workload } from './lib/workload.js';

const usage = `usage: node dist/cell.js --engine ${engineNames.join('|')} --record-bytes N --concurrency N [--seconds S] [--warmup-ms M] [--batch-records N | --workload JSON]`;

type CellArgs = Omit<CellOptions, 'dir'> & { readonly engine: (typeof engineNames)[number] };

function parseCellArgs(argv: readonly string[]): CellArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      engine: { type: 'string' },
      'record-bytes': { type: 'string' },
      concurrency: { type: 'string' },
      seconds: { type: 'string', default: '3' },
      'warmup-ms': { type: 'string', default: '1500' },
      'batch-records': { type: 'string' },
      workload: { type: 'string' },
    },
  });
  const engine = values.engine ?? '';
  if (!isEngineName(engine)) throw new TypeError(`unknown or missing --engine "${engine}"\n${usage}`);
  const recordBytes = positiveInteger(values['record-bytes'], '--record-bytes');
  return {
    engine,
    recordBytes,
    concurrency: positiveInteger(values.concurrency, '--concurrency'),
    durationMillis: Math.round(positiveNumber(values.seconds, '--seconds') * 1000),
    warmupMillis: nonNegativeInteger(values['warmup-ms'], '--warmup-ms'),
    workload: workloadOf(values.workload, values['batch-records'], recordBytes),
  };
}

function workloadOf(json: string | undefined, batchRecords: string | undefined, recordBytes: number): Workload {
  if (json !== undefined) return JSON.parse(json) as Workload;
  if (batchRecords !== undefined) return { kind: 'batch', recordBytes, batchRecords: positiveInteger(batchRecords, '--batch-records') };
  return { kind: 'uniform', recordBytes };
}

function positiveNumber(text: string | undefined, flag: string): number {
  const value = Number(text);
  if (text === undefined || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${flag} must be a positive number\n${usage}`);
  }
  return value;
}

function positiveInteger(text: string | undefined, flag: string): number {
  const value = positiveNumber(text, flag);
  if (!Number.isInteger(value)) throw new TypeError(`${flag} must be an integer\n${usage}`);
  return value;
}

function nonNegativeInteger(text: string | undefined, flag: string): number {
  const value = Number(text);
  if (text === undefined || !Number.isInteger(value) || value < 0) throw new TypeError(`${flag} must be a non-negative integer\n${usage}`);
  return value;
}

async function main(): Promise<void> {
  // The suite stops a cell that overruns with SIGTERM: exit, so lib/server.ts's exit hook kills any server.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(130));
  const { engine, ...settings } = parseCellArgs(process.argv.slice(2));
  const result = await withTempDir((dir) => runCell(engine, { dir, ...settings }));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

/**
 * One job: count the syscalls one engine spends per durable append, for one cell, with the
 * suite's strace pass (suite/trace.ts): the cell runs in a child process under `strace -f -y`,
 * and only calls inside its measured window count, divided by the appends completed in it.
 *
 * On files the figure should approach 1 / records-per-batch under seglog's default
 * `syncMethod: 'open_datasync'` (one O_DSYNC write per batch) and 2 / records-per-batch under
 * `'fdatasync'` (a write and an fdatasync), where a plain write + fdatasync per record costs 2.
 * The whole child's counts (start-up, segment preallocation, drain) are printed as well.
 */
import { parseArgs } from 'node:util';
import { SeglogError } from '@seglog/types';
import { nonNegativeInteger, positiveInteger, positiveNumber } from '../lib/args.js';
import { engineNames, isEngineName } from '../lib/cell.js';
import type { CallCounts } from '../lib/strace-lines.js';
import type { Workload } from '../lib/workload.js';
import { writeResults } from '../report/results.js';
import { renderMarkdownTable } from '../report/table.js';
import { cellKey } from '../suite/plan.js';
import { straceUnavailableReason, traceCell } from '../suite/trace.js';
import type { Command } from './command.js';

export const straceCommand: Command = {
  name: 'strace',
  summary: 'write-family and sync syscalls per durable append for one cell, counted with strace -f',
  usage: `usage: main.js strace [--engine seglog] [--concurrency 256] [--record-bytes 128] [--seconds 3] [--warmup-ms 500]
  --engine NAME   one of ${engineNames.join(', ')}`,
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: { engine: { type: 'string' }, concurrency: { type: 'string' }, 'record-bytes': { type: 'string' }, seconds: { type: 'string' }, 'warmup-ms': { type: 'string' } },
    });
    const engine = values.engine ?? 'seglog';
    if (!isEngineName(engine)) throw SeglogError.invalidOption('--engine', `unknown engine "${engine}"`);
    const concurrency = positiveInteger(values.concurrency, '--concurrency', 256);
    const workload: Workload = { kind: 'uniform', recordBytes: positiveInteger(values['record-bytes'], '--record-bytes', 128) };
    const settings = { durationMillis: Math.round(positiveNumber(values.seconds, '--seconds', 3) * 1000), warmupMillis: nonNegativeInteger(values['warmup-ms'], '--warmup-ms', 500) };
    const missing = straceUnavailableReason();
    if (missing !== null) throw new Error(missing);
    console.log(`tracing: ${engine}, ${concurrency} appenders x ${workload.recordBytes} B, ${settings.durationMillis / 1000} s (under strace, so slower than untraced)`);
    const cell = { key: cellKey(engine, workload, concurrency), engine, workload, concurrency, scenarios: [] };
    const figures = await traceCell(cell, settings);
    console.log(`\n${renderCallTable(figures.counts, figures.records)}\n`);
    console.log(`durable appends in the window: ${figures.records.toLocaleString('en-US')}`);
    console.log(`write-family (files, sockets) + sync syscalls per durable append: ${figures.syscallsPerAppend.toFixed(4)} (a plain write + fdatasync per record costs 2)`);
    console.log(`flushes per append: ${figures.syncsPerAppend.toFixed(4)} (sync calls ${figures.counts.syncCalls}, O_DSYNC writes ${figures.counts.dsyncWrites})`);
    console.log(`whole process, start-up and drain included: ${figures.lifetime.syscallsPerAppend.toFixed(4)} syscalls/append over ${figures.lifetime.records.toLocaleString('en-US')} appends`);
    const path = await writeResults('strace', new Date(), { kind: 'strace', engine, concurrency, workload, settings, figures });
    console.log(`results: ${path}`);
  },
};

/** One row per (syscall, target class) seen in the window, with calls per durable append. */
export function renderCallTable(counts: CallCounts, appends: number): string {
  const rows = Object.entries(counts.calls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, calls]) => {
      const [syscall = '', target = ''] = key.split(':');
      return [syscall, target, calls.toLocaleString('en-US'), (calls / Math.max(1, appends)).toFixed(4)];
    });
  return renderMarkdownTable(
    [
      { title: 'syscall', align: 'left' },
      { title: 'on', align: 'left' },
      { title: 'calls', align: 'right' },
      { title: 'per durable append', align: 'right' },
    ],
    rows,
  );
}

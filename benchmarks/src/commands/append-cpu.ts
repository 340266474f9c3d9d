/**
 * One job: measure the CPU that one append costs, split into the store's own work and the rest.
 *
 * Each round runs two closed loops of appenders (lib/compare.ts, order rotating per round), each
 * on a fresh log:
 * - `disk`: the real log on the real disk, defaults, as a user runs it.
 * - `instant`: the same log, except that segment writes and fdatasyncs complete on the next turn
 *   of the event loop without a system call. What remains is the store's own CPU per append
 *   (framing, checksums, batching, telemetry, promises) plus the driver's loop, which here reads
 *   no clock and records no latency (timeOperations: false). It is a measuring device only:
 *   nothing in the product uses it.
 * CPU is process.cpuUsage (all threads, user + system) over the window, divided by the appends in
 * it (lib/window-probe.ts); the table shows the medians of the rounds.
 */
import { parseArgs } from 'node:util';
import { nodeFileIO } from '@seglog/io';
import { SeglogError } from '@seglog/types';
import { wrapFileHandle, wrapFileIO } from '@seglog/testkit';
import type { FileIO } from '@seglog/types';
import { seglogEngineWith } from '../engines/seglog.js';
import { listOf, positiveInteger, positiveNumber } from '../lib/args.js';
import { compareVariants, figures, renderComparison, type Variant } from '../lib/compare.js';
import type { Command } from './command.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The real file system, except that segment files (`*.seg`, `*.seg.tmp`) get writes and syncs that
 * cost no system call; everything else (HEAD, indexes, the wake-up socket) is the real thing.
 */
function instantSegmentIO(): FileIO {
  return wrapFileIO(nodeFileIO, {
    wrapHandle: (handle, path) => (path.includes('.seg') ? wrapFileHandle(handle, { writev: nextTurn, datasync: nextTurn }) : handle),
  });
}

export const appendCpuCommand: Command = {
  name: 'append-cpu',
  summary: "CPU per append on the real disk, and of the store's own code alone (segment writes that complete at once)",
  usage:
    'usage: main.js append-cpu [--appenders 256] [--seconds 3] [--rounds 3] [--record-bytes 128] [--modes disk,instant]\n' +
    '  --modes: which of the two to run (one alone, e.g. under node --cpu-prof, profiles only that one)',
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        appenders: { type: 'string' },
        seconds: { type: 'string' },
        rounds: { type: 'string' },
        'record-bytes': { type: 'string' },
        modes: { type: 'string' },
      },
    });
    const modes = listOf(values.modes, ['disk', 'instant'] as const, '--modes') ?? ['disk', 'instant'];
    const all: Variant[] = [
      { label: 'disk', engine: seglogEngineWith({}, 'seglog on the disk') },
      { label: 'instant', engine: seglogEngineWith({ io: instantSegmentIO(), preallocate: false }, 'seglog, segment writes without syscalls') },
    ];
    const variants = all.filter((variant) => (modes as readonly string[]).includes(variant.label));
    if (variants.length === 0) throw SeglogError.invalidOption('--modes', 'names no mode (disk, instant)');
    const rows = await compareVariants(
      variants,
      {
        cells: [{ concurrency: positiveInteger(values.appenders, '--appenders', 256), recordBytes: positiveInteger(values['record-bytes'], '--record-bytes', 128) }],
        rounds: positiveInteger(values.rounds, '--rounds', 3),
        warmupMillis: 300,
        // The driver's clock reads and histogram would cost about 0.3 µs per append of their own.
        timeOperations: false,
        durationMillis: Math.round(positiveNumber(values.seconds, '--seconds', 3) * 1000),
      },
      ({ variant, round }, result) => console.log(`round ${round + 1} ${variant.padEnd(8)} ${Math.round(result.appendsPerSecond).toLocaleString('en-US')}/s, CPU ${result.cpuMicrosPerAppend.toFixed(3)} µs/append`),
    );
    console.log(`\n${renderComparison(rows, 'mode', [figures.appendsPerSecond, figures.cpuMicrosPerAppend, figures.userMicrosPerAppend, figures.systemMicrosPerAppend])}`);
  },
};

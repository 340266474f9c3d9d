/**
 * One job: the `open-time` command and its two child commands. What it measures and how is in
 * lib/open-time.ts, shared with the suite's open-time cell.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { openLog } from '@seglog/store';
import { positiveInteger, positiveNumber } from '../lib/args.js';
import { renderOpenTime, runOpenTime } from '../lib/open-time.js';
import type { Command } from './command.js';

export const openTimeCommand: Command = {
  name: 'open-time',
  summary: 'openLog time after SIGKILL on a large log, warm and cold, and its slope per sealed segment',
  usage: `usage: main.js open-time [--gib 2] [--segment-mib 64,8] [--rounds 3]
  --gib N           log size to fill before the crash (check df -h /tmp first)
  --segment-mib L   segment sizes, comma-separated: the first few segments, the last many
  --rounds N        opens per size (median); cold rounds need root to drop the page cache`,
  async run(argv) {
    const options = { gib: { type: 'string' }, 'segment-mib': { type: 'string' }, rounds: { type: 'string' } } as const;
    const { values } = parseArgs({ args: [...argv], options });
    const gib = positiveNumber(values.gib, '--gib', 2);
    const sizes = (values['segment-mib'] ?? '64,8').split(',').map((text) => positiveInteger(text, '--segment-mib'));
    const rounds = positiveInteger(values.rounds, '--rounds', 3);
    console.log(`openLog after SIGKILL, ${gib} GiB log of 64 KiB records (medians of ${rounds})`);
    console.log(renderOpenTime(await runOpenTime({ gib, segmentMiB: sizes, rounds })));
  },
};

/** The child that fills a log to `bytes`, then dies by SIGKILL with appends in flight. */
export const openTimeFillCommand: Command = {
  name: 'open-time-fill',
  summary: '(internal) fills a log for `open-time`, then SIGKILLs itself mid-append',
  usage: 'usage: main.js open-time-fill <dir> <bytes> <segment-bytes>',
  async run(argv) {
    const [dir, bytesText, segmentText] = argv;
    const total = positiveInteger(bytesText, 'bytes');
    const log = await openLog({ dir: dir!, segmentBytes: positiveInteger(segmentText, 'segment-bytes') });
    const payload = new Uint8Array(64 * 1024).fill(42);
    const appenders = 16;
    let written = 0;
    const appender = async (): Promise<void> => {
      while (written < total) {
        written += payload.length;
        await log.append(payload);
      }
    };
    await Promise.all(Array.from({ length: appenders }, appender));
    for (let i = 0; i < appenders; i++) void log.append(payload);
    setImmediate(() => process.kill(process.pid, 'SIGKILL'));
    await new Promise(() => undefined);
  },
};

/** The child that times one `openLog`, prints it, and dies by SIGKILL so the log stays crashed. */
export const openTimeOpenCommand: Command = {
  name: 'open-time-open',
  summary: '(internal) times one openLog for `open-time`, then SIGKILLs itself',
  usage: 'usage: main.js open-time-open <dir>',
  async run(argv) {
    const started = performance.now();
    const log = await openLog({ dir: argv[0]! });
    const ms = performance.now() - started;
    const { segments, batchesScanned, tailTrustedBytes } = log.recovery;
    process.stdout.write(`${JSON.stringify({ ms, segments, batchesScanned, tailTrustedBytes })}\n`);
    process.kill(process.pid, 'SIGKILL');
    await new Promise(() => undefined);
  },
};

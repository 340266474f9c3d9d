/**
 * One job: the `follow` command (lib/follow-latency.ts measures) and its child, `follow-reader`,
 * the follower process: it follows the log from offset 0 with the wake-up sources asked for,
 * notes when each record arrives, then idles and reports its CPU.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { nodeFileIO } from '@seglog/io';
import { openReader } from '@seglog/reader';
import { SeglogError } from '@seglog/types';
import type { FileIO } from '@seglog/types';
import { listOf, positiveInteger, positiveNumber } from '../lib/args.js';

/** `--warmup-seconds 0` is allowed (no warm-up). */
function nonNegativeNumber(text: string | undefined, flag: string, fallback: number): number {
  return text === '0' ? 0 : positiveNumber(text, flag, fallback);
}
import {
  renderFollowRows,
  runFollowLatency,
  wakeModes,
  type FollowReaderReport,
  type FollowRow,
  type WakeMode,
} from '../lib/follow-latency.js';
import type { Command } from './command.js';

const nowNanos = (): number => Number(process.hrtime.bigint());

export const followCommand: Command = {
  name: 'follow',
  summary: 'follow latency: append acknowledged -> record received by a follower in another process; idle follower CPU',
  usage: `usage: main.js follow [--rates 1000,100000] [--seconds 3] [--warmup-seconds 1] [--idle-seconds 3]
                     [--wake ${wakeModes.join(',')}] [--trace]
  --wake LIST   the follower's wake-up sources, one run each (default push):
                push   the writer's notify socket (+ watch while not connected, + poll)
                watch  directory watch + poll (no socket)
                poll   the backoff poll alone (as on NFS)
  --trace       trace the writer's HEAD writes and flushes: split each latency into ack -> published
                in HEAD and published -> arrival, and show the slowest 1% and the event-loop stalls`,
  async run(argv) {
    const options = {
      rates: { type: 'string' },
      seconds: { type: 'string' },
      'warmup-seconds': { type: 'string' },
      'idle-seconds': { type: 'string' },
      wake: { type: 'string' },
      trace: { type: 'boolean' },
    } as const;
    const { values } = parseArgs({ args: [...argv], options });
    const settings = {
      rates: (values.rates ?? '1000,100000').split(',').map((text) => positiveInteger(text, '--rates')),
      seconds: positiveNumber(values.seconds, '--seconds', 3),
      warmupSeconds: nonNegativeNumber(values['warmup-seconds'], '--warmup-seconds', 1),
      idleSeconds: positiveNumber(values['idle-seconds'], '--idle-seconds', 3),
      wakes: listOf(values.wake, wakeModes, '--wake') ?? (['push'] as WakeMode[]),
      trace: values.trace === true,
    };
    console.log('follower in another process (reads HEAD); latency in ms from acknowledgement to arrival');
    const rows = await runFollowLatency(settings, (row) => {
      console.log(`  ${row.wake} ${row.ratePerSecond}/s: p50 ${row.p50Millis.toFixed(2)} p99 ${row.p99Millis.toFixed(2)} max ${row.maxMillis.toFixed(2)} ms`);
      if (row.breakdown !== undefined) console.log(renderBreakdown(row.breakdown));
    });
    console.log(`\n${renderFollowRows(rows.rows)}`);
  },
};

function renderBreakdown(breakdown: NonNullable<FollowRow['breakdown']>): string {
  const ms = (values: readonly number[]): string => values.map((value) => value.toFixed(2)).join(' / ');
  const { worst } = breakdown;
  return [
    `    ack -> published in HEAD (p50 / p99 / max ms): ${ms(breakdown.ackToPublished)}`,
    `    published -> arrival     (p50 / p99 / max ms): ${ms(breakdown.publishedToArrival)}`,
    `    slowest 1% (${worst.records} records): median ${worst.ackToPublishedMedian.toFixed(2)} ms to HEAD + ` +
      `${worst.publishedToArrivalMedian.toFixed(2)} ms to the follower; ${worst.duringFlush} acknowledged during a HEAD flush`,
    `    acknowledged during a HEAD flush: ${breakdown.ackedDuringFlush.records} records, ack -> published ` +
      `(p50 / p99 / max ms) ${ms(breakdown.ackedDuringFlush.ackToPublished)}`,
    `    HEAD: ${breakdown.headWrites} writes (${breakdown.headWritesDuringFlush} started during a flush), ` +
      `${breakdown.headFlushes} flushes (slowest ${breakdown.slowestFlushMillis.toFixed(2)} ms); ` +
      `longest event-loop stall: writer ${breakdown.writerLoopMaxMillis.toFixed(2)} ms, follower ${breakdown.followerLoopMaxMillis.toFixed(2)} ms`,
  ].join('\n');
}

/** The follower's I/O engine: the real one, less the sources `wake` leaves out. */
function followerIo(wake: WakeMode): FileIO {
  if (wake === 'push') return nodeFileIO;
  const io: FileIO = {
    open: (path, mode, modes) => nodeFileIO.open(path, mode, modes),
    mkdirp: (dir, mode) => nodeFileIO.mkdirp(dir, mode),
    readdir: (dir) => nodeFileIO.readdir(dir),
    stat: (path) => nodeFileIO.stat(path),
    rename: (source, target) => nodeFileIO.rename(source, target),
    unlink: (path) => nodeFileIO.unlink(path),
    syncDir: (dir) => nodeFileIO.syncDir(dir),
    lock: (dir, modes) => nodeFileIO.lock(dir, modes),
  };
  return wake === 'watch' ? { ...io, watch: (dir, onChange) => nodeFileIO.watch(dir, onChange) } : io;
}

/** The child: follows `dir` until `total` records arrived, then idles `idleSeconds` and reports. */
export const followReaderCommand: Command = {
  name: 'follow-reader',
  summary: '(internal) the follower process of `follow`',
  usage: `usage: main.js follow-reader <dir> <records> <idle-seconds> [${wakeModes.join('|')}]`,
  async run(argv) {
    const [dir, totalText, idleText, wakeText] = argv;
    const total = positiveInteger(totalText, 'records');
    const idleSeconds = positiveNumber(idleText, 'idle-seconds');
    const wake = (wakeText ?? 'push') as WakeMode;
    if (!wakeModes.includes(wake)) throw SeglogError.invalidOption('wake', `must be one of ${wakeModes.join(', ')}, got ${wakeText}`);
    const reader = await openReader({ dir: dir!, io: followerIo(wake) });
    const loop = monitorEventLoopDelay({ resolution: 1 });
    const arrivals = new Array<number>(total).fill(0);
    const controller = new AbortController();
    let received = 0;
    let followStart: NodeJS.CpuUsage | null = null;
    let idleStart: { cpu: NodeJS.CpuUsage; at: number; followCpuMicros: number } | null = null;
    const follow = (async () => {
      for await (const record of reader.read({ from: 0, follow: true, signal: controller.signal })) {
        arrivals[record.offset] = nowNanos();
        if (followStart === null) loop.enable();
        followStart ??= process.cpuUsage();
        if (++received === total) {
          const used = process.cpuUsage(followStart);
          loop.disable();
          idleStart = { cpu: process.cpuUsage(), at: nowNanos(), followCpuMicros: used.user + used.system };
        }
      }
    })().catch((error: unknown) => {
      if ((error as Error).name !== 'AbortError') throw error;
    });
    process.stdout.write('ready\n');
    while (idleStart === null) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    const { cpu, at, followCpuMicros } = idleStart as { cpu: NodeJS.CpuUsage; at: number; followCpuMicros: number };
    const used = process.cpuUsage(cpu);
    const idleCpuPercent = ((used.user + used.system) / ((nowNanos() - at) / 1e3)) * 100;
    controller.abort();
    await follow;
    await reader.close();
    const loopDelayMaxMillis = loop.max / 1e6;
    const report: FollowReaderReport = { arrivals, idleCpuPercent, followCpuMicros, loopDelayMaxMillis };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  },
};

/**
 * One job: compare seglog under several sets of `openLog` options, on the same disk in one run.
 *
 *   node dist/options-ab.js --variants '{"syncMethod":"fdatasync"}' '{"syncMethod":"open_datasync"}'
 *                           [--cells 1x128,16x128,256x128] [--rounds 5] [--seconds 2]
 *
 * Every variant of a cell runs once per round on a fresh temporary log, in an order that rotates
 * each round so drift of a shared disk hits all alike; the table shows medians over the rounds and
 * the spread ((max - min) / median) of appends/s. Cells are appenders x record bytes; each appender
 * awaits one append at a time.
 */
import { parseArgs } from 'node:util';
import { openLog } from '@seglog/store';
import type { LogOptions } from '@seglog/types';
import { driveAppenders } from './lib/drive.js';
import { median, parseCells } from './lib/stats.js';
import { withTempDir } from './lib/tmpdir.js';

type Variant = Omit<LogOptions, 'dir'>;

interface Sample {
  readonly appendsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly appendsPerFdatasync: number;
}

async function runOnce(variant: Variant, concurrency: number, recordBytes: number, seconds: number): Promise<Sample> {
  return withTempDir(async (dir) => {
    const log = await openLog({ ...variant, dir });
    try {
      const counters = (): { appends: number; fdatasyncs: number } => {
        const metrics = log.metrics();
        return { appends: metrics.appends, fdatasyncs: metrics.flushes };
      };
      const drive = await driveAppenders({ append: (payload) => log.append(payload), counters }, { recordBytes, concurrency, warmupMillis: 500, durationMillis: seconds * 1000 });
      const perFdatasync = drive.windowFdatasyncs ? drive.windowAppends / drive.windowFdatasyncs : 0;
      return { appendsPerSecond: drive.appendsPerSecond, p50: drive.latencyMicros.p50, p99: drive.latencyMicros.p99, appendsPerFdatasync: perFdatasync };
    } finally {
      await log.close();
    }
  });
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      variants: { type: 'boolean', default: false },
      cells: { type: 'string', default: '1x128,16x128,256x128' },
      rounds: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '2' },
    },
  });
  if (!values.variants || positionals.length < 2) throw new TypeError('give at least two option sets after --variants, each as JSON');
  const variants = positionals.map((json) => JSON.parse(json) as Variant);
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  console.log(`| appenders | record bytes | options | appends/s (median) | spread | p50 µs | p99 µs | appends/fdatasync |`);
  console.log(`|---|---|---|---|---|---|---|---|`);
  for (const { concurrency, recordBytes } of parseCells(values.cells)) {
    const samples = variants.map((): Sample[] => []);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < variants.length; i++) {
        const index = (i + round) % variants.length;
        samples[index]!.push(await runOnce(variants[index]!, concurrency, recordBytes, seconds));
      }
    }
    variants.forEach((variant, index) => {
      const list = samples[index]!;
      const rates = list.map((s) => s.appendsPerSecond);
      const mid = median(rates);
      const spread = (Math.max(...rates) - Math.min(...rates)) / mid;
      const m = (pick: (sample: Sample) => number): string => median(list.map(pick)).toFixed(0);
      console.log(`| ${concurrency} | ${recordBytes} | \`${JSON.stringify(variant)}\` | ${mid.toFixed(0)} | ±${(50 * spread).toFixed(0)}% | ${m((s) => s.p50)} | ${m((s) => s.p99)} | ${median(list.map((s) => s.appendsPerFdatasync)).toFixed(1)} |`);
    });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

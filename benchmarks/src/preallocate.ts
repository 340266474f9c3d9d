/**
 * One job: decide the `preallocate` default with numbers. Runs seglog with preallocation on, off
 * and 'auto', in rotating order, on fresh temp logs, and reports the median over rounds of fdatasync p50/p99
 * and durable appends/s, by default at 1 and 16 appenders of 128-byte records (one 4 KiB block per
 * batch); `--cells` picks other appenders x record-bytes pairs, e.g. `--cells 256x128,256x65536`.
 *
 *   pnpm build && node benchmarks/dist/preallocate.js [--rounds 5] [--seconds 3] [--cells 1x128,16x128]
 */
import { openLog } from '@seglog/store';
import { driveAppenders } from './lib/drive.js';
import { median, parseCells, type CellShape } from './lib/stats.js';
import { withTempDir } from './lib/tmpdir.js';

type Policy = boolean | 'auto';
const POLICIES: readonly Policy[] = [true, false, 'auto'];

interface Sample {
  readonly appendsPerSecond: number;
  readonly fdatasyncP50: number;
  readonly fdatasyncP99: number;
  readonly megabytesPerSecond: number;
}

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

/** `--cells 1x128,256x65536`: appenders x record bytes. */
function cells(): CellShape[] {
  const at = process.argv.indexOf('--cells');
  return parseCells(at >= 0 ? process.argv[at + 1]! : '1x128,16x128');
}

async function runOnce(preallocate: Policy, concurrency: number, recordBytes: number, seconds: number): Promise<Sample> {
  return withTempDir(async (dir) => {
    const log = await openLog({ dir, preallocate });
    try {
      const before = log.metrics().flushes;
      const drive = await driveAppenders(
        { append: (payload) => log.append(payload), counters: () => ({ appends: log.metrics().appends, fdatasyncs: log.metrics().flushes }) },
        { recordBytes, concurrency, warmupMillis: 500, durationMillis: seconds * 1000 },
      );
      const fsync = log.metrics().flushMicros;
      if (log.metrics().flushes === before) throw new Error('no fdatasync measured');
      return { appendsPerSecond: drive.appendsPerSecond, fdatasyncP50: fsync.p50, fdatasyncP99: fsync.p99, megabytesPerSecond: (drive.appendsPerSecond * recordBytes) / 1e6 };
    } finally {
      await log.close();
    }
  });
}

async function main(): Promise<void> {
  const rounds = flag('rounds', 5);
  const seconds = flag('seconds', 3);
  console.log(`| appenders | record bytes | preallocate | appends/s (median) | MB/s (median) | fdatasync p50 µs | fdatasync p99 µs | rounds |`);
  console.log(`|---|---|---|---|---|---|---|---|`);
  for (const { concurrency, recordBytes } of cells()) {
    const samples = new Map<Policy, Sample[]>(POLICIES.map((policy) => [policy, []]));
    for (let round = 0; round < rounds; round++) {
      // Rotate the order so drift of the shared disk hits every setting alike.
      const order = POLICIES.map((_, i) => POLICIES[(i + round) % POLICIES.length]!);
      for (const preallocate of order) samples.get(preallocate)!.push(await runOnce(preallocate, concurrency, recordBytes, seconds));
    }
    for (const [preallocate, list] of samples) {
      const m = (pick: (sample: Sample) => number): string => median(list.map(pick)).toFixed(0);
      console.log(`| ${concurrency} | ${recordBytes} | ${preallocate} | ${m((s) => s.appendsPerSecond)} | ${m((s) => s.megabytesPerSecond)} | ${m((s) => s.fdatasyncP50)} | ${m((s) => s.fdatasyncP99)} | ${rounds} |`);
    }
  }
}

await main();

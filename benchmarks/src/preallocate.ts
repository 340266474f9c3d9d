/**
 * One job: decide the `preallocate` default with numbers. Runs seglog with preallocation on and
 * off, alternating, on fresh temp logs, and reports the median over rounds of fdatasync p50/p99
 * and durable appends/s, at 1 and 16 appenders of 128-byte records (one 4 KiB block per batch).
 *
 *   pnpm build && node benchmarks/dist/preallocate.js [--rounds 5] [--seconds 3]
 */
import { openLog } from '@seglog/store';
import { driveAppenders } from './lib/drive.js';
import { withTempDir } from './lib/tmpdir.js';

interface Sample {
  readonly appendsPerSecond: number;
  readonly fdatasyncP50: number;
  readonly fdatasyncP99: number;
}

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

async function runOnce(preallocate: boolean, concurrency: number, seconds: number): Promise<Sample> {
  return withTempDir(async (dir) => {
    const log = await openLog({ dir, preallocate });
    try {
      const before = log.metrics().fdatasyncs;
      const drive = await driveAppenders(
        { append: (payload) => log.append(payload), counters: () => ({ appends: log.metrics().appends, fdatasyncs: log.metrics().fdatasyncs }) },
        { recordBytes: 128, concurrency, warmupMillis: 500, durationMillis: seconds * 1000 },
      );
      const fsync = log.metrics().fdatasyncMicros;
      if (log.metrics().fdatasyncs === before) throw new Error('no fdatasync measured');
      return { appendsPerSecond: drive.appendsPerSecond, fdatasyncP50: fsync.p50, fdatasyncP99: fsync.p99 };
    } finally {
      await log.close();
    }
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const rounds = flag('rounds', 5);
  const seconds = flag('seconds', 3);
  console.log(`| appenders | preallocate | appends/s (median) | fdatasync p50 µs | fdatasync p99 µs | rounds |`);
  console.log(`|---|---|---|---|---|---|`);
  for (const concurrency of [1, 16]) {
    const samples = new Map<boolean, Sample[]>([[true, []], [false, []]]);
    for (let round = 0; round < rounds; round++) {
      // Alternate the order so drift of the shared disk hits both settings alike.
      const order = round % 2 === 0 ? [true, false] : [false, true];
      for (const preallocate of order) samples.get(preallocate)!.push(await runOnce(preallocate, concurrency, seconds));
    }
    for (const [preallocate, list] of samples) {
      console.log(`| ${concurrency} | ${preallocate} | ${median(list.map((s) => s.appendsPerSecond)).toFixed(0)} | ${median(list.map((s) => s.fdatasyncP50)).toFixed(0)} | ${median(list.map((s) => s.fdatasyncP99)).toFixed(0)} | ${rounds} |`);
    }
  }
}

await main();

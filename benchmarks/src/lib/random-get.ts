/**
 * One job: the random-get measurement shared by `main.js random-get` and the suite (issue 11,
 * part 2): a log of about 1 KiB records written in 2 MiB batches, then a reader in a child process
 * of its own (so its RSS is the reader's) doing random gets: latency with a cold page cache (when
 * the caches can be dropped), latency warm, and the reader's RSS against its `cacheBytes`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openLog } from '@seglog/store';
import { openReader } from '@seglog/reader';

const MiB = 1024 * 1024;
const mainScript = fileURLToPath(new URL('../main.js', import.meta.url));

export interface RandomGetSettings {
  readonly logMiB: number;
  readonly recordBytes: number;
  readonly batchMiB: number;
  readonly cacheMiB: number;
  /** Gets measured warm (after as many warm-up gets). */
  readonly gets: number;
  /** Gets measured right after dropping the page cache; 0 for none. */
  readonly coldGets: number;
}

export interface RandomGetFigures {
  readonly records: number;
  readonly batches: number;
  readonly cacheBytes: number;
  readonly warm: { readonly p50Micros: number; readonly p99Micros: number; readonly gets: number };
  /** null when the page cache could not be dropped (not root), or coldGets was 0. */
  readonly cold: { readonly p50Micros: number; readonly p99Micros: number; readonly gets: number } | null;
  readonly coldSkipped: string | null;
  /** The reader process's RSS after open (before any get), at its peak during the gets, in bytes. */
  readonly rssBaseBytes: number;
  readonly rssPeakBytes: number;
  readonly afterGc: MemoryAfterGc;
}

/** Appends records of `recordBytes` in `appendMany` runs that each fill one batch of about `batchMiB`. */
export async function writeGetLog(
  dir: string,
  settings: RandomGetSettings,
): Promise<{ records: number; batches: number }> {
  const maxBatchBytes = settings.batchMiB * MiB;
  // Frames (4 + payload) plus one 12-byte chunk entry per 16 KiB and the 48-byte header must fit.
  const perBatch = Math.floor((maxBatchBytes * 0.98) / (settings.recordBytes + 4));
  const log = await openLog({ dir, maxBatchBytes, maxRecordBytes: settings.recordBytes });
  const payloads = Array.from({ length: perBatch }, (_, i) => new Uint8Array(settings.recordBytes).fill(i & 0xff));
  const batchesWanted = Math.ceil((settings.logMiB * MiB) / (perBatch * (settings.recordBytes + 4)));
  for (let i = 0; i < batchesWanted; i++) await log.appendMany(payloads);
  const records = log.nextOffset;
  const { batches } = log.metrics();
  await log.close();
  return { records, batches };
}

/** Drops the page cache (root only): `sync; echo 3 > /proc/sys/vm/drop_caches`. The reason when it cannot. */
export function dropPageCache(): string | null {
  try {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    return null;
  } catch (error) {
    return `cannot drop the page cache: ${(error as Error).message.split('\n')[0]}`;
  }
}

/** Runs the reader child on `dir` and returns what it measured. */
export async function measureGets(
  dir: string,
  records: number,
  settings: RandomGetSettings,
  cold: boolean,
): Promise<ChildReport> {
  const counts = [records, settings.cacheMiB * MiB, settings.gets, cold ? settings.coldGets : 0].map(String);
  const args = [mainScript, 'random-get-reader', dir, ...counts];
  const child = spawn(process.execPath, ['--expose-gc', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`random-get-reader exited with ${code}`);
  return JSON.parse(stdout) as ChildReport;
}

/** Writes the log, drops the page cache when it can, runs the reader child: the whole measurement. */
export async function runRandomGet(dir: string, settings: RandomGetSettings): Promise<RandomGetFigures> {
  const { records, batches } = await writeGetLog(dir, settings);
  const coldSkipped = settings.coldGets > 0 ? dropPageCache() : 'no cold gets asked for';
  const report = await measureGets(dir, records, settings, coldSkipped === null);
  return {
    records,
    batches,
    cacheBytes: settings.cacheMiB * MiB,
    warm: report.warm,
    cold: report.cold,
    coldSkipped,
    rssBaseBytes: report.rssBaseBytes,
    rssPeakBytes: report.rssPeakBytes,
    afterGc: report.afterGc,
  };
}

export interface ChildReport {
  readonly warm: RandomGetFigures['warm'];
  readonly cold: RandomGetFigures['cold'];
  readonly rssBaseBytes: number;
  readonly rssPeakBytes: number;
  /** After the gets and a full GC, the reader still open: what stays, against what was garbage. */
  readonly afterGc: MemoryAfterGc;
}

export interface MemoryAfterGc {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** ArrayBuffer bytes alive: the reader's cached chunks and tables, mostly. */
  readonly arrayBuffersBytes: number;
}

function percentiles(micros: number[]): { p50Micros: number; p99Micros: number; gets: number } {
  const sorted = [...micros].sort((a, b) => a - b);
  const last = sorted.length - 1;
  const at = (p: number): number => sorted[Math.min(last, Math.floor(last * p))] ?? Number.NaN;
  return { p50Micros: at(0.5), p99Micros: at(0.99), gets: sorted.length };
}

/** The child: random gets through one reader, timed one at a time (closed loop, one in flight). */
export async function readerChild(
  dir: string,
  records: number,
  cacheBytes: number,
  gets: number,
  coldGets: number,
): Promise<ChildReport> {
  const reader = await openReader({ dir, cacheBytes });
  (globalThis as { gc?: () => void }).gc?.();
  const rssBaseBytes = process.memoryUsage().rss;
  let rssPeakBytes = rssBaseBytes;
  let state = 0x9e3779b9;
  const nextOffset = (): number => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return Math.floor((state / 2 ** 32) * records);
  };
  const timed = async (count: number): Promise<number[]> => {
    const micros: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = process.hrtime.bigint();
      await reader.get(nextOffset());
      micros.push(Number(process.hrtime.bigint() - started) / 1000);
      if (i % 256 === 0) rssPeakBytes = Math.max(rssPeakBytes, process.memoryUsage().rss);
    }
    return micros;
  };
  const cold = coldGets > 0 ? percentiles(await timed(coldGets)) : null;
  await timed(gets); // warm-up: the page cache and the reader's cache
  const warm = percentiles(await timed(gets));
  rssPeakBytes = Math.max(rssPeakBytes, process.memoryUsage().rss);
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed, arrayBuffers } = process.memoryUsage();
  await reader.close();
  const afterGc = { rssBytes: rss, heapUsedBytes: heapUsed, arrayBuffersBytes: arrayBuffers };
  return { warm, cold, rssBaseBytes, rssPeakBytes, afterGc };
}

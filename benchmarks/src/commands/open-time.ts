/**
 * One job: how long `openLog` takes after SIGKILL on a large log, warm and cold, and how that time
 * grows with the number of sealed segments (issue 11: <= 200 ms cold on a 10 GiB log, independent
 * of segment count).
 *
 * For each segment size, `open-time-fill` (a child) appends large records until the log holds
 * `--gib`, keeps appending and SIGKILLs itself mid-batch, so the log is left as a crash leaves it.
 * Then each round spawns `open-time-open` (a child): it times `openLog` alone (not node's start-up),
 * prints the figure and SIGKILLs itself too, so every open recovers from a crash, never from a clean
 * close. Cold rounds drop the page cache first (`sync; echo 3 > /proc/sys/vm/drop_caches`, root only).
 * Two segment sizes give the per-segment slope: (open time at many segments - at few) / (count
 * difference). The log is deleted afterwards; check `df -h /tmp` before asking for 10 GiB.
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { openLog } from '@seglog/store';
import { positiveInteger, positiveNumber } from '../lib/args.js';
import { withTempDir } from '../lib/tmpdir.js';
import type { Command } from './command.js';

const mainScript = fileURLToPath(new URL('../main.js', import.meta.url));
const MIB = 1024 * 1024;

export interface OpenTimeRow {
  readonly segmentMiB: number;
  readonly segments: number;
  readonly warmMs: number;
  readonly coldMs: number | null;
}

/** Runs `main.js <command> ...args` and returns the last stdout line; the child may die by SIGKILL. */
async function runChild(command: string, args: readonly string[]): Promise<string> {
  const child = spawn(process.execPath, [mainScript, command, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const signal = await new Promise<NodeJS.Signals | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (_code, closeSignal) => resolve(closeSignal));
  });
  if (signal !== 'SIGKILL') throw new Error(`${command} ended without killing itself (${String(signal)})`);
  return stdout.trim().split('\n').pop() ?? '';
}

/** Drops the page cache so the next open reads from the disk; false when not allowed (not root). */
function dropCaches(): boolean {
  try {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

async function measureSize(gib: number, segmentMiB: number, rounds: number): Promise<OpenTimeRow> {
  return withTempDir(async (dir) => {
    await runChild('open-time-fill', [dir, String(Math.round(gib * 1024 * MIB)), String(segmentMiB * MIB)]);
    const warm: number[] = [];
    const cold: number[] = [];
    let segments = 0;
    await runChild('open-time-open', [dir]); // the first open after the fill's crash: recovers its torn tail
    for (let round = 0; round < rounds; round++) {
      const warmLine = JSON.parse(await runChild('open-time-open', [dir])) as { ms: number; segments: number };
      warm.push(warmLine.ms);
      segments = warmLine.segments;
      if (!dropCaches()) continue;
      cold.push((JSON.parse(await runChild('open-time-open', [dir])) as { ms: number }).ms);
    }
    return { segmentMiB, segments, warmMs: median(warm), coldMs: cold.length > 0 ? median(cold) : null };
  });
}

export function renderOpenTime(rows: readonly OpenTimeRow[]): string {
  const lines = ['segment MiB  segments  warm ms  cold ms'];
  for (const row of rows) {
    const cold = row.coldMs === null ? 'n/a' : row.coldMs.toFixed(1);
    lines.push(`${String(row.segmentMiB).padStart(11)}  ${String(row.segments).padStart(8)}  ${row.warmMs.toFixed(1).padStart(7)}  ${cold.padStart(7)}`);
  }
  const few = rows[0];
  const many = rows[rows.length - 1];
  if (few !== undefined && many !== undefined && many.segments !== few.segments) {
    const per = (a: number, b: number): string => (((b - a) / (many.segments - few.segments)) * 1000).toFixed(1);
    const coldSlope = few.coldMs !== null && many.coldMs !== null ? `, cold ${per(few.coldMs, many.coldMs)} us` : '';
    lines.push(`slope per sealed segment: warm ${per(few.warmMs, many.warmMs)} us${coldSlope}`);
  }
  return lines.join('\n');
}

export async function openTimeRows(
  gib: number,
  segmentSizesMiB: readonly number[],
  rounds: number,
): Promise<OpenTimeRow[]> {
  const rows: OpenTimeRow[] = [];
  for (const segmentMiB of segmentSizesMiB) rows.push(await measureSize(gib, segmentMiB, rounds));
  return rows;
}

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
    console.log(renderOpenTime(await openTimeRows(gib, sizes, rounds)));
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

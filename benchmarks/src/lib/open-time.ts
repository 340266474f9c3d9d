/**
 * One job: the open-time measurement shared by `main.js open-time` and the suite's open-time cell
 * (issue 11: `openLog` after SIGKILL, 10 GiB log, cold cache <= 200 ms, independent of segment count).
 *
 * For each segment size, `open-time-fill` (a child) appends 64 KiB records until the log holds
 * `gib`, keeps appending and SIGKILLs itself mid-batch, so the log is left as a crash leaves it.
 * Then each round spawns `open-time-open` (a child): it times `openLog` alone (not node's start-up),
 * prints the figure and SIGKILLs itself too, so every open recovers from a crash, never from a clean
 * close. Cold rounds drop the page cache first (root only). Two segment sizes give the slope per
 * sealed segment: (open time at many segments - at few) / (count difference). The log is deleted
 * after each size; the fill refuses to start when the temp dir's file system lacks the room.
 */
import { spawn } from 'node:child_process';
import { statfs } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dropPageCache } from './random-get.js';
import { benchTempRoot, withTempDir } from './tmpdir.js';

const mainScript = fileURLToPath(new URL('../main.js', import.meta.url));
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** Room kept free beyond the log itself: preallocated next segment, HEAD, the rest of the machine. */
const headroomBytes = 1 * GiB;

export interface OpenTimeSettings {
  /** Log size filled before the crash. */
  readonly gib: number;
  /** Segment sizes, the first giving few segments, the last many. */
  readonly segmentMiB: readonly number[];
  /** Opens per size and temperature; the median is reported. */
  readonly rounds: number;
}

export interface OpenTimeRow {
  readonly segmentMiB: number;
  readonly segments: number;
  readonly warmMs: number;
  /** null when the page cache could not be dropped. */
  readonly coldMs: number | null;
}

export interface OpenTimeFigures {
  readonly gib: number;
  readonly rows: readonly OpenTimeRow[];
  /** Why there are no cold figures (not root), or null. */
  readonly coldSkipped: string | null;
}

/** Runs `main.js <command> ...args` and returns the last stdout line; the child must die by SIGKILL. */
async function runKilledChild(command: string, args: readonly string[]): Promise<string> {
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

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Throws before a fill that would leave less than `headroomBytes` free on the temp dir's file system. */
export async function checkRoom(gib: number, root = benchTempRoot()): Promise<void> {
  const stats = await statfs(root);
  const free = stats.bavail * stats.bsize;
  const needed = gib * GiB + headroomBytes;
  if (free < needed) {
    const show = (bytes: number): string => `${(bytes / GiB).toFixed(1)} GiB`;
    throw new Error(`a ${gib} GiB log needs ${show(needed)} free under ${root}, which has ${show(free)}`);
  }
}

interface OpenLine {
  readonly ms: number;
  readonly segments: number;
}

async function timedOpen(dir: string): Promise<OpenLine> {
  return JSON.parse(await runKilledChild('open-time-open', [dir])) as OpenLine;
}

type MeasuredRow = OpenTimeRow & { readonly coldSkipped: string | null };

async function measureSize(gib: number, segmentMiB: number, rounds: number): Promise<MeasuredRow> {
  return withTempDir(async (dir) => {
    await runKilledChild('open-time-fill', [dir, String(Math.round(gib * GiB)), String(segmentMiB * MiB)]);
    await runKilledChild('open-time-open', [dir]); // the first open after the fill's crash: recovers its torn tail
    const warm: number[] = [];
    const cold: number[] = [];
    let segments = 0;
    let coldSkipped: string | null = null;
    for (let round = 0; round < rounds; round++) {
      const warmLine = await timedOpen(dir);
      warm.push(warmLine.ms);
      segments = warmLine.segments;
      coldSkipped = dropPageCache();
      if (coldSkipped === null) cold.push((await timedOpen(dir)).ms);
    }
    return { segmentMiB, segments, warmMs: median(warm), coldMs: cold.length > 0 ? median(cold) : null, coldSkipped };
  });
}

/** Fills, crashes and opens a log of `settings.gib` at each segment size in turn. */
export async function runOpenTime(settings: OpenTimeSettings): Promise<OpenTimeFigures> {
  await checkRoom(settings.gib);
  const rows: OpenTimeRow[] = [];
  let coldSkipped: string | null = null;
  for (const segmentMiB of settings.segmentMiB) {
    const { coldSkipped: reason, ...row } = await measureSize(settings.gib, segmentMiB, settings.rounds);
    rows.push(row);
    coldSkipped ??= reason;
  }
  return { gib: settings.gib, rows, coldSkipped };
}

/**
 * Open time added per sealed segment, in microseconds, between the row with the fewest segments
 * and the row with the most; null when the rows do not differ in segment count or lack the figure.
 */
export function slopeMicrosPerSegment(
  rows: readonly OpenTimeRow[],
  pick: (row: OpenTimeRow) => number | null,
): number | null {
  if (rows.length < 2) return null;
  const sorted = [...rows].sort((a, b) => a.segments - b.segments);
  const few = sorted[0]!;
  const many = sorted[sorted.length - 1]!;
  const fewMs = pick(few);
  const manyMs = pick(many);
  if (many.segments === few.segments || fewMs === null || manyMs === null) return null;
  return ((manyMs - fewMs) / (many.segments - few.segments)) * 1000;
}

export function renderOpenTime(figures: OpenTimeFigures): string {
  const lines = ['segment MiB  segments  warm ms  cold ms'];
  for (const row of figures.rows) {
    const cold = row.coldMs === null ? 'n/a' : row.coldMs.toFixed(1);
    const columns = [
      String(row.segmentMiB).padStart(11),
      String(row.segments).padStart(8),
      row.warmMs.toFixed(1).padStart(7),
      cold.padStart(7),
    ];
    lines.push(columns.join('  '));
  }
  const warm = slopeMicrosPerSegment(figures.rows, (row) => row.warmMs);
  const cold = slopeMicrosPerSegment(figures.rows, (row) => row.coldMs);
  if (warm !== null) {
    const coldText = cold === null ? '' : `, cold ${cold.toFixed(1)} us`;
    lines.push(`slope per sealed segment: warm ${warm.toFixed(1)} us${coldText}`);
  }
  if (figures.coldSkipped !== null) lines.push(`no cold opens: ${figures.coldSkipped}`);
  return lines.join('\n');
}

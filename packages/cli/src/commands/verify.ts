/**
 * One job: `seglog verify <dir>`: every checksum, the chain within and between segments, the
 * indexes, and HEAD's acknowledged end; `--quick` reads only what recovery reads. Reads without a
 * lock, beside a live writer too: a writer's batch in flight looks like a torn tail (exit 2) until
 * it completes, which is the truth about the bytes at that moment.
 */
import { Exit, statusOf } from '../exit-codes.js';
import { readLogDir } from '../log-dir.js';
import { checkLog } from '../log-check.js';
import type { LogCheck } from '../log-check.js';
import type { Context } from '../context.js';
import { startProgress } from '../progress.js';
import { autoLanes } from '../segment-workers.js';

export interface VerifyFlags {
  readonly quick: boolean;
  readonly maxErrors: number;
  readonly progress: 'auto' | 'always' | 'never';
  /** Segments checked at once (`--jobs`); undefined: `lanesFor` decides. */
  readonly jobs: number | undefined;
}

/**
 * Below this many bytes a full verify stays on one thread: a worker's start-up (an isolate and
 * the modules, about 50 ms of CPU) would cost more than it saves. 64 MiB is one default segment,
 * which one thread checks in about 30 ms.
 */
const PARALLEL_VERIFY_BYTES_MIN = 64 * 1024 * 1024;

/** How many segments to check at once: `--jobs`, else one lane per CPU for a big full verify. */
export function lanesFor(flags: VerifyFlags, totalBytes: number): number {
  if (flags.jobs !== undefined) return flags.jobs;
  if (flags.quick || totalBytes < PARALLEL_VERIFY_BYTES_MIN) return 1;
  return autoLanes();
}

export async function verify(ctx: Context, dir: string, flags: VerifyFlags): Promise<number> {
  const startedAt = new Date();
  const logDir = await readLogDir(dir);
  const totalBytes = logDir.segments.reduce((sum, segment) => sum + segment.sizeBytes, 0);
  const progress = await startProgress(flags.progress, ctx.out.format, totalBytes);
  let check: LogCheck;
  try {
    const onBytes = (bytes: number): void => progress.add(bytes);
    const jobs = lanesFor(flags, totalBytes);
    const { quick, maxErrors } = flags;
    check = await checkLog(logDir, { quick, maxErrors, signal: ctx.signal, onBytes, jobs });
  } finally {
    progress.stop();
  }
  const durationMs = Date.now() - startedAt.getTime();
  const verifiedBytes = check.segments.reduce((sum, segment) => sum + segment.checkedBytes, 0);
  const records = check.segments.reduce((sum, segment) => sum + segment.records, 0);
  const torn = check.segments.find((segment) => segment.tornTail !== null);
  const report = {
    tool: 'seglog verify',
    dir,
    startedAt: startedAt.toISOString(),
    durationMs,
    mode: flags.quick ? 'quick' : 'full',
    status: statusOf(check.exitCode),
    exitCode: check.exitCode,
    bounds: { low: check.firstOffset, durable: check.durableOffset, written: check.nextOffset },
    summary: {
      segments: check.segments.length,
      records,
      bytes: totalBytes,
      verifiedBytes,
      mbPerSec: durationMs > 0 ? Math.round((verifiedBytes / 1e6 / (durationMs / 1000)) * 10) / 10 : null,
    },
    tornTail: torn?.tornTail ? { segment: torn.segment.name, ...torn.tornTail } : null,
    errors: check.problems,
    errorsTruncated: check.errorsTruncated,
    suggestion: suggestionFor(check, dir),
  };
  if (ctx.out.format === 'text') await printText(ctx, report, check);
  else await ctx.out.document(report);
  return check.exitCode;
}

function suggestionFor(check: LogCheck, dir: string): string | null {
  if (check.exitCode & Exit.dataProblem) return `seglog repair ${dir} --salvage <newdir>`;
  if (check.problems.some((found) => found.kind === 'torn-tail')) return `seglog repair ${dir} --apply (or open the log: recovery cuts a torn tail)`;
  if (check.problems.some((found) => found.kind === 'index')) return `seglog index rebuild ${dir}`;
  return null;
}

interface TextReport {
  readonly status: string;
  readonly summary: { segments: number; records: number; verifiedBytes: number; mbPerSec: number | null };
  readonly suggestion: string | null;
  readonly errorsTruncated: boolean;
  readonly bounds: { low: number; durable: number | null; written: number };
}

async function printText(ctx: Context, report: TextReport, check: LogCheck): Promise<void> {
  const { summary, bounds } = report;
  await ctx.out.line(`${report.status}: ${summary.segments} segments, ${summary.records} records, ${summary.verifiedBytes} bytes read${summary.mbPerSec === null ? '' : ` (${summary.mbPerSec} MB/s)`}`);
  await ctx.out.line(`offsets: first ${bounds.low}, durable ${bounds.durable ?? 'unknown (no HEAD)'}, written ${bounds.written}`);
  for (const found of check.problems) await ctx.out.line(`${found.severity === 'warning' ? 'warning' : 'error'} ${found.code}: ${found.message}`);
  if (report.errorsTruncated) await ctx.out.line('more errors were found; raise --max-errors to see them');
  if (report.suggestion !== null) await ctx.out.line(`next: ${report.suggestion}`);
}

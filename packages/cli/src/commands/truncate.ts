/**
 * One job: `seglog truncate <dir> --before <offset>`: drop every record below an offset, on the
 * library's own `truncateBefore` (raise HEAD's low-water mark durably, then unlink the segments
 * that hold only records below it; a crash in between is finished by the next open).
 *
 * A dry run by default: it reads the directory without a lock and prints the plan (the new first
 * offset, how many records become unreadable, which whole segments are deleted), changing no
 * byte. `--apply` opens the log as its writer (the writer lock: SEGLOG_LOCKED, exit 8, while a
 * live writer holds it; recovery runs as at any open), truncates, closes, and exits 1 if anything
 * changed. The plan uses the library's rule: a segment goes when the next one starts at or below
 * the offset, and the last segment never goes.
 */
import { openLog } from '@seglog/store';
import { SeglogError } from '@seglog/types';
import type { Context } from '../context.js';
import { Exit } from '../exit-codes.js';
import { checkLog } from '../log-check.js';
import { readLogDir } from '../log-dir.js';
import type { LogDir } from '../log-dir.js';

export interface TruncateFlags {
  readonly before: number;
  readonly apply: boolean;
}

interface DroppedSegment {
  readonly file: string;
  readonly baseOffset: number;
  readonly bytes: number;
}

interface TruncatePlan {
  readonly before: number;
  readonly firstOffset: { readonly from: number; readonly to: number };
  /** Records below the new first offset that become unreadable. */
  readonly recordsDropped: number;
  readonly segmentsDropped: DroppedSegment[];
  readonly bytesDropped: number;
}

export async function truncate(ctx: Context, dir: string, flags: TruncateFlags): Promise<number> {
  const logDir = await readLogDir(dir);
  const check = await checkLog(logDir, { quick: true, maxErrors: 100, signal: ctx.signal });
  const durableOffset = check.durableOffset ?? check.nextOffset;
  if (flags.before > durableOffset) throw SeglogError.outOfRange(flags.before, check.firstOffset, durableOffset);
  const plan = planFor(logDir, check.firstOffset, flags.before);
  const changes = plan.recordsDropped > 0 || plan.segmentsDropped.length > 0;
  if (!flags.apply || !changes) {
    await report(ctx, dir, plan, false, changes);
    return Exit.clean;
  }
  ctx.signal.throwIfAborted();
  const log = await openLog({ dir });
  try {
    await log.truncateBefore(flags.before);
  } finally {
    await log.close();
  }
  await report(ctx, dir, plan, true, changes);
  return Exit.changed;
}

function planFor(logDir: LogDir, firstOffset: number, before: number): TruncatePlan {
  const segments = logDir.segments;
  const segmentsDropped: DroppedSegment[] = [];
  for (let i = 0; i + 1 < segments.length && segments[i + 1]!.baseOffset <= before; i++) {
    const segment = segments[i]!;
    segmentsDropped.push({ file: segment.name, baseOffset: segment.baseOffset, bytes: segment.sizeBytes });
  }
  const to = Math.max(firstOffset, before);
  return {
    before,
    firstOffset: { from: firstOffset, to },
    recordsDropped: to - firstOffset,
    segmentsDropped,
    bytesDropped: segmentsDropped.reduce((sum, segment) => sum + segment.bytes, 0),
  };
}

async function report(
  ctx: Context,
  dir: string,
  plan: TruncatePlan,
  applied: boolean,
  changes: boolean,
): Promise<void> {
  const exitCode = applied ? Exit.changed : Exit.clean;
  if (ctx.out.format !== 'text') {
    await ctx.out.document({ tool: 'seglog truncate', dir, applied, plan, exitCode });
    return;
  }
  const { from, to } = plan.firstOffset;
  if (!changes) {
    await ctx.out.line(`nothing to do: the first offset is already ${from} (at or above ${plan.before})`);
    return;
  }
  const files = plan.segmentsDropped.map((segment) => segment.file).join(', ');
  const deleted = plan.segmentsDropped.length === 0
    ? 'no whole segment is deleted (the records below stay in their file, unreadable)'
    : `${plan.segmentsDropped.length} whole segments (${plan.bytesDropped} bytes) are deleted: ${files}`;
  await ctx.out.line(`${applied ? 'done' : 'plan'}: first offset ${from} -> ${to}: ${plan.recordsDropped} records become unreadable; ${deleted}`);
  if (!applied) ctx.out.note('dry run: nothing was changed; run again with --apply (takes the writer lock)');
}

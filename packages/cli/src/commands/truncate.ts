/**
 * One job: `seglog truncate <dir> --before <offset> | --after <offset>`, on the library's own
 * truncation, so the command and a program that calls it drop exactly the same records.
 *
 * - `--before`: `log.truncateBefore` raises HEAD's low-water mark durably, then unlinks the
 *   segments that hold only records below it (a segment goes when the next one starts at or below
 *   the mark; the last never goes). Retention holds stop the mark at the lowest hold below it
 *   unless `--force`, which drops past them and names the holds it overrode.
 * - `--after`: `log.truncateAfter` drops the records at the offset and after (HEAD records the
 *   pending cut first; a crash is finished by the next open); those offsets are handed out again,
 *   and a reader that had read past the offset gets SEGLOG_TRUNCATED.
 *
 * A dry run by default: it reads the directory and the holds without a lock and prints the plan,
 * changing no byte. `--apply` opens the log as its writer (the writer lock: SEGLOG_LOCKED, exit 8,
 * while a live writer holds it; recovery runs as at any open), truncates, closes, and exits 1 if
 * anything changed.
 */
import { listRetentionHolds, openLog } from '@seglog/store';
import type { RetentionHold } from '@seglog/store';
import { SeglogError } from '@seglog/types';
import { CliError } from '../cli-error.js';
import type { Context } from '../context.js';
import { Exit } from '../exit-codes.js';
import { checkLog } from '../log-check.js';
import type { LogCheck } from '../log-check.js';
import { readLogDir } from '../log-dir.js';
import type { LogDir } from '../log-dir.js';

export interface TruncateFlags {
  readonly before: number | undefined;
  readonly after: number | undefined;
  readonly force: boolean;
  readonly apply: boolean;
}

interface SegmentRef {
  readonly file: string;
  readonly baseOffset: number;
  readonly bytes: number;
}

interface BeforePlan {
  readonly kind: 'before';
  readonly before: number;
  readonly firstOffset: { readonly from: number; readonly to: number };
  /** Records below the new first offset that become unreadable. */
  readonly recordsDropped: number;
  readonly segmentsDropped: SegmentRef[];
  readonly bytesDropped: number;
  /** Holds below `before` that keep the mark at the lowest of them (empty with --force). */
  readonly heldBy: RetentionHold[];
  /** With --force: the holds the drop goes past. */
  readonly overriddenHolds: RetentionHold[];
}

interface AfterPlan {
  readonly kind: 'after';
  readonly after: number;
  readonly nextOffset: { readonly from: number; readonly to: number };
  /** Acknowledged records dropped; their offsets are handed out again. */
  readonly recordsDropped: number;
  /** Segments that start at or above the offset: deleted (the first segment always stays). */
  readonly segmentsDropped: SegmentRef[];
  /** The segment cut at the offset, or null when the cut falls on a segment boundary. */
  readonly segmentCut: string | null;
}

type Plan = BeforePlan | AfterPlan;

export async function truncate(ctx: Context, dir: string, flags: TruncateFlags): Promise<number> {
  if ((flags.before === undefined) === (flags.after === undefined)) throw CliError.usage('give exactly one of --before and --after');
  if (flags.force && flags.before === undefined) throw CliError.usage('--force goes with --before (it overrides retention holds)');
  const logDir = await readLogDir(dir);
  const check = await checkLog(logDir, { quick: true, maxErrors: 100, signal: ctx.signal });
  const firstOffset = check.firstOffset;
  const durableOffset = check.durableOffset ?? check.nextOffset;
  const offset = flags.before ?? flags.after!;
  if (offset > durableOffset || (flags.after !== undefined && offset < firstOffset)) {
    throw SeglogError.outOfRange(offset, firstOffset, durableOffset);
  }
  const plan = flags.before !== undefined
    ? planBefore(logDir, firstOffset, flags.before, await listRetentionHolds({ dir }), flags.force)
    : planAfter(check, durableOffset, flags.after!);
  if (!flags.apply || plan.recordsDropped === 0) {
    await report(ctx, dir, plan, false);
    return Exit.clean;
  }
  ctx.signal.throwIfAborted();
  const log = await openLog({ dir });
  try {
    if (plan.kind === 'before') await log.truncateBefore(plan.before, { force: flags.force });
    else await log.truncateAfter(plan.after);
  } finally {
    await log.close();
  }
  await report(ctx, dir, plan, true);
  return Exit.changed;
}

/** What `truncateBefore` does, by its own rules (low-water.ts, segment-dropper.ts). */
function planBefore(
  logDir: LogDir,
  current: number,
  before: number,
  holds: RetentionHold[],
  force: boolean,
): BeforePlan {
  const below = holds.filter((hold) => hold.offset < before).sort((a, b) => a.offset - b.offset);
  const lowest = below[0]?.offset;
  const to = before <= current ? current : force || lowest === undefined ? before : Math.max(current, lowest);
  const segments = logDir.segments;
  const segmentsDropped: SegmentRef[] = [];
  for (let i = 0; i + 1 < segments.length && segments[i + 1]!.baseOffset <= to; i++) {
    const segment = segments[i]!;
    segmentsDropped.push({ file: segment.name, baseOffset: segment.baseOffset, bytes: segment.sizeBytes });
  }
  return {
    kind: 'before',
    before,
    firstOffset: { from: current, to },
    recordsDropped: to - current,
    segmentsDropped,
    bytesDropped: segmentsDropped.reduce((sum, segment) => sum + segment.bytes, 0),
    heldBy: force || before <= current ? [] : below,
    overriddenHolds: force && before > current ? below : [],
  };
}

/** What `truncateAfter` does, by its own rule (tail-truncation.ts). */
function planAfter(check: LogCheck, durableOffset: number, after: number): AfterPlan {
  const segments = check.segments;
  const segmentsDropped = segments
    .filter((segment, i) => i > 0 && segment.segment.baseOffset >= after)
    .map(({ segment }) => ({ file: segment.name, baseOffset: segment.baseOffset, bytes: segment.sizeBytes }));
  const kept = segments.filter((segment, i) => i === 0 || segment.segment.baseOffset < after);
  const last = kept[kept.length - 1];
  return {
    kind: 'after',
    after,
    nextOffset: { from: durableOffset, to: Math.min(after, durableOffset) },
    recordsDropped: Math.max(0, durableOffset - after),
    segmentsDropped,
    segmentCut: last !== undefined && last.chainEndOffset > after ? last.segment.name : null,
  };
}

async function report(ctx: Context, dir: string, plan: Plan, applied: boolean): Promise<void> {
  if (ctx.out.format !== 'text') {
    await ctx.out.document({ tool: 'seglog truncate', dir, applied, plan, exitCode: applied ? Exit.changed : Exit.clean });
    return;
  }
  const verb = applied ? 'done' : 'plan';
  for (const line of plan.kind === 'before' ? beforeLines(plan) : afterLines(plan)) await ctx.out.line(`${verb}: ${line}`);
  if (!applied && plan.recordsDropped > 0) ctx.out.note('dry run: nothing was changed; run again with --apply (takes the writer lock)');
}

function beforeLines(plan: BeforePlan): string[] {
  const holds = (list: RetentionHold[]): string => list.map((hold) => `${hold.name} at ${hold.offset}`).join(', ');
  const lines: string[] = [];
  if (plan.heldBy.length > 0) lines.push(`retention holds stop the mark at ${plan.firstOffset.to}: ${holds(plan.heldBy)} (--force drops past them)`);
  if (plan.overriddenHolds.length > 0) lines.push(`--force drops past retention holds ${holds(plan.overriddenHolds)}`);
  if (plan.recordsDropped === 0) return [...lines, `nothing to drop: the first offset stays ${plan.firstOffset.from}`];
  const files = plan.segmentsDropped.map((segment) => segment.file).join(', ');
  const deleted = plan.segmentsDropped.length === 0
    ? 'no whole segment is deleted (the records below stay in their file, unreadable)'
    : `${plan.segmentsDropped.length} whole segments (${plan.bytesDropped} bytes) are deleted: ${files}`;
  const { from, to } = plan.firstOffset;
  return [...lines, `first offset ${from} -> ${to}: ${plan.recordsDropped} records become unreadable; ${deleted}`];
}

function afterLines(plan: AfterPlan): string[] {
  const { from, to } = plan.nextOffset;
  if (plan.recordsDropped === 0) return [`nothing to drop: the log ends at ${from}`];
  const files = plan.segmentsDropped.map((segment) => segment.file);
  const deleted = files.length === 0 ? '' : `; ${files.length} segments are deleted: ${files.join(', ')}`;
  const cut = plan.segmentCut === null ? '' : `; ${plan.segmentCut} is cut at offset ${plan.after}`;
  return [`end ${from} -> ${to}: ${plan.recordsDropped} acknowledged records are dropped and their offsets reused${deleted}${cut}`];
}

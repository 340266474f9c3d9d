/**
 * One job: check a whole log directory, segment by segment (segment-check.ts), and add what only
 * the log as a whole shows: a gap between segments (a missing segment), a first segment above
 * HEAD's low-water mark, and a chain that ends below HEAD's `durableOffset` (acknowledged records
 * lost). Then say what it all means as exit bits: warnings (2) or a data problem (4).
 */
import type { SegmentExpectation, SegmentHeader } from '@seglog/format';
import { nodeFileIO } from '@seglog/io';
import { isSeglogError } from '@seglog/types';
import { Exit } from './exit-codes.js';
import type { LogDir, SegmentFile } from './log-dir.js';
import { problem, readSegmentHeader } from './segment-check.js';
import { checkSegmentsOnLanes } from './segment-lanes.js';
import type { Problem, SegmentCheck } from './segment-check.js';

export interface LogCheckOptions {
  readonly quick: boolean;
  readonly maxErrors: number;
  readonly signal: AbortSignal;
  readonly onBytes?: (bytes: number) => void;
  readonly onSegment?: (check: SegmentCheck) => void;
  /** Segments checked at once (segment-lanes.ts); 1, the default, checks them one by one here. */
  readonly jobs?: number;
}

export interface LogCheck {
  readonly segments: SegmentCheck[];
  readonly problems: Problem[];
  readonly errorsTruncated: boolean;
  /** First offset of the log (HEAD's low-water mark, else the first segment's base). */
  readonly firstOffset: number;
  /** HEAD's durable end, or null without a valid HEAD. */
  readonly durableOffset: number | null;
  /** Where the chain of the last segment ends: the next offset the writer would give. */
  readonly nextOffset: number;
  readonly exitCode: number;
}

export async function checkLog(logDir: LogDir, options: LogCheckOptions): Promise<LogCheck> {
  const problems: Problem[] = [];
  const log = await logExpectation(logDir.segments);
  const tasks = logDir.segments.map((segment, i) => ({
    segment,
    options: { quick: options.quick, isLast: i === logDir.segments.length - 1, log: log.forSegment(i) },
  }));
  const onBytes = options.onBytes ?? ((): void => undefined);
  const lanesOptions = { lanes: options.jobs ?? 1, signal: options.signal, onBytes };
  const checks = await checkSegmentsOnLanes(tasks, lanesOptions);
  for (const [i, check] of checks.entries()) {
    const segment = check.segment;
    const previous = checks[i - 1];
    if (previous !== undefined && previous.header !== null && segment.baseOffset !== previous.chainEndOffset) {
      problems.push(gapProblem(previous, segment.baseOffset));
    }
    if (check.index.state === 'missing' && i < logDir.segments.length - 1 && check.header !== null) {
      problems.push(problem('SEGLOG_INDEX_MISSING', 'index', 'warning', segment, null, null, null, null, `${segment.indexPath} is missing; run seglog index rebuild`));
    }
    problems.push(...check.problems);
    options.onSegment?.(check);
  }
  const head = logDir.head;
  const first = logDir.segments[0];
  const last = checks[checks.length - 1];
  const nextOffset = last?.chainEndOffset ?? head?.durableOffset ?? 0;
  if (head !== null && first !== undefined && first.baseOffset > head.firstOffset) {
    problems.push(problem('SEGLOG_CORRUPT', 'missing-segment', 'data', first, head.firstOffset, null, null, null,
      `the first segment starts at offset ${first.baseOffset} but HEAD's first offset is ${head.firstOffset}: a segment is missing`));
  }
  if (head !== null && nextOffset < head.durableOffset) {
    problems.push(problem('SEGLOG_CORRUPT', 'lost-acknowledged', 'data', last?.segment ?? null, nextOffset, last?.endPositionBytes ?? null, null, null,
      `the log ends at offset ${nextOffset} but HEAD says offsets below ${head.durableOffset} were acknowledged: ${head.durableOffset - nextOffset} acknowledged records are missing`));
  }
  if (!logDir.headPresent && logDir.segments.length > 0) {
    problems.push(problem('SEGLOG_HEAD_MISSING', 'head', 'warning', null, null, null, null, null, `${logDir.dir}/HEAD is missing: the durable end is not known, so every valid record counts as durable`));
  } else if (logDir.headPresent && head === null) {
    problems.push(problem('SEGLOG_CORRUPT', 'head', 'data', null, null, null, null, null, `${logDir.dir}/HEAD has no valid slot: the acknowledged end is not known`));
  }
  const kept = problems.slice(0, options.maxErrors);
  return {
    segments: checks,
    problems: kept,
    errorsTruncated: kept.length < problems.length,
    firstOffset: head?.firstOffset ?? first?.baseOffset ?? 0,
    durableOffset: head?.durableOffset ?? null,
    nextOffset,
    exitCode: exitBitsOf(problems),
  };
}

/**
 * What every segment's header must agree with: the log id and block size of the first segment
 * whose header decodes. Segments are checked in parallel, so it is read up front (one small read)
 * instead of taken from the first check; a segment before that one is checked against nothing,
 * as it was when segments were checked one by one (its header failed to decode alone).
 */
async function logExpectation(segments: readonly SegmentFile[]): Promise<{ forSegment(i: number): SegmentExpectation['log'] }> {
  for (const [first, segment] of segments.entries()) {
    const header = await headerAlone(segment);
    if (header === null) continue;
    const log = { logId: header.logId, blockBytes: header.blockBytes, path: segment.path };
    return { forSegment: (i) => (i < first ? null : log) };
  }
  return { forSegment: () => null };
}

/** The segment's header checked alone, or null when it does not decode (its check reports why). */
async function headerAlone(segment: SegmentFile): Promise<SegmentHeader | null> {
  const handle = await nodeFileIO.open(segment.path, 'read');
  try {
    return await readSegmentHeader(handle, segment, null);
  } catch (error) {
    if (isSeglogError(error)) return null;
    throw error;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function gapProblem(previous: SegmentCheck, nextBase: number): Problem {
  const lost = nextBase - previous.chainEndOffset;
  const message = lost > 0
    ? `${previous.segment.name} ends at offset ${previous.chainEndOffset} but the next segment starts at ${nextBase}: ${lost} records are missing (a missing or damaged segment)`
    : `${previous.segment.name} ends at offset ${previous.chainEndOffset} but the next segment starts at ${nextBase}: segments overlap`;
  return problem('SEGLOG_CORRUPT', 'gap', 'data', previous.segment, previous.chainEndOffset, previous.endPositionBytes, null, null, message);
}

export function exitBitsOf(problems: readonly Problem[]): number {
  let bits = 0;
  for (const found of problems) {
    if (found.severity === 'warning') bits |= Exit.warnings;
    else if (found.severity === 'data') bits |= Exit.dataProblem;
    else bits |= Exit.operational;
  }
  // A data problem makes warnings moot only in wording; the bits still add up, as fsck's do.
  return bits;
}

/**
 * One job: automatic retention. Every `intervalMs` a background pass lists the segments, plans how
 * far to raise the low-water mark (`planRetention`, pure), and raises it through the log's own
 * serialized `truncateBefore` path (low-water.ts), so holds, crash safety and metrics are the same
 * for both. It keeps the counters of `LogMetrics.retention`.
 *
 * What a pass may drop: whole sealed segments, oldest first, while the log's files are over
 * `maxBytes`, or while the segment's last append is older than `maxAgeMs`. The segment being
 * appended to is never dropped, so a log never shrinks below one segment. A segment's last append
 * time comes from its last batch's header (format v2); a v1 segment falls back to the file's mtime.
 * A pass never blocks appends: it touches only sealed segments and HEAD, whose writes are queued
 * with the checkpoint's own.
 */
import { join } from 'node:path';
import { SeglogError } from '@seglog/types';
import type { FileIO, RetentionMetrics } from '@seglog/types';
import { indexFileName, parseSegmentFileName } from '@seglog/format';
import { publishError } from './diagnostics.js';
import { wrapIo } from './io-errors.js';
import type { TruncateBeforeResult } from './low-water.js';
import type { ResolvedRetention } from './options.js';

/** What the planner needs to know about one segment. */
export interface SegmentFacts {
  readonly baseOffset: number;
  readonly path: string;
  /** The segment's file and its index file. */
  readonly bytes: number;
  /** Wall-clock ms of its last append, when known. */
  readonly lastAppendMs: number | undefined;
}

/**
 * The offset to raise the low-water mark to, or null when nothing is due. `segments` are in offset
 * order; the last one is the segment being appended to and always stays.
 */
export function planRetention(
  segments: readonly SegmentFacts[],
  policy: ResolvedRetention,
  nowMs: number,
): number | null {
  let bytes = segments.reduce((sum, segment) => sum + segment.bytes, 0);
  let keepFrom = 0;
  for (; keepFrom + 1 < segments.length; keepFrom++) {
    const segment = segments[keepFrom]!;
    const overSize = policy.maxBytes !== null && bytes > policy.maxBytes;
    const age = segment.lastAppendMs === undefined ? undefined : nowMs - segment.lastAppendMs;
    const tooOld = policy.maxAgeMs !== null && age !== undefined && age > policy.maxAgeMs;
    if (!overSize && !tooOld) break;
    bytes -= segment.bytes;
  }
  return keepFrom === 0 ? null : segments[keepFrom]!.baseOffset;
}

export interface ListedSegment {
  readonly facts: SegmentFacts;
  readonly modifiedMs: number | undefined;
}

/** The segments of `dir` in offset order, each with its bytes (segment + index) and mtime. */
export async function listSegmentFiles(io: FileIO, dir: string): Promise<ListedSegment[]> {
  const names = await wrapIo('readdir', dir, () => io.readdir(dir));
  const found: ListedSegment[] = [];
  for (const name of names) {
    const baseOffset = parseSegmentFileName(name);
    if (baseOffset === null) continue;
    const path = join(dir, name);
    const stat = await wrapIo('stat', path, () => io.stat(path));
    if (stat === null) continue; // dropped meanwhile
    const indexPath = join(dir, indexFileName(baseOffset));
    const index = await wrapIo('stat', indexPath, () => io.stat(indexPath));
    const bytes = stat.sizeBytes + (index?.sizeBytes ?? 0);
    found.push({ facts: { baseOffset, path, bytes, lastAppendMs: undefined }, modifiedMs: stat.modifiedMs });
  }
  return found.sort((a, b) => a.facts.baseOffset - b.facts.baseOffset);
}

export interface RetentionConfig {
  readonly io: FileIO;
  readonly dir: string;
  /** Null: no automatic retention (the counters still follow `truncateBefore` and `truncateAfter`). */
  readonly policy: ResolvedRetention | null;
  /** The log's serialized, hold-honouring raise of the low-water mark. */
  readonly raise: (offset: number) => Promise<TruncateBeforeResult>;
  /** The wall-clock ms of the last append in a sealed segment, when its batches carry it (v2). */
  readonly lastAppendMs: (segment: SegmentFacts) => Promise<number | undefined>;
}

export class Retention {
  readonly #config: RetentionConfig;
  /** Sealed segments do not change: their last append time is learned once. */
  readonly #appendTimes = new Map<number, number | undefined>();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  #logBytes = 0;
  #logSegments = 0;
  #firstOffset: number;
  #passes = 0;
  #segmentsDropped = 0;
  #bytesDropped = 0;
  #recordsDropped = 0;
  #heldBack = 0;
  #recordsTruncated = 0;
  #errors = 0;

  constructor(config: RetentionConfig, firstOffset: number) {
    this.#config = config;
    this.#firstOffset = firstOffset;
  }

  /**
   * With a policy: learns the log's size now and schedules the first pass. Without one nothing is
   * listed at open (a `stat` per segment would slow every open for a figure nobody asked for); the
   * size is then measured at the first truncation.
   */
  async start(): Promise<void> {
    if (this.#config.policy === null) return;
    await this.measure();
    this.#schedule();
  }

  /** Counts what a raise of the low-water mark did (a pass, or a `truncateBefore` call). */
  noteRaise(result: TruncateBeforeResult, previousFirst: number): void {
    this.#segmentsDropped += result.segmentsDropped;
    this.#bytesDropped += result.bytesDropped;
    this.#recordsDropped += Math.max(0, result.firstOffset - previousFirst);
    if (result.heldBy.length > 0) this.#heldBack++;
    this.#firstOffset = Math.max(this.#firstOffset, result.firstOffset);
  }

  /** Counts a `truncateAfter` and the mark it may have lowered (an empty log's mark is its end). */
  noteTruncateAfter(records: number, firstOffset: number): void {
    this.#recordsTruncated += records;
    this.#firstOffset = firstOffset;
  }

  /** Lists the segments and records the log's size. */
  async measure(): Promise<void> {
    const segments = await listSegmentFiles(this.#config.io, this.#config.dir);
    this.#logSegments = segments.length;
    this.#logBytes = segments.reduce((sum, segment) => sum + segment.facts.bytes, 0);
  }

  /** One pass now (tests and `log.applyRetention()`); passes never overlap. */
  runPass(): Promise<void> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  snapshot(): RetentionMetrics {
    return {
      logBytes: this.#logBytes,
      logSegments: this.#logSegments,
      firstOffset: this.#firstOffset,
      passes: this.#passes,
      segmentsDropped: this.#segmentsDropped,
      bytesDropped: this.#bytesDropped,
      recordsDropped: this.#recordsDropped,
      heldBack: this.#heldBack,
      recordsTruncated: this.#recordsTruncated,
      errors: this.#errors,
    };
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  #schedule(): void {
    const policy = this.#config.policy;
    if (policy === null || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.runPass()
        .catch(() => undefined) // counted and published by #pass
        .finally(() => this.#schedule());
    }, policy.intervalMs);
    this.#timer.unref(); // retention never keeps a process alive
  }

  async #pass(): Promise<void> {
    const policy = this.#config.policy;
    if (policy === null) return;
    try {
      this.#passes++;
      const listed = await listSegmentFiles(this.#config.io, this.#config.dir);
      const facts: SegmentFacts[] = [];
      for (const [i, { facts: segment, modifiedMs }] of listed.entries()) {
        // Only sealed segments can go, and only the oldest ones are looked at in order: an age is
        // needed up to the first segment that stays.
        const sealed = i + 1 < listed.length;
        const aged = sealed && policy.maxAgeMs !== null;
        const lastAppendMs = aged ? await this.#lastAppend(segment, modifiedMs) : undefined;
        facts.push({ ...segment, lastAppendMs });
      }
      const target = planRetention(facts, policy, Date.now());
      if (target !== null && target > this.#firstOffset) {
        await this.#config.raise(target); // counted by the log's raise path (noteRaise)
        for (const segment of facts) if (segment.baseOffset < target) this.#appendTimes.delete(segment.baseOffset);
      }
      await this.measure();
    } catch (error) {
      this.#errors++;
      const failure = error instanceof Error ? error : SeglogError.io('retention', this.#config.dir, error);
      publishError(() => ({ dir: this.#config.dir, firstOffset: this.#firstOffset, records: 0, error: failure }));
      throw failure;
    }
  }

  async #lastAppend(segment: SegmentFacts, modifiedMs: number | undefined): Promise<number | undefined> {
    if (this.#appendTimes.has(segment.baseOffset)) return this.#appendTimes.get(segment.baseOffset);
    const fromBatches = await this.#config.lastAppendMs(segment);
    const known = fromBatches ?? modifiedMs;
    this.#appendTimes.set(segment.baseOffset, known);
    return known;
  }
}

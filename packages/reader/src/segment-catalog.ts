/**
 * One job: know which segments a log directory holds, in offset order, with their verified headers.
 *
 * Names say where a segment starts; its header (block 0) says how to read it. Listing reads two
 * headers: the first segment's, which fixes the log id and block size every other segment must
 * have, and the last one's; the others are listed by name alone, so opening a reader costs one
 * directory listing and two reads whatever the number of segments (as the writer's open trusts
 * trailers instead of reading each segment). Each other segment's header is checked once, before
 * anything in it is read (`check`, which the walker and the time search call): a name and header
 * that disagree, or a segment from another log or with another block size, is SEGLOG_CORRUPT naming
 * the file (format's `checkSegmentHeader`, the same check the writer's recovery makes). The listing
 * is refreshed only when a read reaches past the last known segment, because that is the only time
 * a writer's roll matters.
 */
import { join } from 'node:path';
import {
  checkSegmentHeader,
  findLastAtOrBelow,
  indexFileName,
  parseSegmentFileName,
  readAt,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
  type SegmentExpectation,
} from '@seglog/format';
import { SeglogError, type FileIO } from '@seglog/types';
import type { HandlePool } from './handle-pool.js';

export interface SegmentInfo {
  readonly baseOffset: number;
  readonly path: string;
  /** The segment's sparse index (`.idx`), a hint that may be missing, stale or torn. */
  readonly indexPath: string;
  readonly blockBytes: number;
  readonly logId: Uint8Array;
}

export class SegmentCatalog {
  readonly #io: FileIO;
  readonly #dir: string;
  readonly #handles: HandlePool;
  #segments: SegmentInfo[] = [];
  /** What every segment must match: the first segment's log id and block size, fixed at the first listing. */
  #log: SegmentExpectation['log'] = null;
  #refreshing: Promise<void> | null = null;
  /** Header checks done or under way, by base offset (a segment's info never changes once listed). */
  readonly #checks = new Map<number, Promise<void>>();

  constructor(io: FileIO, dir: string, handles: HandlePool) {
    this.#io = io;
    this.#dir = dir;
    this.#handles = handles;
  }

  get first(): SegmentInfo | undefined {
    return this.#segments[0];
  }

  get last(): SegmentInfo | undefined {
    return this.#segments[this.#segments.length - 1];
  }

  get count(): number {
    return this.#segments.length;
  }

  /** The segment that would hold `offset`: the last one whose base is at or below it. */
  find(offset: number): SegmentInfo | undefined {
    return this.#segments[findLastAtOrBelow(this.#segments, offset, (segment) => segment.baseOffset)];
  }

  /** The segment right after `segment` in offset order, if the listing knows one. */
  after(segment: SegmentInfo): SegmentInfo | undefined {
    return this.#segments.find((candidate) => candidate.baseOffset > segment.baseOffset);
  }

  /**
   * Resolves once `segment`'s header was read and agrees with its name and the log (the first
   * check reads it; later ones share the result), or rejects SEGLOG_CORRUPT naming the file.
   */
  check(segment: SegmentInfo): Promise<void> {
    let checking = this.#checks.get(segment.baseOffset);
    if (checking === undefined) {
      checking = this.#readHeader(segment.baseOffset).then(() => undefined);
      // A failed read (SEGLOG_IO) may pass: only a verdict is kept.
      checking.catch((error: unknown) => {
        if (!(error instanceof SeglogError && error.code !== 'SEGLOG_IO')) this.#checks.delete(segment.baseOffset);
      });
      this.#checks.set(segment.baseOffset, checking);
    }
    return checking;
  }

  /** Re-lists the directory. Concurrent callers share one listing. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#list().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #list(): Promise<void> {
    const names = await this.#io.readdir(this.#dir).catch((error: unknown) => {
      throw SeglogError.io('readdir', this.#dir, error);
    });
    const bases = names
      .map((name) => parseSegmentFileName(name))
      .filter((base): base is number => base !== null)
      .sort((a, b) => a - b);
    const known = new Map(this.#segments.map((segment) => [segment.baseOffset, segment]));
    const listed: SegmentInfo[] = [];
    for (const base of bases) listed.push(known.get(base) ?? (await this.#listSegment(base)));
    // The last segment is where reads and the end are found: checked at once, as the first was.
    const last = listed[listed.length - 1];
    if (last !== undefined) await this.check(last);
    this.#segments = listed;
  }

  /**
   * A newly listed segment: the very first one is read, as it fixes the log id and block size;
   * any other takes them from the log, and its own header is read by `check` before first use.
   */
  async #listSegment(baseOffset: number): Promise<SegmentInfo> {
    const log = this.#log;
    if (log === null) {
      const info = await this.#readHeader(baseOffset);
      this.#checks.set(baseOffset, Promise.resolve());
      return info;
    }
    return this.#infoOf(baseOffset, log.blockBytes, log.logId);
  }

  async #readHeader(baseOffset: number): Promise<SegmentInfo> {
    const path = join(this.#dir, segmentFileName(baseOffset));
    const bytes = await this.#handles.use(path, (handle) => readAt(handle, 0, SEGMENT_HEADER_BYTES));
    const header = checkSegmentHeader(bytes, path, { baseOffset, log: this.#log });
    this.#log ??= { logId: header.logId, blockBytes: header.blockBytes, path };
    return this.#infoOf(baseOffset, header.blockBytes, header.logId);
  }

  #infoOf(baseOffset: number, blockBytes: number, logId: Uint8Array): SegmentInfo {
    const path = join(this.#dir, segmentFileName(baseOffset));
    return { baseOffset, path, indexPath: join(this.#dir, indexFileName(baseOffset)), blockBytes, logId };
  }
}

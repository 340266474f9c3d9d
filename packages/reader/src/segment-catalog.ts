/**
 * One job: know which segments a log directory holds, in offset order, with their verified headers.
 *
 * Names say where a segment starts; its header (block 0) says how to read it. Every header is
 * checked once, when the segment is first listed: a name and header that disagree, or a segment
 * from another log or with another block size, is SEGLOG_CORRUPT naming the file (format's
 * `checkSegmentHeader`, the same check the writer's recovery makes). The listing is refreshed only when a read
 * reaches past the last known segment, because that is the only time a writer's roll matters.
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
    // In offset order, so the first segment ever listed fixes the log id the others must match.
    for (const base of bases) listed.push(known.get(base) ?? (await this.#readSegment(base)));
    this.#segments = listed;
  }

  async #readSegment(baseOffset: number): Promise<SegmentInfo> {
    const path = join(this.#dir, segmentFileName(baseOffset));
    const bytes = await this.#handles.use(path, (handle) => readAt(handle, 0, SEGMENT_HEADER_BYTES));
    const header = checkSegmentHeader(bytes, path, { baseOffset, log: this.#log });
    this.#log ??= { logId: header.logId, blockBytes: header.blockBytes, path };
    const indexPath = join(this.#dir, indexFileName(baseOffset));
    return { baseOffset, path, indexPath, blockBytes: header.blockBytes, logId: header.logId };
  }
}

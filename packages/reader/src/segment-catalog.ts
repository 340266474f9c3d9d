/**
 * One job: know which segments a log directory holds, in offset order, with their verified headers.
 *
 * Names say where a segment starts; its header (block 0) says how to read it. Every header is
 * checked once, when the segment is first listed: a name and header that disagree, or a segment
 * from another log, is SEGLOG_CORRUPT naming the file. The listing is refreshed only when a read
 * reaches past the last known segment, because that is the only time a writer's roll matters.
 */
import { join } from 'node:path';
import { decodeSegmentHeader, parseSegmentFileName, indexFileName, SEGMENT_HEADER_BYTES, segmentFileName } from '@seglog/format';
import { limits, SeglogError, type FileIO } from '@seglog/types';
import { readAt, type HandlePool } from './handle-pool.js';

export interface SegmentInfo {
  readonly baseOffset: number;
  readonly path: string;
  /** The segment's sparse index (`.idx`), a hint that may be missing, stale or torn. */
  readonly indexPath: string;
  readonly blockBytes: number;
  readonly logId: Uint8Array;
}

export class SegmentCatalog {
  private segments: SegmentInfo[] = [];
  /** The log id every segment must carry: the first segment's, fixed at the first listing. */
  private logId: { readonly bytes: Uint8Array; readonly path: string } | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly io: FileIO,
    private readonly dir: string,
    private readonly handles: HandlePool,
  ) {}

  get first(): SegmentInfo | undefined {
    return this.segments[0];
  }

  get last(): SegmentInfo | undefined {
    return this.segments[this.segments.length - 1];
  }

  get count(): number {
    return this.segments.length;
  }

  /** The segment that would hold `offset`: the last one whose base is at or below it. */
  find(offset: number): SegmentInfo | undefined {
    let low = 0;
    let high = this.segments.length - 1;
    let found: SegmentInfo | undefined;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const segment = this.segments[mid]!;
      if (segment.baseOffset <= offset) {
        found = segment;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }

  /** The segment right after `segment` in offset order, if the listing knows one. */
  after(segment: SegmentInfo): SegmentInfo | undefined {
    return this.segments.find((candidate) => candidate.baseOffset > segment.baseOffset);
  }

  /** Re-lists the directory. Concurrent callers share one listing. */
  refresh(): Promise<void> {
    this.refreshing ??= this.list().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async list(): Promise<void> {
    const names = await this.io.readdir(this.dir).catch((error: unknown) => {
      throw SeglogError.io('readdir', this.dir, error);
    });
    const bases = names
      .map((name) => parseSegmentFileName(name))
      .filter((base): base is number => base !== null)
      .sort((a, b) => a - b);
    const known = new Map(this.segments.map((segment) => [segment.baseOffset, segment]));
    const listed: SegmentInfo[] = [];
    // In offset order, so the first segment ever listed fixes the log id the others must match.
    for (const base of bases) listed.push(known.get(base) ?? (await this.readSegment(base)));
    this.segments = listed;
  }

  private async readSegment(baseOffset: number): Promise<SegmentInfo> {
    const path = join(this.dir, segmentFileName(baseOffset));
    const bytes = await this.handles.use(path, (handle) => readAt(handle, 0, SEGMENT_HEADER_BYTES));
    const header = decodeSegmentHeader(bytes, path);
    if (header.baseOffset !== baseOffset) {
      throw SeglogError.corrupt(`${path}: header says base offset ${header.baseOffset}, the name says ${baseOffset}`, {
        file: path,
        positionBytes: 16,
      });
    }
    if (header.blockBytes > limits.blockBytesMax) {
      throw SeglogError.corrupt(`${path}: header blockBytes ${header.blockBytes} is above ${limits.blockBytesMax}`, {
        file: path,
        positionBytes: 12,
      });
    }
    this.checkLogId(path, header.logId);
    const indexPath = join(this.dir, indexFileName(baseOffset));
    return { baseOffset, path, indexPath, blockBytes: header.blockBytes, logId: header.logId };
  }

  private checkLogId(path: string, logId: Uint8Array): void {
    if (this.logId === null) {
      this.logId = { bytes: logId, path };
      return;
    }
    if (!sameBytes(this.logId.bytes, logId)) {
      throw SeglogError.corrupt(`${path}: segment belongs to another log (its log id differs from ${this.logId.path})`, {
        file: path,
        positionBytes: 24,
      });
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

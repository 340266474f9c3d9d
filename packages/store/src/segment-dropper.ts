/**
 * One job: unlink whole segments that hold only records below a low-water mark, for
 * `truncateBefore` and for an open that finishes a drop a crash interrupted.
 *
 * The caller has already raised HEAD's `firstOffset` and flushed it, so every step here may be
 * cut by a crash: records below the mark are unreadable whether or not their file is still there,
 * and the next open drops what remains. A segment holds only records below `offset` when the next
 * segment starts at or below it; the last segment is never dropped (the writer appends to it).
 * Each drop is one unlink per file (the segment, its `.idx`), then one directory fsync.
 */
import { join } from 'node:path';
import { indexFileName, parseSegmentFileName } from '@seglog/format';
import type { FileIO } from '@seglog/types';
import { wrapIo } from './io-errors.js';

export interface DroppedSegments {
  readonly segments: number;
  readonly bytes: number;
}

export async function dropSegmentsBelow(io: FileIO, dir: string, offset: number): Promise<DroppedSegments> {
  const names = await wrapIo('readdir', dir, () => io.readdir(dir));
  const bases = names
    .map((name) => parseSegmentFileName(name))
    .filter((base): base is number => base !== null)
    .sort((a, b) => a - b);
  let segments = 0;
  let bytes = 0;
  for (let i = 0; i + 1 < bases.length && bases[i + 1]! <= offset; i++) {
    const path = join(dir, names.find((name) => parseSegmentFileName(name) === bases[i])!);
    const stat = await wrapIo('stat', path, () => io.stat(path));
    bytes += stat?.sizeBytes ?? 0;
    const index = join(dir, indexFileName(bases[i]!));
    if ((await wrapIo('stat', index, () => io.stat(index))) !== null) await wrapIo('unlink', index, () => io.unlink(index));
    await wrapIo('unlink', path, () => io.unlink(path));
    segments++;
  }
  if (segments > 0) await wrapIo('fsync', dir, () => io.syncDir(dir));
  return { segments, bytes };
}

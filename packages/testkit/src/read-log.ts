/**
 * One job: read a seglog log back for a test, through `@seglog/format`'s public decoding only, so
 * a test of the writer needs no reader (and a reader test has an independent oracle).
 *
 * Every segment file of `dir` is read whole and laid out (log-layout.ts: header, then the chain of
 * batches that verify and continue the offsets, up to the first block that does not: zeros of
 * preallocation, a torn tail, the end of the file). Across segments the log must be dense: each
 * segment starts where the previous one ended, all carry the same log id, and the first starts at
 * offset 0 unless `firstOffset` says otherwise. Anything else throws an Error that names the file
 * and offset. Index files and `next.seg.tmp` are ignored: they hold no records.
 */
import { equalBytes, readFully } from '@seglog/format';
import type { FileIO } from '@seglog/types';
import { layoutSegment, segmentNames } from './log-layout.js';

export interface ReadLogOptions {
  /** The offset the first segment must start at. Default 0. */
  readonly firstOffset?: number;
}

export interface ReadLogResult {
  /** Payloads in offset order; `payloads[i]` is the record at `firstOffset + i`. */
  readonly payloads: Uint8Array[];
  readonly firstOffset: number;
  /** One past the last record. */
  readonly endOffset: number;
  /** Segment files read, in offset order. */
  readonly segments: number;
}

async function readWhole(io: FileIO, path: string): Promise<Uint8Array> {
  const handle = await io.open(path, 'read');
  try {
    const bytes = new Uint8Array(await handle.sizeBytes());
    return bytes.subarray(0, await readFully(handle, bytes, 0));
  } finally {
    await handle.close();
  }
}

/** Every record of the log in `dir`, read through `io`; throws on a gap, a foreign segment or a bad header. */
export async function readLog(io: FileIO, dir: string, options: ReadLogOptions = {}): Promise<ReadLogResult> {
  const firstOffset = options.firstOffset ?? 0;
  const names = segmentNames(await io.readdir(dir));
  const payloads: Uint8Array[] = [];
  let logId: Uint8Array | null = null;
  let offset = firstOffset;
  for (const { name, baseOffset } of names) {
    const path = `${dir}/${name}`;
    const segment = layoutSegment(name, await readWhole(io, path), path);
    if (baseOffset !== offset) throw new Error(`${path}: starts at offset ${baseOffset}, but the log continues at ${offset}: offsets are not dense`);
    if (logId !== null && !equalBytes(logId, segment.logId)) throw new Error(`${path}: belongs to another log (its log id differs)`);
    logId = segment.logId;
    for (const batch of segment.batches) for (const payload of batch.payloads) payloads.push(payload.slice());
    offset = segment.endOffset;
  }
  return { payloads, firstOffset, endOffset: offset, segments: names.length };
}

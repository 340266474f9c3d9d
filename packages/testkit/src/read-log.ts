/**
 * One job: read a seglog log back for a test, through `@seglog/format`'s public decoding only, so
 * a test of the writer needs no reader (and a reader test has an independent oracle).
 *
 * Every segment file of `dir` is read whole, its header decoded, and its chain of batches followed
 * from the first block: each batch must verify (CRC, frames) and continue the offsets. A segment's
 * chain ends at the first block that is not such a batch (zeros of preallocation, a torn tail,
 * the end of the file). Across segments the log must be dense: each segment starts where the
 * previous one ended, all carry the same log id, and the first starts at offset 0 unless
 * `firstOffset` says otherwise. Anything else throws an Error that names the file and offset.
 * Index files and `next.seg.tmp` are ignored: they hold no records.
 */
import type { FileIO } from '@seglog/types';
import { decodeBatch, decodeSegmentHeader, parseSegmentFileName } from '@seglog/format';

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
    let filled = 0;
    while (filled < bytes.length) {
      const count = await handle.read(bytes.subarray(filled), filled);
      if (count === 0) break;
      filled += count;
    }
    return bytes.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** Every record of the log in `dir`, read through `io`; throws on a gap, a foreign segment or a bad header. */
export async function readLog(io: FileIO, dir: string, options: ReadLogOptions = {}): Promise<ReadLogResult> {
  const firstOffset = options.firstOffset ?? 0;
  const names = (await io.readdir(dir))
    .map((name) => ({ name, baseOffset: parseSegmentFileName(name) }))
    .filter((entry): entry is { name: string; baseOffset: number } => entry.baseOffset !== null)
    .sort((a, b) => a.baseOffset - b.baseOffset);
  const payloads: Uint8Array[] = [];
  let logId: Uint8Array | null = null;
  let offset = firstOffset;
  for (const { name, baseOffset } of names) {
    const path = `${dir}/${name}`;
    const bytes = await readWhole(io, path);
    const header = decodeSegmentHeader(bytes, path);
    if (header.baseOffset !== baseOffset) throw new Error(`${path}: header says base offset ${header.baseOffset}, the name ${baseOffset}`);
    if (baseOffset !== offset) throw new Error(`${path}: starts at offset ${baseOffset}, but the log continues at ${offset}: offsets are not dense`);
    if (logId !== null && !sameBytes(logId, header.logId)) throw new Error(`${path}: belongs to another log (its log id differs)`);
    logId = header.logId;
    for (let position = header.blockBytes; ; ) {
      const batch = decodeBatch(header.logId, bytes, position, header.blockBytes, offset);
      if (batch === null) break;
      for (const payload of batch.payloads) payloads.push(payload.slice());
      offset += batch.header.recordCount;
      position += batch.spanBytes;
    }
  }
  return { payloads, firstOffset, endOffset: offset, segments: names.length };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * One job: where everything sits in a log's segment files, found through `@seglog/format`'s
 * public decoding alone: each segment's header, and its chain of batches from the first block
 * (each must verify and continue the offsets) up to the first block that is not such a batch.
 * readLog (read-log.ts) builds on it, and so do corruption tests, which need to know which bytes
 * hold which records.
 */
import { batchBytes, decodeBatch, decodeSegmentHeader, indexFileName, parseSegmentFileName } from '@seglog/format';

export interface BatchLayout {
  readonly positionBytes: number;
  /** End of the checksummed bytes (header + frames); the zero padding after it is not covered. */
  readonly endBytes: number;
  readonly firstOffset: number;
  readonly recordCount: number;
  /** Views of the segment bytes: copy them to keep them. */
  readonly payloads: readonly Uint8Array[];
}

export interface SegmentLayout {
  readonly name: string;
  /** The name of the segment's sparse index file. */
  readonly indexName: string;
  readonly baseOffset: number;
  /** Offset after the segment's last record. */
  readonly endOffset: number;
  readonly logId: Uint8Array;
  readonly blockBytes: number;
  readonly batches: readonly BatchLayout[];
}

/** The segment files among `names`, by base offset. */
export function segmentNames(names: Iterable<string>): Array<{ name: string; baseOffset: number }> {
  return [...names]
    .map((name) => ({ name, baseOffset: parseSegmentFileName(name) }))
    .filter((entry): entry is { name: string; baseOffset: number } => entry.baseOffset !== null)
    .sort((a, b) => a.baseOffset - b.baseOffset);
}

/**
 * The layout of one segment file's bytes. `file` names it in errors (a path). Throws the format's
 * coded error when the header does not decode, and an Error when the header's base offset is not
 * the one in the file name.
 */
export function layoutSegment(name: string, bytes: Uint8Array, file = name): SegmentLayout {
  const header = decodeSegmentHeader(bytes, file);
  const named = parseSegmentFileName(name);
  if (named !== null && named !== header.baseOffset) throw new Error(`${file}: header says base offset ${header.baseOffset}, the name ${named}`);
  const batches: BatchLayout[] = [];
  let position = header.blockBytes;
  let offset = header.baseOffset;
  for (;;) {
    const batch = decodeBatch(header.logId, bytes, position, header.blockBytes, offset);
    if (batch === null) break;
    const endBytes = position + batchBytes(batch.header);
    const { recordCount } = batch.header;
    batches.push({ positionBytes: position, endBytes, firstOffset: offset, recordCount, payloads: batch.payloads });
    position += batch.spanBytes;
    offset += batch.header.recordCount;
  }
  const { baseOffset, logId, blockBytes } = header;
  return { name, indexName: indexFileName(baseOffset), baseOffset, endOffset: offset, logId, blockBytes, batches };
}

/** The layouts of every segment among `files` (name -> bytes), by base offset. */
export function layoutLog(files: ReadonlyMap<string, Uint8Array>): SegmentLayout[] {
  return segmentNames(files.keys()).map(({ name }) => layoutSegment(name, files.get(name)!));
}

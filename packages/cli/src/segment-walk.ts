/**
 * One job: walk one segment file batch by batch with the library's decoder (`readBatchBytes`,
 * `stepBatch`, `batchPayloads`, `findBatchBeyond` of @seglog/format), yielding each valid batch
 * with its payloads and each break with its reason, and resuming at the next valid batch past
 * damage. `dump` of a single file, `dump --raw` and `repair --salvage` use it: they need every
 * valid record even when the directory around the file is broken, which the Reader refuses.
 */
import { readLimits } from '@seglog/types';
import type { FileHandle } from '@seglog/types';
import { batchPayloads, blockHoldsData, dataEndBytes, findBatchBeyond, readBatchBytes, stepBatch } from '@seglog/format';
import type { BatchBreak, BatchHeader, ChainFile, SegmentHeader } from '@seglog/format';
import { nodeFileIO } from '@seglog/io';
import type { SegmentFile } from './log-dir.js';
import { readSegmentHeader, sealedView } from './segment-check.js';

export type WalkItem =
  | { readonly kind: 'batch'; readonly positionBytes: number; readonly header: BatchHeader; readonly spanBytes: number; readonly payloads: Uint8Array[] }
  | { readonly kind: 'break'; readonly positionBytes: number; readonly offset: number; readonly step: BatchBreak; readonly resumesAt: number | null; readonly tornBytes: number };

export interface OpenSegment {
  readonly handle: FileHandle;
  readonly header: SegmentHeader;
  readonly file: ChainFile;
}

/** Opens a segment and checks its header alone (no expectation from other segments). */
export async function openSegment(segment: SegmentFile): Promise<OpenSegment> {
  const handle = await nodeFileIO.open(segment.path, 'read');
  try {
    const header = await readSegmentHeader(handle, segment, null);
    const whole = { source: handle, sizeBytes: segment.sizeBytes, logId: header.logId, blockBytes: header.blockBytes };
    // A sealed segment's trailer is not a batch: the walk ends where it starts.
    const { file } = await sealedView(whole);
    return { handle, header, file };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/** Every batch and break of the segment, in file order; stops when `signal` fires. */
export async function* walkSegment(open: OpenSegment, signal: AbortSignal): AsyncGenerator<WalkItem> {
  const { file, header } = open;
  let position = header.blockBytes;
  let offset = header.baseOffset;
  for (;;) {
    signal.throwIfAborted();
    // The end of the file, or of a sealed segment's chain (`file` stops where its trailer starts).
    if (position >= file.sizeBytes) return;
    const bytes = await readBatchBytes(file.source, position, readLimits.batchProbeBytes, offset, () => file.sizeBytes);
    const step = stepBatch(file.logId, bytes, 0, file.blockBytes, offset);
    if (step.kind === 'batch') {
      yield { kind: 'batch', positionBytes: position, header: step.header, spanBytes: step.spanBytes, payloads: batchPayloads(bytes, 0, step.header) };
      position += step.spanBytes;
      offset += step.header.recordCount;
      continue;
    }
    const beyond = await findBatchBeyond(file, position, offset);
    if (beyond === null) {
      const torn = (await blockHoldsData(file, position)) ? (await dataEndBytes(file, position)) - position : 0;
      if (torn > 0 || (step.reason !== 'zero' && step.reason !== 'end-of-bytes')) {
        yield { kind: 'break', positionBytes: position, offset, step, resumesAt: null, tornBytes: torn };
      }
      return;
    }
    yield { kind: 'break', positionBytes: position, offset, step, resumesAt: beyond.positionBytes, tornBytes: 0 };
    position = beyond.positionBytes;
    offset = beyond.header.firstOffset;
  }
}

/**
 * One job: the version-1 batch encoder, kept as the reference that made the golden v1 fixture and
 * that tests use to build logs mixing v1 and v2 segments. The store never writes v1 (it reads it:
 * batch-decode.ts decodes both versions). See docs/format.md ("Batch, version 1").
 */
import { assert } from '@seglog/types';
import { BATCH_MAGIC_V1, batchSpanBytes, recordFrameBytes, RECORD_FRAME_BYTES, writeRecordFrameLength } from './batch.js';
import { view, writeU64 } from './bytes.js';
import { crc32c } from './crc32c.js';
import { LOG_ID_BYTES } from './segment-header.js';

export const BATCH_HEADER_BYTES_V1 = 32;

/** Encodes a whole version-1 batch into one zero-padded buffer, byte for byte as format v1 did. */
export function encodeBatchV1(
  logId: Uint8Array,
  firstOffset: number,
  payloads: readonly Uint8Array[],
  blockBytes: number,
): Uint8Array {
  assert(logId.length === LOG_ID_BYTES, 'log id is 16 bytes');
  assert(payloads.length >= 1, 'a batch holds at least one record');
  let bodyBytes = 0;
  for (const payload of payloads) bodyBytes += recordFrameBytes(payload.length);
  const out = new Uint8Array(batchSpanBytes(bodyBytes, blockBytes, BATCH_HEADER_BYTES_V1));
  let at = BATCH_HEADER_BYTES_V1;
  for (const payload of payloads) {
    writeRecordFrameLength(out, at, payload.length);
    out.set(payload, at + RECORD_FRAME_BYTES);
    at += recordFrameBytes(payload.length);
  }
  const dv = view(out);
  dv.setUint32(0, BATCH_MAGIC_V1, true);
  writeU64(dv, 8, firstOffset);
  dv.setUint32(16, payloads.length, true);
  dv.setUint32(20, bodyBytes, true);
  const crc = crc32c(out.subarray(8, BATCH_HEADER_BYTES_V1 + bodyBytes), crc32c(logId));
  dv.setUint32(4, crc, true);
  return out;
}

/**
 * One job: example tests of the batch encoder and decoder (packages/format/src/batch.ts): round
 * trips, the block arithmetic of docs/format.md, bytes that are not batches, and the two-step
 * encoder (frames + ChunkPlan + writeBatchHeader) the store uses agreeing byte for byte with
 * encodeBatch.
 */
import test from 'ava';
import { isSeglogError } from '@seglog/types';
import {
  BATCH_HEADER_BYTES,
  CHUNK_ENTRY_BYTES,
  ChunkPlan,
  RECORD_FRAME_BYTES,
  batchSpanBytes,
  decodeBatch,
  encodeBatch,
  peekBatchHeader,
  recordFrameBytes,
  writeBatchHeader,
  writeRecordFrameLength,
} from '../src/index.js';
import { hex, isAllZero, logIdOf, patternBytes, prng, utf8 } from './support.js';

const LOG_ID = logIdOf(1);
const OTHER_LOG_ID = logIdOf(2);

function payloadsHex(payloads: readonly Uint8Array[]): string[] {
  return payloads.map(hex);
}

test('one record round-trips with its header fields', (t) => {
  const encoded = encodeBatch(LOG_ID, 7, [utf8('hello')], 512);
  const decoded = decodeBatch(LOG_ID, encoded, 0, 512, 7);
  t.truthy(decoded);
  t.deepEqual(payloadsHex(decoded!.payloads), [hex(utf8('hello'))]);
  t.is(decoded!.header.firstOffset, 7);
  t.is(decoded!.header.recordCount, 1);
  t.is(decoded!.header.bodyBytes, RECORD_FRAME_BYTES + 5 + CHUNK_ENTRY_BYTES);
  t.is(decoded!.header.framesBytes, RECORD_FRAME_BYTES + 5);
  t.is(decoded!.header.chunkCount, 1);
  t.is(decoded!.header.version, 2);
  t.is(decoded!.spanBytes, 512);
  t.is(encoded.length, 512);
});

test('many records round-trip in order', (t) => {
  const payloads = Array.from({ length: 40 }, (_, i) => patternBytes(i * 13, i));
  const encoded = encodeBatch(LOG_ID, 1000, payloads, 4096);
  const decoded = decodeBatch(LOG_ID, encoded, 0, 4096, 1000);
  t.deepEqual(payloadsHex(decoded!.payloads), payloadsHex(payloads));
  t.is(decoded!.header.recordCount, 40);
  t.is(decoded!.spanBytes, encoded.length);
});

test('zero-length payloads round-trip, alone and between others', (t) => {
  const onlyEmpty = [new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)];
  const decodedEmpty = decodeBatch(LOG_ID, encodeBatch(LOG_ID, 0, onlyEmpty, 512), 0, 512);
  t.deepEqual(payloadsHex(decodedEmpty!.payloads), ['', '', '']);
  t.is(decodedEmpty!.header.bodyBytes, 3 * RECORD_FRAME_BYTES + CHUNK_ENTRY_BYTES);
  const mixed = [utf8('a'), new Uint8Array(0), utf8('bc'), new Uint8Array(0)];
  const decodedMixed = decodeBatch(LOG_ID, encodeBatch(LOG_ID, 0, mixed, 512), 0, 512);
  t.deepEqual(payloadsHex(decodedMixed!.payloads), payloadsHex(mixed));
});

// header 48 + frame 4 + payload + one chunk entry 12 = one block exactly: no padding at all. One
// more byte spills the batch into a second block, which is then all padding but one byte.
test('a payload exactly filling a block has no padding; one more byte takes a second block', (t) => {
  for (const blockBytes of [512, 4096]) {
    const fillingBytes = blockBytes - BATCH_HEADER_BYTES - RECORD_FRAME_BYTES - CHUNK_ENTRY_BYTES;
    const filling = encodeBatch(LOG_ID, 0, [patternBytes(fillingBytes, 3)], blockBytes);
    t.is(filling.length, blockBytes);
    t.is(decodeBatch(LOG_ID, filling, 0, blockBytes)!.spanBytes, blockBytes);
    t.is(hex(decodeBatch(LOG_ID, filling, 0, blockBytes)!.payloads[0]!), hex(patternBytes(fillingBytes, 3)));
    const spilling = encodeBatch(LOG_ID, 0, [patternBytes(fillingBytes + 1, 3)], blockBytes);
    t.is(spilling.length, 2 * blockBytes);
    t.true(isAllZero(spilling.subarray(blockBytes + 1)));
    t.is(decodeBatch(LOG_ID, spilling, 0, blockBytes)!.payloads[0]!.length, fillingBytes + 1);
  }
});

test('spans are whole blocks: batchSpanBytes at the edges', (t) => {
  t.is(batchSpanBytes(0, 512), 512);
  t.is(batchSpanBytes(512 - BATCH_HEADER_BYTES, 512), 512);
  t.is(batchSpanBytes(512 - BATCH_HEADER_BYTES + 1, 512), 1024);
  t.is(batchSpanBytes(65536, 65536), 131072);
  for (const bodyBytes of [4, 100, 479, 480, 481, 5000, 70000]) {
    for (const blockBytes of [512, 1024, 4096, 65536]) {
      const spanBytes = batchSpanBytes(bodyBytes, blockBytes);
      t.is(spanBytes % blockBytes, 0);
      t.true(spanBytes >= BATCH_HEADER_BYTES + bodyBytes);
      t.true(spanBytes - blockBytes < BATCH_HEADER_BYTES + bodyBytes);
    }
  }
});

// docs/format.md, "Worked example (blockBytes = 4096)": 100, 5000 and 0 bytes in one batch at
// block 1: frames of 104 + 5004 + 4 = 5112 bytes, one chunk (under the 16 KiB chunk target), so
// 48 + 5112 + 12 = 5172 bytes, padded to 8192: blocks 1 and 2, and the next batch at byte 12288.
test('the worked example of docs/format.md', (t) => {
  const blockBytes = 4096;
  const payloads = [patternBytes(100, 1), patternBytes(5000, 2), new Uint8Array(0)];
  const framesBytes = payloads.reduce((sum, payload) => sum + recordFrameBytes(payload.length), 0);
  t.is(framesBytes, 5112);
  const bodyBytes = framesBytes + CHUNK_ENTRY_BYTES;
  t.is(BATCH_HEADER_BYTES + bodyBytes, 5172);
  t.is(batchSpanBytes(bodyBytes, blockBytes), 8192);
  const segment = new Uint8Array(4 * blockBytes);
  const encoded = encodeBatch(LOG_ID, 0, payloads, blockBytes, { ackedOffset: 0, appendTimeMs: 1_765_000_000_000 });
  t.is(encoded.length, 8192);
  segment.set(encoded, 1 * blockBytes);
  const decoded = decodeBatch(LOG_ID, segment, 1 * blockBytes, blockBytes, 0);
  t.deepEqual(payloadsHex(decoded!.payloads), payloadsHex(payloads));
  const nextPositionBytes = 1 * blockBytes + decoded!.spanBytes;
  t.is(nextPositionBytes, 12288);
  t.is(nextPositionBytes / blockBytes, 3);
  t.is(decoded!.header.chunkCount, 1);
  t.true(isAllZero(segment.subarray(1 * blockBytes + 5172, nextPositionBytes)));
  t.is(peekBatchHeader(segment, nextPositionBytes), null);
  // With a 4 KiB chunk target the 5000-byte record is a chunk of its own, and the empty record
  // cannot join it: three chunks, 48 + 5112 + 36 = 5196 bytes, still two blocks.
  const smallChunks = encodeBatch(LOG_ID, 0, payloads, blockBytes, { chunkBytes: 4096 });
  const small = decodeBatch(LOG_ID, smallChunks, 0, blockBytes, 0);
  t.is(small!.header.chunkCount, 3);
  t.is(small!.header.bodyBytes, 5112 + 36);
});

test('a zero block, a block of 0xFF and random blocks are not batches', (t) => {
  const random = prng(20260101);
  const candidates = [new Uint8Array(512), new Uint8Array(512).fill(0xff)];
  for (let i = 0; i < 50; i++) candidates.push(Uint8Array.from({ length: 512 }, () => Math.floor(random() * 256)));
  for (const block of candidates) {
    t.is(peekBatchHeader(block, 0), null);
    t.is(decodeBatch(LOG_ID, block, 0, 512), null);
  }
});

// Past the magic, the sanity checks must still hold: a block that starts "SGB1" or "SGB2" and then
// is zero or 0xFF (a count of 0, or a body of 4 GiB) is not a header either.
test('a batch magic followed by zeros or 0xFF is not a batch', (t) => {
  for (const magic of ['SGB1', 'SGB2']) {
    for (const fill of [0x00, 0xff]) {
      const block = new Uint8Array(512).fill(fill);
      block.set(utf8(magic), 0);
      t.is(peekBatchHeader(block, 0), null);
      t.is(decodeBatch(LOG_ID, block, 0, 512), null);
    }
  }
});

test('a batch written by another log does not decode', (t) => {
  const encoded = encodeBatch(OTHER_LOG_ID, 0, [utf8('from another log')], 512);
  t.truthy(peekBatchHeader(encoded, 0), 'the header alone looks fine');
  t.is(decodeBatch(LOG_ID, encoded, 0, 512), null);
  t.truthy(decodeBatch(OTHER_LOG_ID, encoded, 0, 512));
});

test('a batch whose first offset is not the expected one does not decode', (t) => {
  const encoded = encodeBatch(LOG_ID, 41, [utf8('x'), utf8('y')], 512);
  t.is(decodeBatch(LOG_ID, encoded, 0, 512, 40), null);
  t.is(decodeBatch(LOG_ID, encoded, 0, 512, 42), null);
  t.is(decodeBatch(LOG_ID, encoded, 0, 512, 43), null);
  t.is(decodeBatch(LOG_ID, encoded, 0, 512, 41)!.header.firstOffset, 41);
});

// The CRC needs every byte up to the end of the body; padding is not read, so a buffer cut
// inside the padding still decodes, and any cut before the end of the body does not.
test('a buffer truncated before the end of the body does not decode', (t) => {
  const payloads = [patternBytes(300, 5), patternBytes(400, 6)];
  const encoded = encodeBatch(LOG_ID, 0, payloads, 512);
  const coveredBytes = BATCH_HEADER_BYTES + 2 * RECORD_FRAME_BYTES + 700 + CHUNK_ENTRY_BYTES;
  for (let lengthBytes = 0; lengthBytes < coveredBytes; lengthBytes++) {
    t.is(decodeBatch(LOG_ID, encoded.subarray(0, lengthBytes), 0, 512), null, `cut at ${lengthBytes}`);
  }
  const whole = decodeBatch(LOG_ID, encoded.subarray(0, coveredBytes), 0, 512);
  t.deepEqual(payloadsHex(whole!.payloads), payloadsHex(payloads));
});

/**
 * Seals a batch whose frames are `frames` as given, consistent or not, as one chunk of
 * `recordCount` records with valid CRCs: the plan is told sizes that add up, whatever the frames say.
 */
function sealedRaw(recordCount: number, frames: Uint8Array): Uint8Array {
  const plan = new ChunkPlan(1 << 20);
  plan.add(frames.length - RECORD_FRAME_BYTES * (recordCount - 1));
  for (let i = 1; i < recordCount; i++) plan.add(RECORD_FRAME_BYTES);
  const out = new Uint8Array(batchSpanBytes(frames.length + CHUNK_ENTRY_BYTES, 512));
  out.set(frames, BATCH_HEADER_BYTES);
  writeBatchHeader(out, LOG_ID, { firstOffset: 0, ackedOffset: 0, appendTimeMs: 0 }, plan);
  return out;
}

// The CRC proves the bytes are the ones written, not that the writer framed them right: frames
// that do not add up to bodyBytes are still refused, never read past or silently truncated.
test('frames that do not add up to the body, under a valid CRC, are not a batch', (t) => {
  const frame = (lengthBytes: number, payload: number[]): number[] => [lengthBytes, 0, 0, 0, ...payload];
  const trailing = sealedRaw(1, Uint8Array.from([...frame(2, [7, 7]), 9, 9, 9]));
  const overrun = sealedRaw(2, Uint8Array.from([...frame(1, [5]), ...frame(9, [1, 2, 3])]));
  const hugeLength = sealedRaw(1, Uint8Array.from([0xff, 0xff, 0xff, 0xff, 1, 2]));
  const missingFrame = sealedRaw(2, Uint8Array.from([...frame(4, [1, 2, 3, 4]), 0, 0, 0]));
  const cases = [['trailing bytes', trailing], ['overrun', overrun], ['huge length', hugeLength], ['missing frame', missingFrame]] as const;
  for (const [name, batch] of cases) {
    t.truthy(peekBatchHeader(batch, 0), `${name}: the header is sane`);
    t.is(decodeBatch(LOG_ID, batch, 0, 512), null, name);
  }
  const consistent = sealedRaw(2, Uint8Array.from([...frame(1, [5]), ...frame(2, [6, 6])]));
  t.deepEqual(payloadsHex(decodeBatch(LOG_ID, consistent, 0, 512)!.payloads), ['05', '0606']);
});

test('a position past the end, or too close to it for a header, is not a batch', (t) => {
  const encoded = encodeBatch(LOG_ID, 0, [utf8('z')], 512);
  t.is(peekBatchHeader(encoded, 512), null);
  t.is(peekBatchHeader(encoded, 512 - BATCH_HEADER_BYTES + 1), null);
  t.is(peekBatchHeader(encoded, -1), null);
  t.is(decodeBatch(LOG_ID, encoded, 1024, 512), null);
});

/** Frames `payloads` the way the store does: frames first, chunks planned record by record, then the header. */
function framedLikeTheStore(payloads: readonly Uint8Array[], blockBytes: number, chunkBytes: number): Uint8Array {
  const plan = new ChunkPlan(chunkBytes);
  const out = new Uint8Array(1 << 16);
  let at = BATCH_HEADER_BYTES;
  for (const payload of payloads) {
    writeRecordFrameLength(out, at, payload.length);
    out.set(payload, at + RECORD_FRAME_BYTES);
    at += recordFrameBytes(payload.length);
    plan.add(recordFrameBytes(payload.length));
  }
  const fields = { firstOffset: 9, ackedOffset: 4, appendTimeMs: 1_765_000_000_123 };
  const endBytes = writeBatchHeader(out, LOG_ID, fields, plan);
  return out.slice(0, batchSpanBytes(endBytes - BATCH_HEADER_BYTES, blockBytes));
}

test('frames + ChunkPlan + writeBatchHeader give encodeBatch bytes, for any chunk target', (t) => {
  const random = prng(7);
  for (let round = 0; round < 40; round++) {
    const count = 1 + Math.floor(random() * 30);
    const payloads = Array.from({ length: count }, (_, i) => patternBytes(Math.floor(random() * 300), i));
    const chunkBytes = 1 + Math.floor(random() * 1200);
    const stamp = { ackedOffset: 4, appendTimeMs: 1_765_000_000_123, chunkBytes };
    const expected = hex(encodeBatch(LOG_ID, 9, payloads, 1024, stamp));
    t.is(hex(framedLikeTheStore(payloads, 1024, chunkBytes)), expected, `round ${round}`);
  }
});

test('writeBatchHeader returns the bytes it wrote, header to the end of the chunk table', (t) => {
  const plan = new ChunkPlan(4096);
  plan.add(RECORD_FRAME_BYTES + 3);
  const out = new Uint8Array(512);
  writeRecordFrameLength(out, BATCH_HEADER_BYTES, 3);
  out.set(utf8('crc'), BATCH_HEADER_BYTES + RECORD_FRAME_BYTES);
  const endBytes = writeBatchHeader(out, LOG_ID, { firstOffset: 3, ackedOffset: 3, appendTimeMs: 0 }, plan);
  t.is(endBytes, BATCH_HEADER_BYTES + 7 + CHUNK_ENTRY_BYTES);
  t.is(hex(out), hex(encodeBatch(LOG_ID, 3, [utf8('crc')], 512)));
});

test('the stamp round-trips: acked offset and append time', (t) => {
  const encoded = encodeBatch(LOG_ID, 2 ** 40 + 5, [utf8('t')], 512, { ackedOffset: 2 ** 40 - 7, appendTimeMs: 1_765_000_000_123 });
  const header = decodeBatch(LOG_ID, encoded, 0, 512)!.header;
  t.is(header.ackedOffset, 2 ** 40 - 7);
  t.is(header.appendTimeMs, 1_765_000_000_123);
});

test('misuse of the encoder is an assertion, not a bad batch on disk', (t) => {
  const assertion = (fn: () => unknown): void => {
    t.true(isSeglogError(t.throws(fn), 'SEGLOG_ASSERTION'));
  };
  assertion(() => encodeBatch(LOG_ID, 0, [], 512)); // a batch holds at least one record
  assertion(() => encodeBatch(LOG_ID, 0, [utf8('x')], 1000)); // blockBytes is a power of two
  assertion(() => encodeBatch(new Uint8Array(8), 0, [utf8('x')], 512)); // log id is 16 bytes
  assertion(() => encodeBatch(LOG_ID, -1, [utf8('x')], 512));
  assertion(() => encodeBatch(LOG_ID, 2 ** 53, [utf8('x')], 512));
  assertion(() => encodeBatch(LOG_ID, 5, [utf8('x')], 512, { ackedOffset: 6 })); // acked past the batch
  assertion(() => encodeBatch(LOG_ID, 5, [utf8('x')], 512, { appendTimeMs: -1 }));
  assertion(() => new ChunkPlan(0));
  const plan = new ChunkPlan(4096);
  plan.add(8);
  const fields = { firstOffset: 0, ackedOffset: 0, appendTimeMs: 0 };
  // no room for the table:
  assertion(() => writeBatchHeader(new Uint8Array(BATCH_HEADER_BYTES + 8), LOG_ID, fields, plan));
  assertion(() => writeBatchHeader(new Uint8Array(512), LOG_ID, fields, new ChunkPlan(4096))); // no records
});

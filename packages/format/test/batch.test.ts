/**
 * One job: example tests of the batch encoder and decoder (packages/format/src/batch.ts): round
 * trips, the block arithmetic of docs/format.md, bytes that are not batches, and the two-step
 * encoder (frames + writeBatchHeader) the store uses agreeing byte for byte with encodeBatch.
 */
import test from 'ava';
import { isSeglogError } from '@seglog/types';
import {
  BATCH_HEADER_BYTES,
  RECORD_FRAME_BYTES,
  batchSpanBytes,
  decodeBatch,
  encodeBatch,
  peekBatchHeader,
  recordFrameBytes,
  writeBatchHeader,
  writeRecordFrameLength,
} from '../src/index.js';
import { concatBytes, hex, isAllZero, logIdOf, patternBytes, prng, utf8 } from './support.js';

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
  t.is(decoded!.header.bodyBytes, RECORD_FRAME_BYTES + 5);
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
  t.is(decodedEmpty!.header.bodyBytes, 3 * RECORD_FRAME_BYTES);
  const mixed = [utf8('a'), new Uint8Array(0), utf8('bc'), new Uint8Array(0)];
  const decodedMixed = decodeBatch(LOG_ID, encodeBatch(LOG_ID, 0, mixed, 512), 0, 512);
  t.deepEqual(payloadsHex(decodedMixed!.payloads), payloadsHex(mixed));
});

// header 32 + frame 4 + payload = one block exactly: no padding at all. One more byte spills the
// batch into a second block, which is then all padding but one byte.
test('a payload exactly filling a block has no padding; one more byte takes a second block', (t) => {
  for (const blockBytes of [512, 4096]) {
    const fillingBytes = blockBytes - BATCH_HEADER_BYTES - RECORD_FRAME_BYTES;
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
// block 1 give 5144 bytes, padded to 8192: blocks 1 and 2, and the next batch at byte 12288.
test('the worked example of docs/format.md', (t) => {
  const blockBytes = 4096;
  const payloads = [patternBytes(100, 1), patternBytes(5000, 2), new Uint8Array(0)];
  const bodyBytes = payloads.reduce((sum, payload) => sum + recordFrameBytes(payload.length), 0);
  t.is(BATCH_HEADER_BYTES + bodyBytes, 5144);
  t.is(batchSpanBytes(bodyBytes, blockBytes), 8192);
  const segment = new Uint8Array(4 * blockBytes);
  const encoded = encodeBatch(LOG_ID, 0, payloads, blockBytes);
  t.is(encoded.length, 8192);
  segment.set(encoded, 1 * blockBytes);
  const decoded = decodeBatch(LOG_ID, segment, 1 * blockBytes, blockBytes, 0);
  t.deepEqual(payloadsHex(decoded!.payloads), payloadsHex(payloads));
  const nextPositionBytes = 1 * blockBytes + decoded!.spanBytes;
  t.is(nextPositionBytes, 12288);
  t.is(nextPositionBytes / blockBytes, 3);
  t.true(isAllZero(segment.subarray(1 * blockBytes + 5144, nextPositionBytes)));
  t.is(peekBatchHeader(segment, nextPositionBytes), null);
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

// Past the magic, the sanity checks must still hold: a block that starts "SGB1" and then is zero
// or 0xFF (a count of 0, or a body of 4 GiB) is not a header either.
test('the batch magic followed by zeros or 0xFF is not a batch', (t) => {
  for (const fill of [0x00, 0xff]) {
    const block = new Uint8Array(512).fill(fill);
    block.set(utf8('SGB1'), 0);
    t.is(peekBatchHeader(block, 0), null);
    t.is(decodeBatch(LOG_ID, block, 0, 512), null);
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
  const coveredBytes = BATCH_HEADER_BYTES + 2 * RECORD_FRAME_BYTES + 700;
  for (let lengthBytes = 0; lengthBytes < coveredBytes; lengthBytes++) {
    t.is(decodeBatch(LOG_ID, encoded.subarray(0, lengthBytes), 0, 512), null, `cut at ${lengthBytes}`);
  }
  const whole = decodeBatch(LOG_ID, encoded.subarray(0, coveredBytes), 0, 512);
  t.deepEqual(payloadsHex(whole!.payloads), payloadsHex(payloads));
});

/** Seals a batch whose body is `body` as given, frames consistent or not, with a valid CRC. */
function sealedRaw(recordCount: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(batchSpanBytes(body.length, 512));
  out.set(body, BATCH_HEADER_BYTES);
  writeBatchHeader(out, LOG_ID, { firstOffset: 0, recordCount, bodyBytes: body.length }, [body]);
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

/** Frames `payloads` the way the store does: one buffer for the header, the body cut at `cuts`. */
function sealedInParts(payloads: readonly Uint8Array[], cuts: readonly number[], blockBytes: number): Uint8Array {
  const body = concatBytes(payloads.flatMap((payload) => [new Uint8Array(RECORD_FRAME_BYTES), payload]));
  let at = 0;
  for (const payload of payloads) {
    writeRecordFrameLength(body, at, payload.length);
    at += recordFrameBytes(payload.length);
  }
  const edges = [0, ...cuts, body.length];
  const parts = edges.slice(1).map((end, i) => body.slice(edges[i], end));
  const header = new Uint8Array(BATCH_HEADER_BYTES);
  writeBatchHeader(header, LOG_ID, { firstOffset: 9, recordCount: payloads.length, bodyBytes: body.length }, parts);
  const out = new Uint8Array(batchSpanBytes(body.length, blockBytes));
  out.set(concatBytes([header, ...parts]), 0);
  return out;
}

test('writeBatchHeader over the body cut at any single point gives encodeBatch bytes', (t) => {
  const payloads = [utf8('alpha'), new Uint8Array(0), patternBytes(37, 8), utf8('omega')];
  const expected = hex(encodeBatch(LOG_ID, 9, payloads, 512));
  const bodyBytes = payloads.reduce((sum, payload) => sum + recordFrameBytes(payload.length), 0);
  for (let cut = 0; cut <= bodyBytes; cut++) {
    t.is(hex(sealedInParts(payloads, [cut], 512)), expected, `cut at ${cut}`);
  }
});

test('writeBatchHeader over many parts, empty ones and one-byte ones included, gives encodeBatch bytes', (t) => {
  const payloads = Array.from({ length: 6 }, (_, i) => patternBytes(i * 11, i));
  const expected = hex(encodeBatch(LOG_ID, 9, payloads, 1024));
  const bodyBytes = payloads.reduce((sum, payload) => sum + recordFrameBytes(payload.length), 0);
  const everyByte = Array.from({ length: bodyBytes - 1 }, (_, i) => i + 1);
  t.is(hex(sealedInParts(payloads, everyByte, 1024)), expected);
  t.is(hex(sealedInParts(payloads, [0, 0, 5, 5, 17, bodyBytes, bodyBytes], 1024)), expected);
  const random = prng(7);
  for (let round = 0; round < 50; round++) {
    const cuts = Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * (bodyBytes + 1)));
    t.is(hex(sealedInParts(payloads, cuts.sort((a, b) => a - b), 1024)), expected, `cuts ${cuts.join(',')}`);
  }
});

test('writeBatchHeader returns the CRC it stores', (t) => {
  const encoded = encodeBatch(LOG_ID, 3, [utf8('crc')], 512);
  const header = new Uint8Array(BATCH_HEADER_BYTES);
  const body = encoded.subarray(BATCH_HEADER_BYTES, BATCH_HEADER_BYTES + 7);
  const crc = writeBatchHeader(header, LOG_ID, { firstOffset: 3, recordCount: 1, bodyBytes: 7 }, [body]);
  t.is(crc, peekBatchHeader(encoded, 0)!.crc);
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
  const header = new Uint8Array(BATCH_HEADER_BYTES);
  const oneRecord = { firstOffset: 0, recordCount: 1 };
  assertion(() => writeBatchHeader(header, LOG_ID, { ...oneRecord, bodyBytes: 8 }, [new Uint8Array(7)]));
  assertion(() => writeBatchHeader(new Uint8Array(31), LOG_ID, { ...oneRecord, bodyBytes: 4 }, [new Uint8Array(4)]));
});

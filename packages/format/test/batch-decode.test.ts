/**
 * One job: the batch step (packages/format/src/batch-decode.ts). Every break class is reached by a
 * crafted case; decode(encode(x)) round-trips through the step; and random damage (bit flips,
 * zeroed and random ranges, cuts) never yields a batch whose CRC, recomputed independently with the
 * portable CRC-32C, fails. Set SEGLOG_SEED to replay a property run.
 */
import test from 'ava';
import fc from 'fast-check';
import {
  BATCH_HEADER_BYTES,
  BATCH_HEADER_BYTES_V1,
  BATCH_MAGIC_V1,
  BATCH_MAGIC_V2,
  CHUNK_ENTRY_BYTES,
  ChunkPlan,
  batchPayloads,
  crc32cPortable,
  encodeBatch,
  encodeBatchV1,
  readBatchHeader,
  stepBatch,
  writeBatchHeader,
  walkFrames,
  writeRecordFrameLength,
  type BreakReason,
} from '../src/index.js';
import { hex, independentlyValid, logIdOf, patternBytes, prng, propertyParams } from './support.js';

const LOG_ID = logIdOf(1);
const BLOCK = 512;

function batchOf(firstOffset: number, sizes: readonly number[], blockBytes = BLOCK): Uint8Array {
  return encodeBatch(LOG_ID, firstOffset, sizes.map((size, i) => patternBytes(size, firstOffset + i)), blockBytes);
}

function reasonOf(bytes: Uint8Array, at: number, expected: number | null, logId = LOG_ID): BreakReason | 'batch' {
  const step = stepBatch(logId, bytes, at, BLOCK, expected);
  return step.kind === 'batch' ? 'batch' : step.reason;
}

/** A batch whose CRCs hold over frames that do not add up: only a buggy writer makes one. */
function framesThatDoNotAddUp(): Uint8Array {
  const out = new Uint8Array(BLOCK);
  const plan = new ChunkPlan(4096);
  plan.add(6);
  plan.add(6); // the plan says two 6-byte frames; the frames below say otherwise
  writeRecordFrameLength(out, BATCH_HEADER_BYTES, 2);
  writeRecordFrameLength(out, BATCH_HEADER_BYTES + 6, 5); // claims 5 bytes where 2 remain
  writeBatchHeader(out, LOG_ID, { firstOffset: 9, ackedOffset: 9, appendTimeMs: 0 }, plan);
  return out;
}

function setU32(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(at, value, true);
  return out;
}

test('every break class is reachable, and each is what its name says', (t) => {
  const good = batchOf(40, [10, 20, 30]);
  t.is(reasonOf(good, 0, 40), 'batch');
  t.is(reasonOf(good, 0, null), 'batch');
  t.is(reasonOf(good.subarray(0, BATCH_HEADER_BYTES - 1), 0, 40), 'end-of-bytes');
  t.is(reasonOf(good, good.length - 8, 40), 'end-of-bytes');
  t.is(reasonOf(new Uint8Array(BLOCK), 0, 40), 'zero');
  const foreign = good.slice();
  foreign[0]! ^= 0xff;
  t.is(reasonOf(foreign, 0, 40), 'not-a-batch');
  const zeroMagic = good.slice();
  zeroMagic.fill(0, 0, 4);
  t.is(reasonOf(zeroMagic, 0, 40), 'not-a-batch', 'a zero magic over non-zero fields is not unwritten space');
  const noRecords = good.slice();
  new DataView(noRecords.buffer).setUint32(16, 0, true);
  t.is(reasonOf(noRecords, 0, 40), 'header-insane');
  const tinyBody = good.slice();
  new DataView(tinyBody.buffer).setUint32(20, 3 * 4 - 1, true);
  t.is(reasonOf(tinyBody, 0, 40), 'header-insane');
  const hugeOffset = good.slice();
  new DataView(hugeOffset.buffer).setUint32(12, 2 ** 21, true);
  t.is(reasonOf(hugeOffset, 0, 40), 'header-insane');
  t.is(reasonOf(good.subarray(0, BATCH_HEADER_BYTES + 20), 0, 40), 'truncated');
  const flipped = good.slice();
  flipped[BATCH_HEADER_BYTES + 7]! ^= 1;
  t.is(reasonOf(flipped, 0, 40), 'crc-mismatch');
  t.is(reasonOf(good, 0, 40, logIdOf(2)), 'crc-mismatch', 'a batch of another log');
  t.is(reasonOf(framesThatDoNotAddUp(), 0, 9), 'frames-mismatch');
  t.is(reasonOf(good, 0, 41), 'offset-mismatch');
  t.is(reasonOf(good, 0, 39), 'offset-mismatch');
});

test('v2 header fields no writer produces are header-insane; damaged header fields or table are CRC mismatches', (t) => {
  const good = batchOf(40, [10, 20, 30]);
  t.is(reasonOf(setU32(good, 24, 41), 0, 40), 'header-insane', 'acknowledged past its own first record');
  t.is(reasonOf(setU32(good, 40, 0), 0, 40), 'header-insane', 'no chunk table');
  t.is(reasonOf(setU32(good, 40, 4), 0, 40), 'header-insane', 'more chunks than records');
  t.is(reasonOf(setU32(good, 36, 2 ** 21), 0, 40), 'header-insane', 'an append time past 2^53');
  t.is(reasonOf(setU32(good, 32, 12345), 0, 40), 'crc-mismatch', 'the append time is covered');
  t.is(reasonOf(setU32(good, 24, 39), 0, 40), 'crc-mismatch', 'the acked offset is covered');
  t.is(reasonOf(setU32(good, 44, 1), 0, 40), 'crc-mismatch', 'the reserved word is covered');
  const tableAt = BATCH_HEADER_BYTES + 3 * 4 + 60;
  const table = good.slice();
  table[tableAt + 8]! ^= 0x40; // the chunk's stored CRC
  const step = stepBatch(LOG_ID, table, 0, BLOCK, 40);
  t.is(step.kind === 'break' ? step.reason : step.kind, 'crc-mismatch');
  t.is(step.kind === 'break' ? step.chunkIndex : -1, null, 'the header CRC covers the table');
});

test('a v2 batch of many chunks: damage in one chunk names that chunk', (t) => {
  const payloads = Array.from({ length: 12 }, (_, i) => patternBytes(90, i));
  const good = encodeBatch(LOG_ID, 0, payloads, BLOCK, { chunkBytes: 200 });
  const header = readBatchHeader(good, 0);
  if (typeof header === 'string') return t.fail(header);
  t.is(header.chunkCount, 6, 'two 94-byte frames per 200-byte chunk');
  for (let chunk = 0; chunk < 6; chunk++) {
    const flipped = good.slice();
    flipped[BATCH_HEADER_BYTES + chunk * 188 + 100]! ^= 1;
    const step = stepBatch(LOG_ID, flipped, 0, BLOCK, 0);
    if (step.kind !== 'break') return t.fail('a flipped byte is a break');
    t.is(step.reason, 'crc-mismatch');
    t.is(step.chunkIndex, chunk);
    const chunkAt = BATCH_HEADER_BYTES + chunk * 188;
    t.is(step.computedCrc, crc32cPortable(flipped.subarray(chunkAt, chunkAt + 188)));
  }
});

test('a break carries what a tool needs: the header, the bytes it claims, stored and computed CRC', (t) => {
  const good = batchOf(7, [100]);
  const truncated = stepBatch(LOG_ID, good.subarray(0, 64), 0, BLOCK, 7);
  if (truncated.kind !== 'break') return t.fail('a cut batch is a break');
  t.is(truncated.header?.firstOffset, 7);
  t.is(truncated.neededBytes, BATCH_HEADER_BYTES + 104 + CHUNK_ENTRY_BYTES);
  t.is(truncated.computedCrc, null, 'no CRC over bytes that are not there');
  const flipped = good.slice();
  flipped[BATCH_HEADER_BYTES + 50]! ^= 0x10;
  const mismatch = stepBatch(LOG_ID, flipped, 0, BLOCK, 7);
  if (mismatch.kind !== 'break') return t.fail('a flipped byte is a break');
  t.is(mismatch.reason, 'crc-mismatch');
  t.is(mismatch.chunkIndex, 0);
  t.is(mismatch.computedCrc, crc32cPortable(flipped.subarray(BATCH_HEADER_BYTES, BATCH_HEADER_BYTES + 104)), 'the chunk CRC');
  const headerFlipped = setU32(good, 32, 99);
  const headerMismatch = stepBatch(LOG_ID, headerFlipped, 0, BLOCK, 7);
  if (headerMismatch.kind !== 'break') return t.fail('a changed header field is a break');
  t.is(headerMismatch.header?.crc, new DataView(good.buffer).getUint32(4, true), 'the stored CRC');
  t.is(headerMismatch.chunkIndex, null);
  const tableBytes = headerFlipped.subarray(BATCH_HEADER_BYTES + 104, BATCH_HEADER_BYTES + 104 + CHUNK_ENTRY_BYTES);
  const fieldsCrc = crc32cPortable(headerFlipped.subarray(8, BATCH_HEADER_BYTES), crc32cPortable(LOG_ID));
  const headerCrc = crc32cPortable(tableBytes, fieldsCrc);
  t.is(headerMismatch.computedCrc, headerCrc);
  const v1 = encodeBatchV1(LOG_ID, 7, [patternBytes(100, 7)], BLOCK);
  v1[BATCH_HEADER_BYTES_V1 + 50]! ^= 0x10;
  const v1Mismatch = stepBatch(LOG_ID, v1, 0, BLOCK, 7);
  if (v1Mismatch.kind !== 'break') return t.fail('a flipped byte in v1 is a break');
  t.is(v1Mismatch.computedCrc, crc32cPortable(v1.subarray(8, BATCH_HEADER_BYTES_V1 + 104), crc32cPortable(LOG_ID)));
  t.is(v1Mismatch.chunkIndex, null);
  const zero = stepBatch(LOG_ID, new Uint8Array(64), 0, BLOCK, 7);
  t.deepEqual(zero, { kind: 'break', reason: 'zero', header: null, neededBytes: 0, computedCrc: null, chunkIndex: null });
});

test('walkFrames gives a tool the framing view, and where frames stop adding up', (t) => {
  const good = batchOf(0, [3, 0, 5]);
  const header = readBatchHeader(good, 0);
  if (typeof header === 'string') return t.fail(header);
  const frames: [number, number][] = [];
  const end = walkFrames(good, 0, header, (at, lengthBytes) => frames.push([at, lengthBytes]));
  t.deepEqual(frames, [[52, 3], [59, 0], [63, 5]]);
  t.is(end, BATCH_HEADER_BYTES + header.framesBytes);
  const bad = framesThatDoNotAddUp();
  const badHeader = readBatchHeader(bad, 0);
  if (typeof badHeader === 'string') return t.fail(badHeader);
  const seen: number[] = [];
  t.is(walkFrames(bad, 0, badHeader, (_, lengthBytes) => seen.push(lengthBytes)), -1);
  t.deepEqual(seen, [2], 'the frames before the one that overruns');
});

test('version dispatch: each magic reads its layout, and the header says which', (t) => {
  const v1Bytes = encodeBatchV1(LOG_ID, 3, [patternBytes(1, 3), patternBytes(2, 4)], BLOCK);
  const v1 = readBatchHeader(v1Bytes, 0);
  if (typeof v1 === 'string') return t.fail(v1);
  t.like(v1, { version: 1, headerBytes: 32, recordCount: 2, chunkCount: 0 });
  t.is(v1.ackedOffset, undefined);
  t.is(v1.appendTimeMs, undefined);
  t.is(new DataView(v1Bytes.buffer).getUint32(0, true), BATCH_MAGIC_V1);
  const stamp = { ackedOffset: 1, appendTimeMs: 77 };
  const v2Bytes = encodeBatch(LOG_ID, 3, [patternBytes(1, 3), patternBytes(2, 4)], BLOCK, stamp);
  const v2 = readBatchHeader(v2Bytes, 0);
  if (typeof v2 === 'string') return t.fail(v2);
  t.like(v2, { version: 2, headerBytes: 48, recordCount: 2, chunkCount: 1, ackedOffset: 1, appendTimeMs: 77 });
  t.is(new DataView(v2Bytes.buffer).getUint32(0, true), BATCH_MAGIC_V2);
  t.is(readBatchHeader(v2Bytes.subarray(0, BATCH_HEADER_BYTES - 1), 0), 'end-of-bytes', 'a v2 header needs 48 bytes');
});

const logIdArb = fc.uint8Array({ minLength: 16, maxLength: 16 });
const blocksBeforeArb = fc.nat({ max: 3 });
const payloadsArb = fc.array(fc.uint8Array({ maxLength: 700, size: 'max' }), { minLength: 1, maxLength: 20, size: 'max' });
/** An encoder: v1, or v2 with a chunk target from one byte (a chunk per record) to the default. */
const encoderArb = fc.oneof(
  fc.constant('v1' as const),
  fc.integer({ min: 1, max: 4096 }),
);

function encodeWith(encoder: 'v1' | number, logId: Uint8Array, firstOffset: number, payloads: Uint8Array[]): Uint8Array {
  if (encoder === 'v1') return encodeBatchV1(logId, firstOffset, payloads, BLOCK);
  const options = { chunkBytes: encoder, ackedOffset: Math.floor(firstOffset / 2), appendTimeMs: firstOffset };
  return encodeBatch(logId, firstOffset, payloads, BLOCK, options);
}

test('the step round-trips encode at any block of a larger buffer, and spans whole blocks', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(logIdArb, fc.maxSafeNat(), payloadsArb, blocksBeforeArb, encoderArb, (...args) => {
        const [logId, firstOffset, payloads, blocksBefore, encoder] = args;
        const encoded = encodeWith(encoder, logId, firstOffset, payloads);
        const buffer = new Uint8Array(encoded.length + (blocksBefore + 1) * BLOCK);
        buffer.set(encoded, blocksBefore * BLOCK);
        const step = stepBatch(logId, buffer, blocksBefore * BLOCK, BLOCK, firstOffset);
        if (step.kind !== 'batch') throw new Error(`a fresh batch broke: ${step.reason}`);
        if (step.spanBytes !== encoded.length || step.spanBytes % BLOCK !== 0) throw new Error('span is the encoded length, whole blocks');
        const decoded = batchPayloads(buffer, blocksBefore * BLOCK, step.header);
        if (decoded.map(hex).join() !== payloads.map(hex).join()) throw new Error('payloads differ');
        const nextAt = blocksBefore * BLOCK + step.spanBytes;
        const after = stepBatch(logId, buffer, nextAt, BLOCK, firstOffset + payloads.length);
        if (after.kind !== 'break' || after.reason !== 'zero') throw new Error('the next block is unwritten space');
      }),
      propertyParams(200),
    ),
  );
});

/** Applies one random kind of damage, as a torn or misdirected write or bit rot would. */
function damage(bytes: Uint8Array, next: () => number): Uint8Array {
  const out = bytes.slice();
  const at = Math.floor(next() * out.length);
  const lengthBytes = 1 + Math.floor(next() * Math.min(600, out.length - at));
  switch (Math.floor(next() * 4)) {
    case 0:
      out[at]! ^= 1 << Math.floor(next() * 8);
      return out;
    case 1:
      return out.fill(0, at, at + lengthBytes);
    case 2:
      for (let i = at; i < at + lengthBytes; i++) out[i] = Math.floor(next() * 256);
      return out;
    default:
      return out.subarray(0, at);
  }
}

test('random damage never yields a batch that fails an independent CRC check', (t) => {
  const seen = new Set<string>();
  t.notThrows(() =>
    fc.assert(
      fc.property(logIdArb, fc.nat({ max: 2 ** 40 }), payloadsArb, fc.integer(), encoderArb, (...args) => {
        const [logId, first, payloads, seed, encoder] = args;
        const next = prng(seed);
        const damaged = damage(encodeWith(encoder, logId, first, payloads), next);
        const step = stepBatch(logId, damaged, 0, BLOCK, next() < 0.5 ? first : null);
        seen.add(step.kind === 'batch' ? 'batch' : step.reason);
        if (step.kind === 'break') return;
        if (!independentlyValid(logId, damaged)) throw new Error('a batch that fails its CRC was accepted');
      }),
      propertyParams(500),
    ),
  );
  t.true(seen.has('crc-mismatch'), `damage was caught as a CRC mismatch: ${[...seen].join(', ')}`);
});

/**
 * One job: test the sealed-segment trailer (packages/format/src/segment-trailer.ts): round trips,
 * that every damaged byte or foreign log id makes it untrusted, that it is never mistaken for a
 * batch, and that `trailerMismatch` refuses a trailer that disagrees with the directory.
 */
import test from 'ava';
import fc from 'fast-check';
import { isSeglogError } from '@seglog/types';
import {
  SEGMENT_TRAILER_BYTES,
  decodeSegmentTrailer,
  encodeSegmentTrailer,
  readSegmentTrailer,
  requireSegmentTrailer,
  stepBatch,
  trailerMismatch,
} from '../src/index.js';
import type { SegmentTrailer } from '../src/index.js';
import { isAllZero, logIdOf, propertyParams } from './support.js';

const LOG_ID = logIdOf(7);
const BLOCK = 4096;

const TRAILER: SegmentTrailer = {
  baseOffset: 1000,
  endOffset: 1250,
  batches: 40,
  positionBytes: 64 * BLOCK,
  chainEndBytes: 60 * BLOCK,
  lastBatchPositionBytes: 58 * BLOCK,
  segmentSeq: 12,
  firstAppendTimeMs: 1_780_000_000_000,
  lastAppendTimeMs: 1_780_000_000_900,
};

/** A segment file image: header block (zeros here), then zeros, then the trailer as its last block. */
function fileWith(trailer: SegmentTrailer): Uint8Array {
  const file = new Uint8Array(trailer.positionBytes + BLOCK);
  file.set(encodeSegmentTrailer(trailer, LOG_ID, BLOCK), trailer.positionBytes);
  return file;
}

function sourceOf(bytes: Uint8Array): { read(buffer: Uint8Array, positionBytes: number): Promise<number> } {
  return {
    read: async (buffer, positionBytes) => {
      const part = bytes.subarray(positionBytes, positionBytes + buffer.length);
      buffer.set(part);
      return part.length;
    },
  };
}

test('a trailer round-trips, and its block is zero after its fields', (t) => {
  const block = encodeSegmentTrailer(TRAILER, LOG_ID, BLOCK);
  t.is(block.length, BLOCK);
  t.true(isAllZero(block.subarray(SEGMENT_TRAILER_BYTES)));
  t.deepEqual(decodeSegmentTrailer(block, LOG_ID), { kind: 'trailer', trailer: TRAILER });
});

test('unknown append times (v1 batches) round-trip as undefined', (t) => {
  const trailer = { ...TRAILER, firstAppendTimeMs: undefined, lastAppendTimeMs: undefined };
  t.deepEqual(decodeSegmentTrailer(encodeSegmentTrailer(trailer, LOG_ID, BLOCK), LOG_ID), { kind: 'trailer', trailer });
});

test('every field round-trips (property)', (t) => {
  const arbitrary = fc
    .record({
      baseOffset: fc.integer({ min: 0, max: 2 ** 52 }),
      records: fc.integer({ min: 1, max: 2 ** 31 }),
      chainBlocks: fc.integer({ min: 2, max: 2 ** 20 }),
      spareBlocks: fc.integer({ min: 0, max: 64 }),
      segmentSeq: fc.integer({ min: 0, max: 2 ** 52 }),
      time: fc.option(fc.integer({ min: 1, max: 2 ** 50 }), { nil: undefined }),
    })
    .map(({ baseOffset, records, chainBlocks, spareBlocks, segmentSeq, time }): SegmentTrailer => ({
      baseOffset,
      endOffset: baseOffset + records,
      batches: Math.min(records, chainBlocks - 1),
      positionBytes: (chainBlocks + spareBlocks) * 512,
      chainEndBytes: chainBlocks * 512,
      lastBatchPositionBytes: (chainBlocks - 1) * 512,
      segmentSeq,
      firstAppendTimeMs: time,
      lastAppendTimeMs: time,
    }));
  fc.assert(
    fc.property(arbitrary, (trailer) => {
      const decoded = decodeSegmentTrailer(encodeSegmentTrailer(trailer, LOG_ID, 512), LOG_ID);
      t.deepEqual(decoded, { kind: 'trailer', trailer });
    }),
    propertyParams(200),
  );
  t.pass();
});

test('any damaged byte of the fields makes the trailer untrusted, never a different trailer', (t) => {
  const block = encodeSegmentTrailer(TRAILER, LOG_ID, BLOCK);
  for (let i = 0; i < SEGMENT_TRAILER_BYTES; i++) {
    const damaged = block.slice();
    damaged[i]! ^= 0x10;
    const decoded = decodeSegmentTrailer(damaged, LOG_ID);
    t.not(decoded.kind, 'trailer', `byte ${i}`);
    // The magic is bytes 0..4: damage there reads as "no trailer", anywhere else as an invalid one.
    t.is(decoded.kind, i < 4 ? 'none' : 'invalid', `byte ${i}`);
  }
});

test('a trailer written by another log does not verify (the CRC is seeded with the log id)', (t) => {
  const block = encodeSegmentTrailer(TRAILER, LOG_ID, BLOCK);
  t.deepEqual(decodeSegmentTrailer(block, logIdOf(8)), { kind: 'invalid', reason: 'checksum mismatch' });
});

test('zeros, a short block and a batch are not trailers; a trailer is not a batch', (t) => {
  t.deepEqual(decodeSegmentTrailer(new Uint8Array(BLOCK), LOG_ID), { kind: 'none' });
  t.deepEqual(decodeSegmentTrailer(encodeSegmentTrailer(TRAILER, LOG_ID, BLOCK).subarray(0, 50), LOG_ID), { kind: 'none' });
  const step = stepBatch(LOG_ID, encodeSegmentTrailer(TRAILER, LOG_ID, BLOCK), 0, BLOCK, TRAILER.endOffset);
  t.is(step.kind, 'break');
  t.is(step.kind === 'break' ? step.reason : null, 'not-a-batch');
});

test('readSegmentTrailer finds the trailer in the last block of the file; none in a file without one', async (t) => {
  const file = fileWith(TRAILER);
  t.deepEqual(await readSegmentTrailer(sourceOf(file), file.length, LOG_ID, BLOCK), { kind: 'trailer', trailer: TRAILER });
  const plain = new Uint8Array(8 * BLOCK);
  t.deepEqual(await readSegmentTrailer(sourceOf(plain), plain.length, LOG_ID, BLOCK), { kind: 'none' });
  // A size that is not whole blocks (a torn extension) has no trailer where open looks.
  t.deepEqual(await readSegmentTrailer(sourceOf(file), file.length - 512, LOG_ID, BLOCK), { kind: 'none' });
});

test('trailerMismatch: a trailer must name its file, end at the next segment, and be the last block', (t) => {
  const expected = { baseOffset: 1000, nextBaseOffset: 1250, sizeBytes: 65 * BLOCK, blockBytes: BLOCK };
  t.is(trailerMismatch(TRAILER, expected), null);
  t.regex(trailerMismatch(TRAILER, { ...expected, baseOffset: 999 }) ?? '', /base offset 1000/);
  t.regex(trailerMismatch(TRAILER, { ...expected, nextBaseOffset: 1300 }) ?? '', /next segment starts at 1300/);
  t.regex(trailerMismatch(TRAILER, { ...expected, sizeBytes: 66 * BLOCK }) ?? '', /last block/);
  t.regex(trailerMismatch({ ...TRAILER, batches: 251 }, expected) ?? '', /more batches than records/);
});

test('requireSegmentTrailer returns a matching trailer and names the file for a missing or wrong one', async (t) => {
  const file = fileWith(TRAILER);
  const expected = { baseOffset: 1000, nextBaseOffset: 1250, sizeBytes: file.length, blockBytes: BLOCK };
  t.deepEqual(await requireSegmentTrailer(sourceOf(file), 'a.seg', LOG_ID, expected), TRAILER);
  for (const [bytes, wanted, message] of [
    [new Uint8Array(file.length), expected, /has no trailer/],
    [file, { ...expected, nextBaseOffset: 1251 }, /the trailer disagrees/],
  ] as const) {
    const error = await t.throwsAsync(requireSegmentTrailer(sourceOf(bytes), 'a.seg', LOG_ID, wanted));
    t.true(isSeglogError(error, 'SEGLOG_CORRUPT'), String(error));
    t.like(error, { file: 'a.seg', positionBytes: file.length - BLOCK });
    t.regex(error.message, message);
  }
});

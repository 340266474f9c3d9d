/**
 * One job: fast-check properties of batches (packages/format/src/batch.ts): decode(encode(x)) = x,
 * every single-byte corruption of the CRC-covered bytes is caught (tried at every position, not
 * sampled), padding is zero, and a splice of two batches never decodes. Set SEGLOG_SEED to replay.
 */
import { deepStrictEqual, equal, ok } from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import { BATCH_HEADER_BYTES, decodeBatch, encodeBatch, peekBatchHeader } from '../src/index.js';
import { hex, isAllZero, prng, propertyParams } from './support.js';

const logIdArb = fc.uint8Array({ minLength: 16, maxLength: 16 });
const blockBytesArb = fc.integer({ min: 9, max: 16 }).map((exponent) => 2 ** exponent); // 512..65536
const firstOffsetArb = fc.maxSafeNat();

// size 'max': without it fast-check keeps arrays to about 10 items whatever maxLength says, and the
// multi-block batches this property exists for would never be generated.
/** 1..50 records of 0..3000 bytes; an empty batch is refused by the encoder (batch.test.ts). */
const payloadsArb = fc.array(fc.uint8Array({ maxLength: 3000, size: 'max' }), { minLength: 1, maxLength: 50, size: 'max' });

/** Smaller batches for the exhaustive corruption runs, whose cost is (covered bytes)^2. */
const smallPayloadsArb = fc.array(fc.uint8Array({ maxLength: 200, size: 'max' }), { minLength: 1, maxLength: 12, size: 'max' });

function coveredBytesOf(encoded: Uint8Array): number {
  const header = peekBatchHeader(encoded, 0);
  ok(header !== null, 'a fresh batch has a header');
  return BATCH_HEADER_BYTES + header.bodyBytes;
}

test('decode(encode(x)) = x, at any block position of a larger buffer', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        logIdArb,
        firstOffsetArb,
        payloadsArb,
        blockBytesArb,
        fc.nat({ max: 3 }),
        (logId, firstOffset, payloads, blockBytes, blocksBefore) => {
          const encoded = encodeBatch(logId, firstOffset, payloads, blockBytes);
          equal(encoded.length % blockBytes, 0, 'the span is whole blocks');
          const buffer = new Uint8Array((blocksBefore + 1) * blockBytes + encoded.length);
          const at = blocksBefore * blockBytes;
          buffer.set(encoded, at);
          const decoded = decodeBatch(logId, buffer, at, blockBytes, firstOffset);
          ok(decoded !== null, 'the batch decodes');
          deepStrictEqual(decoded.payloads.map(hex), payloads.map(hex));
          equal(decoded.header.firstOffset, firstOffset);
          equal(decoded.header.recordCount, payloads.length);
          equal(decoded.spanBytes, encoded.length);
          ok(decoded.spanBytes - blockBytes < coveredBytesOf(encoded), 'padding is less than one block');
          ok(peekBatchHeader(buffer, at + decoded.spanBytes) === null, 'the next block is not a batch');
        },
      ),
      propertyParams(100),
    ),
  );
});

test('padding after the body is all zero', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(logIdArb, firstOffsetArb, payloadsArb, blockBytesArb, (logId, firstOffset, payloads, blockBytes) => {
        const encoded = encodeBatch(logId, firstOffset, payloads, blockBytes);
        ok(isAllZero(encoded.subarray(coveredBytesOf(encoded))), 'padding is zero');
      }),
      propertyParams(100),
    ),
  );
});

/**
 * XORs each covered byte in turn with a non-zero value from `seed`, asserts the batch no longer
 * decodes, and restores the byte. Returns how many positions were tried.
 */
function assertEveryByteCorruptionFails(
  logId: Uint8Array,
  encoded: Uint8Array,
  blockBytes: number,
  seed: number,
): number {
  const random = prng(seed);
  const coveredBytes = coveredBytesOf(encoded);
  for (let position = 0; position < coveredBytes; position++) {
    const mask = 1 + Math.floor(random() * 255);
    const original = encoded[position]!;
    encoded[position] = original ^ mask;
    equal(decodeBatch(logId, encoded, 0, blockBytes), null, `byte ${position} ^ 0x${mask.toString(16)} still decodes`);
    encoded[position] = original;
  }
  ok(decodeBatch(logId, encoded, 0, blockBytes) !== null, 'the restored batch decodes again');
  return coveredBytes;
}

test('every single-byte corruption of header or body is caught, at every position', (t) => {
  let positionsTried = 0;
  t.notThrows(() =>
    fc.assert(
      fc.property(
        logIdArb,
        firstOffsetArb,
        smallPayloadsArb,
        blockBytesArb,
        fc.nat(),
        (logId, offset, payloads, blockBytes, seed) => {
          const encoded = encodeBatch(logId, offset, payloads, blockBytes);
          positionsTried += assertEveryByteCorruptionFails(logId, encoded, blockBytes, seed);
        },
      ),
      propertyParams(6),
    ),
  );
  t.true(positionsTried >= 6 * (BATCH_HEADER_BYTES + 4), 'every run tried at least the header and one frame');
});

test('every single-byte corruption of a batch spanning many blocks is caught', (t) => {
  const payloads = Array.from({ length: 30 }, (_, i) =>
    Uint8Array.from({ length: i * 13 }, (_, j) => (i + j * 3) & 0xff),
  );
  const logId = Uint8Array.from({ length: 16 }, (_, i) => 255 - i);
  const encoded = encodeBatch(logId, 123_456, payloads, 512);
  t.true(encoded.length >= 12 * 512, 'the batch spans many blocks');
  t.is(assertEveryByteCorruptionFails(logId, encoded, 512, 99), coveredBytesOf(encoded));
});

// The header decides how everything else is read, so there it is cheap to try all 255 masks.
test('every one of the 255 masks at every header byte is caught', (t) => {
  const logId = Uint8Array.from({ length: 16 }, (_, i) => i * 9);
  const payloads = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(90).fill(7)];
  const encoded = encodeBatch(logId, 2 ** 40 + 5, payloads, 512);
  const survivors: string[] = [];
  for (let position = 0; position < BATCH_HEADER_BYTES; position++) {
    for (let mask = 1; mask < 256; mask++) {
      encoded[position] = encoded[position]! ^ mask;
      if (decodeBatch(logId, encoded, 0, 512) !== null) survivors.push(`${position}^${mask}`);
      encoded[position] = encoded[position]! ^ mask;
    }
  }
  t.deepEqual(survivors, []);
  t.truthy(decodeBatch(logId, encoded, 0, 512));
});

const twoBatchesArb = fc.record({
  logId: logIdArb,
  blockBytes: blockBytesArb,
  offsetA: firstOffsetArb,
  offsetB: firstOffsetArb,
  payloadsA: smallPayloadsArb,
  payloadsB: smallPayloadsArb,
});

/** True when `bytes` holds exactly batch `encoded`'s covered bytes at 0 (then decoding is right). */
function coversSameBytes(bytes: Uint8Array, encoded: Uint8Array): boolean {
  const coveredBytes = coveredBytesOf(encoded);
  return hex(bytes.subarray(0, coveredBytes)) === hex(encoded.subarray(0, coveredBytes));
}

test('the header of batch B on the bytes of batch A never decodes', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(twoBatchesArb, ({ logId, blockBytes, offsetA, offsetB, payloadsA, payloadsB }) => {
        const batchA = encodeBatch(logId, offsetA, payloadsA, blockBytes);
        const batchB = encodeBatch(logId, offsetB, payloadsB, blockBytes);
        const spliced = new Uint8Array(Math.max(batchA.length, batchB.length));
        spliced.set(batchA, 0);
        spliced.set(batchB.subarray(0, BATCH_HEADER_BYTES), 0);
        fc.pre(!coversSameBytes(spliced, batchB)); // identical bodies make the splice just B
        equal(decodeBatch(logId, spliced, 0, blockBytes), null);
      }),
      propertyParams(200),
    ),
  );
});

// A torn write of B over stale A: B's first `landedBytes` reached the disk, A's bytes remain after.
test('a torn overwrite (a prefix of batch B over batch A) never decodes', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(twoBatchesArb, fc.nat(), ({ logId, blockBytes, offsetA, offsetB, payloadsA, payloadsB }, cutSeed) => {
        const batchA = encodeBatch(logId, offsetA, payloadsA, blockBytes);
        const batchB = encodeBatch(logId, offsetB, payloadsB, blockBytes);
        const landedBytes = 1 + (cutSeed % (coveredBytesOf(batchB) - 1));
        const spliced = new Uint8Array(Math.max(batchA.length, batchB.length));
        spliced.set(batchA, 0);
        spliced.set(batchB.subarray(0, landedBytes), 0);
        // A write that changed nothing leaves A, and one that rewrote all of B's bytes is B: both valid.
        fc.pre(!coversSameBytes(spliced, batchA) && !coversSameBytes(spliced, batchB));
        equal(decodeBatch(logId, spliced, 0, blockBytes), null);
      }),
      propertyParams(200),
    ),
  );
});

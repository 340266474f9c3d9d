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
  BATCH_MAGIC_V1,
  batchPayloads,
  crc32cPortable,
  encodeBatch,
  readBatchHeader,
  stepBatch,
  writeBatchHeader,
  walkFrames,
  writeRecordFrameLength,
  type BreakReason,
} from '../src/index.js';
import { hex, logIdOf, patternBytes, prng, propertyParams } from './support.js';

const LOG_ID = logIdOf(1);
const BLOCK = 512;

function batchOf(firstOffset: number, sizes: readonly number[], blockBytes = BLOCK): Uint8Array {
  return encodeBatch(LOG_ID, firstOffset, sizes.map((size, i) => patternBytes(size, firstOffset + i)), blockBytes);
}

function reasonOf(bytes: Uint8Array, at: number, expected: number | null, logId = LOG_ID): BreakReason | 'batch' {
  const step = stepBatch(logId, bytes, at, BLOCK, expected);
  return step.kind === 'batch' ? 'batch' : step.reason;
}

/** A batch whose CRC holds over frames that do not add up: only a buggy writer makes one. */
function framesThatDoNotAddUp(): Uint8Array {
  const out = new Uint8Array(BLOCK);
  const bodyBytes = 12;
  writeRecordFrameLength(out, BATCH_HEADER_BYTES, 2);
  writeRecordFrameLength(out, BATCH_HEADER_BYTES + 6, 5); // claims 5 bytes where 2 remain
  const body = out.subarray(BATCH_HEADER_BYTES, BATCH_HEADER_BYTES + bodyBytes);
  writeBatchHeader(out, LOG_ID, { firstOffset: 9, recordCount: 2, bodyBytes }, [body]);
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

test('a break carries what a tool needs: the header, the bytes it claims, stored and computed CRC', (t) => {
  const good = batchOf(7, [100]);
  const truncated = stepBatch(LOG_ID, good.subarray(0, 64), 0, BLOCK, 7);
  if (truncated.kind !== 'break') return t.fail('a cut batch is a break');
  t.is(truncated.header?.firstOffset, 7);
  t.is(truncated.neededBytes, BATCH_HEADER_BYTES + 104);
  t.is(truncated.computedCrc, null, 'no CRC over bytes that are not there');
  const flipped = good.slice();
  flipped[BATCH_HEADER_BYTES + 50]! ^= 0x10;
  const mismatch = stepBatch(LOG_ID, flipped, 0, BLOCK, 7);
  if (mismatch.kind !== 'break') return t.fail('a flipped byte is a break');
  t.is(mismatch.reason, 'crc-mismatch');
  t.is(mismatch.header?.crc, new DataView(good.buffer).getUint32(4, true), 'the stored CRC');
  t.is(mismatch.computedCrc, crc32cPortable(flipped.subarray(8, BATCH_HEADER_BYTES + 104), crc32cPortable(LOG_ID)));
  const zero = stepBatch(LOG_ID, new Uint8Array(64), 0, BLOCK, 7);
  t.deepEqual(zero, { kind: 'break', reason: 'zero', header: null, neededBytes: 0, computedCrc: null });
});

test('walkFrames gives a tool the framing view, and where frames stop adding up', (t) => {
  const good = batchOf(0, [3, 0, 5]);
  const header = readBatchHeader(good, 0);
  if (typeof header === 'string') return t.fail(header);
  const frames: [number, number][] = [];
  const end = walkFrames(good, 0, header, (at, lengthBytes) => frames.push([at, lengthBytes]));
  t.deepEqual(frames, [[36, 3], [43, 0], [47, 5]]);
  t.is(end, BATCH_HEADER_BYTES + header.bodyBytes);
  const bad = framesThatDoNotAddUp();
  const badHeader = readBatchHeader(bad, 0);
  if (typeof badHeader === 'string') return t.fail(badHeader);
  const seen: number[] = [];
  t.is(walkFrames(bad, 0, badHeader, (_, lengthBytes) => seen.push(lengthBytes)), -1);
  t.deepEqual(seen, [2], 'the frames before the one that overruns');
});

test('version dispatch: a v1 magic reads the v1 layout, and the header says so', (t) => {
  const header = readBatchHeader(batchOf(3, [1, 2]), 0);
  if (typeof header === 'string') return t.fail(header);
  t.is(header.version, 1);
  t.is(header.recordCount, 2);
  t.is(new DataView(batchOf(3, [1]).buffer).getUint32(0, true), BATCH_MAGIC_V1);
});

const logIdArb = fc.uint8Array({ minLength: 16, maxLength: 16 });
const blocksBeforeArb = fc.nat({ max: 3 });
const payloadsArb = fc.array(fc.uint8Array({ maxLength: 700, size: 'max' }), { minLength: 1, maxLength: 20, size: 'max' });

test('the step round-trips encode at any block of a larger buffer, and spans whole blocks', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(logIdArb, fc.maxSafeNat(), payloadsArb, blocksBeforeArb, (logId, firstOffset, payloads, blocks) => {
        const blocksBefore = blocks;
        const encoded = encodeBatch(logId, firstOffset, payloads, BLOCK);
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
      fc.property(logIdArb, fc.nat({ max: 2 ** 40 }), payloadsArb, fc.integer(), (logId, first, payloads, seed) => {
        const next = prng(seed);
        const damaged = damage(encodeBatch(logId, first, payloads, BLOCK), next);
        const step = stepBatch(logId, damaged, 0, BLOCK, next() < 0.5 ? first : null);
        seen.add(step.kind === 'batch' ? 'batch' : step.reason);
        if (step.kind === 'break') return;
        const end = BATCH_HEADER_BYTES + step.header.bodyBytes;
        const crc = crc32cPortable(damaged.subarray(8, end), crc32cPortable(logId));
        if (crc !== new DataView(damaged.buffer, damaged.byteOffset).getUint32(4, true)) throw new Error('a batch that fails its CRC was accepted');
      }),
      propertyParams(500),
    ),
  );
  t.true(seen.has('crc-mismatch'), `damage was caught as a CRC mismatch: ${[...seen].join(', ')}`);
});

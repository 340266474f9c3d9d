/**
 * One job: the rule of packages/format/src/unacknowledged-tail.ts, over in-memory segments. Past a
 * stop at offset E, batches stamped `ackedOffset <= E` in the last segment are the remains of
 * batches in flight (fewer than `batchesInFlightCountMax` of them); any other valid batch there
 * (acked past E, version 1, one too many, in a sealed segment) is acknowledged data behind damage.
 */
import test from 'ava';
import { limits } from '@seglog/types';
import { encodeBatch, encodeBatchV1, judgePastChainEnd, describeAcknowledgedBeyond } from '../src/index.js';
import type { ChainFile } from '../src/index.js';
import { concatBytes, logIdOf, patternBytes } from './support.js';

const LOG_ID = logIdOf(9);
const BLOCK_BYTES = 512;
/** The stop: offset 3, at block 4 (a header block, then three one-record batches). */
const STOP = { endPositionBytes: 4 * BLOCK_BYTES, endOffset: 3 };

type Stamp = number | 'v1';

/** A segment of 3 good batches, the lost one at offset 3 (zeros), then one batch per stamp. */
function fileWith(stamps: readonly Stamp[]): ChainFile {
  const parts: Uint8Array[] = [new Uint8Array(BLOCK_BYTES)];
  for (let offset = 0; offset < 3; offset++) {
    parts.push(encodeBatch(LOG_ID, offset, [patternBytes(20, offset)], BLOCK_BYTES));
  }
  parts.push(new Uint8Array(BLOCK_BYTES));
  for (const [i, stamp] of stamps.entries()) {
    const offset = 4 + i;
    const payloads = [patternBytes(20, offset)];
    parts.push(stamp === 'v1'
      ? encodeBatchV1(LOG_ID, offset, payloads, BLOCK_BYTES)
      : encodeBatch(LOG_ID, offset, payloads, BLOCK_BYTES, { ackedOffset: stamp }));
  }
  parts.push(new Uint8Array(BLOCK_BYTES));
  const bytes = concatBytes(parts);
  const source = {
    read: async (buffer: Uint8Array, positionBytes: number): Promise<number> => {
      const count = Math.max(0, Math.min(buffer.length, bytes.length - positionBytes));
      buffer.set(bytes.subarray(positionBytes, positionBytes + count));
      return count;
    },
  };
  return { source, sizeBytes: bytes.length, logId: LOG_ID, blockBytes: BLOCK_BYTES };
}

test('nothing past the stop: unacknowledged, ending at the stop', async (t) => {
  t.deepEqual(await judgePastChainEnd(fileWith([]), STOP, true), { kind: 'unacknowledged', staleEndBytes: STOP.endPositionBytes, batches: 0 });
});

test('batches issued before the stop was acknowledged are in-flight remains, up to the most a writer keeps', async (t) => {
  for (const count of [1, 3, limits.batchesInFlightCountMax - 1]) {
    const stamps = Array.from({ length: count }, (_, i) => (i % 2 === 0 ? STOP.endOffset : STOP.endOffset - 1));
    const past = await judgePastChainEnd(fileWith(stamps), STOP, true);
    t.deepEqual(past, { kind: 'unacknowledged', staleEndBytes: STOP.endPositionBytes + (count + 1) * BLOCK_BYTES, batches: count }, `${count}`);
  }
});

test('one batch more than a writer keeps in flight is acknowledged data', async (t) => {
  const stamps = Array.from({ length: limits.batchesInFlightCountMax }, () => STOP.endOffset);
  const past = await judgePastChainEnd(fileWith(stamps), STOP, true);
  t.like(past, { kind: 'acknowledged', why: 'too-many' });
});

test('a batch issued after the stop was acknowledged, a version-1 batch, or any batch in a sealed segment is acknowledged data', async (t) => {
  const after = await judgePastChainEnd(fileWith([STOP.endOffset, STOP.endOffset + 1]), STOP, true);
  t.like(after, { kind: 'acknowledged', why: 'acked-after-stop', beyond: { positionBytes: STOP.endPositionBytes + 2 * BLOCK_BYTES } });
  if (after.kind === 'acknowledged') t.regex(describeAcknowledgedBeyond(after), /issued when offsets below 4 were acknowledged/);
  const v1 = await judgePastChainEnd(fileWith(['v1']), STOP, true);
  t.like(v1, { kind: 'acknowledged', why: 'version-1' });
  if (v1.kind === 'acknowledged') t.is(describeAcknowledgedBeyond(v1), 'a version-1 batch');
  t.like(await judgePastChainEnd(fileWith([STOP.endOffset]), STOP, false), { kind: 'acknowledged', why: 'sealed-segment' });
});

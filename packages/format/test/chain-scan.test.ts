/**
 * One job: the chain scanner (packages/format/src/chain-scan.ts) over an in-memory byte source.
 * It must agree with a plain walk of `stepBatch` over the whole file, whatever the read sizes (a
 * source that returns short reads), batch sizes (batches bigger than the scan window) and damage;
 * report each stop class; and find a valid batch beyond a stop only where one is. Set SEGLOG_SEED
 * to replay a property run.
 */
import test from 'ava';
import fc from 'fast-check';
import { readLimits } from '@seglog/types';
import {
  BATCH_HEADER_BYTES,
  batchAt,
  blockHoldsData,
  dataEndBytes,
  encodeBatch,
  findBatchBeyond,
  scanChain,
  stepBatch,
  type BreakReason,
  type ChainFile,
  type IndexEntry,
} from '../src/index.js';
import { concatBytes, logIdOf, patternBytes, propertyParams } from './support.js';

const LOG_ID = logIdOf(4);

interface Built {
  readonly bytes: Uint8Array;
  /** Byte position of each batch, and the offset after the last one. */
  readonly positions: number[];
  readonly endOffset: number;
}

/** A segment: one header block (zeros are enough here: the scanner never reads it) and batches. */
function segmentOf(blockBytes: number, base: number, recordSizes: readonly (readonly number[])[]): Built {
  const parts: Uint8Array[] = [new Uint8Array(blockBytes)];
  const positions: number[] = [];
  let position = blockBytes;
  let offset = base;
  for (const sizes of recordSizes) {
    const batch = encodeBatch(LOG_ID, offset, sizes.map((size, i) => patternBytes(size, offset + i)), blockBytes);
    parts.push(batch);
    positions.push(position);
    position += batch.length;
    offset += sizes.length;
  }
  return { bytes: concatBytes(parts), positions, endOffset: offset };
}

/** A byte source over `bytes` that returns at most `readMaxBytes` per call, counting calls. */
type CountedFile = ChainFile & { reads: number };

function fileOf(bytes: Uint8Array, blockBytes: number, readMaxBytes = Number.POSITIVE_INFINITY): CountedFile {
  const file = {
    reads: 0,
    sizeBytes: bytes.length,
    logId: LOG_ID,
    blockBytes,
    source: {
      read: async (buffer: Uint8Array, positionBytes: number): Promise<number> => {
        file.reads++;
        const count = Math.max(0, Math.min(buffer.length, readMaxBytes, bytes.length - positionBytes));
        buffer.set(bytes.subarray(positionBytes, positionBytes + count));
        return count;
      },
    },
  };
  return file;
}

/** The reference: `stepBatch` over the whole file in one buffer, with the writer's index rule. */
function referenceWalk(bytes: Uint8Array, blockBytes: number, base: number, intervalBytes: number) {
  const entries: IndexEntry[] = [];
  let last = -Infinity;
  let position = blockBytes;
  let offset = base;
  for (;;) {
    const step = stepBatch(LOG_ID, bytes, position, blockBytes, offset);
    if (step.kind === 'break') return { position, offset, entries, reason: step.reason };
    if (position - last >= intervalBytes) {
      entries.push({ firstOffset: offset, blockNumber: position / blockBytes });
      last = position;
    }
    offset += step.header.recordCount;
    position += step.spanBytes;
  }
}

/** The reference for findBatchBeyond: every block of the whole buffer, in order. */
function referenceBeyond(bytes: Uint8Array, blockBytes: number, fromBytes: number, minOffset: number): number | null {
  for (let position = fromBytes; position + BATCH_HEADER_BYTES <= bytes.length; position += blockBytes) {
    const step = stepBatch(LOG_ID, bytes, position, blockBytes, null);
    if (step.kind === 'batch' && step.header.firstOffset >= minOffset) return position;
  }
  return null;
}

test('a scan reads in windows, not per batch', async (t) => {
  const built = segmentOf(512, 0, Array.from({ length: 40 }, (_, i) => [100 + ((i * 337) % 1500)]));
  const file = fileOf(built.bytes, 512);
  const scan = await scanChain(file, { positionBytes: 512, offset: 0, indexIntervalBytes: 4096 }, 4096);
  t.is(scan.endOffset, 40);
  // A window moves to the batch that does not fit, so it advances at least windowBytes - 2047.
  t.true(file.reads <= Math.ceil(built.bytes.length / (4096 - 2047)), `${file.reads} reads for ${built.bytes.length} bytes`);
  t.true(file.reads < scan.batches, 'fewer reads than batches');
});

test('a failed read rejects the scan with that error and leaves nothing running', async (t) => {
  const built = segmentOf(512, 0, Array.from({ length: 30 }, () => [900]));
  for (const failAtBytes of [512, 5000, 9000]) {
    let inFlight = 0;
    const file: ChainFile = {
      sizeBytes: built.bytes.length,
      logId: LOG_ID,
      blockBytes: 512,
      source: {
        read: async (buffer, positionBytes) => {
          inFlight++;
          await new Promise((resolve) => setImmediate(resolve));
          inFlight--;
          if (positionBytes + buffer.length > failAtBytes && positionBytes <= failAtBytes) throw new Error(`EIO at ${failAtBytes}`);
          buffer.set(built.bytes.subarray(positionBytes, positionBytes + buffer.length));
          return Math.min(buffer.length, built.bytes.length - positionBytes);
        },
      },
    };
    await t.throwsAsync(scanChain(file, { positionBytes: 512, offset: 0, indexIntervalBytes: 4096 }, 4096), { message: `EIO at ${failAtBytes}` });
    t.is(inFlight, 0, 'no read outlives the scan');
  }
});

test('a clean segment scans to its end, with the stop at end of file and sparse entries', async (t) => {
  const built = segmentOf(512, 100, [[10], [600, 5], [3000], [1, 1, 1], [20_000]]);
  const file = fileOf(built.bytes, 512);
  const scan = await scanChain(file, { positionBytes: 512, offset: 100, indexIntervalBytes: 4096 });
  t.is(scan.endOffset, built.endOffset);
  t.is(scan.endPositionBytes, built.bytes.length);
  t.is(scan.batches, 5);
  t.is(scan.lastBatchPositionBytes, built.positions[4]!);
  t.is(scan.stop.reason, 'end-of-bytes');
  t.deepEqual(scan.entries, referenceWalk(built.bytes, 512, 100, 4096).entries);
  t.is(file.reads, 1, 'one window read for a small file');
});

test('each way a chain stops is reported with where and why', async (t) => {
  const built = segmentOf(512, 0, [[10], [20], [30]]);
  const preallocated = concatBytes([built.bytes, new Uint8Array(4096)]);
  const cut = built.bytes.subarray(0, built.positions[2]! + BATCH_HEADER_BYTES + 10);
  const flipped = built.bytes.slice();
  flipped[built.positions[1]! + BATCH_HEADER_BYTES + 8]! ^= 4; // a payload byte
  const skipped = concatBytes([built.bytes, encodeBatch(LOG_ID, 9, [patternBytes(5, 1)], 512)]);
  const cases: [string, Uint8Array, BreakReason, number][] = [
    ['preallocated zeros', preallocated, 'zero', 3],
    ['a torn last batch', cut, 'truncated', 2],
    ['a flipped bit', flipped, 'crc-mismatch', 1],
    ['a batch from a later offset', skipped, 'offset-mismatch', 3],
  ];
  for (const [name, bytes, reason, batches] of cases) {
    const scan = await scanChain(fileOf(bytes, 512), { positionBytes: 512, offset: 0, indexIntervalBytes: 512 });
    t.is(scan.stop.reason, reason, name);
    t.is(scan.batches, batches, name);
    t.is(scan.endPositionBytes, batches === 3 ? built.bytes.length : built.positions[batches]!, name);
  }
});

test('findBatchBeyond finds a valid batch past damage, at the stop itself too, and nothing past a torn tail', async (t) => {
  const built = segmentOf(512, 0, [[10], [700], [30], [40]]);
  const damaged = built.bytes.slice();
  const second = built.positions[1]!;
  damaged.fill(0xee, second, second + 600);
  const file = fileOf(damaged, 512);
  const scan = await scanChain(file, { positionBytes: 512, offset: 0, indexIntervalBytes: 512 });
  t.is(scan.endOffset, 1);
  t.is(scan.stop.reason, 'not-a-batch');
  const beyond = await findBatchBeyond(file, scan.endPositionBytes, scan.endOffset);
  t.is(beyond?.positionBytes, built.positions[2]);
  t.is(beyond?.header.firstOffset, 2);
  const torn = built.bytes.subarray(0, built.positions[3]! + 50); // the batch there needs 76 bytes
  const tornFile = fileOf(torn, 512);
  const tornScan = await scanChain(tornFile, { positionBytes: 512, offset: 0, indexIntervalBytes: 512 });
  t.is(tornScan.stop.reason, 'truncated');
  t.is(await findBatchBeyond(tornFile, tornScan.endPositionBytes, tornScan.endOffset), null);
  t.true(await blockHoldsData(tornFile, tornScan.endPositionBytes));
  t.false(await blockHoldsData(fileOf(concatBytes([built.bytes, new Uint8Array(512)]), 512), built.bytes.length));
  const later = encodeBatch(LOG_ID, 5, [patternBytes(3, 5)], 512);
  const misdirected = concatBytes([built.bytes.subarray(0, second), later]);
  const misFile = fileOf(misdirected, 512);
  t.is((await findBatchBeyond(misFile, built.positions[1]!, 1))?.positionBytes, built.positions[1], 'a later offset right at the stop counts');
  t.is(await findBatchBeyond(misFile, built.positions[1]!, 6), null, 'an older offset does not');
});

test('dataEndBytes finds where written bytes end, so a tool can size a torn tail', async (t) => {
  const built = segmentOf(512, 0, [[10], [20]]);
  const torn = concatBytes([built.bytes, new Uint8Array(700).fill(9), new Uint8Array(5000)]);
  for (const windowBytes of [100, 512, 4096, readLimits.scanWindowBytes]) {
    const file = fileOf(torn, 512);
    const scan = await scanChain(file, { positionBytes: 512, offset: 0, indexIntervalBytes: 512 }, windowBytes);
    t.is(scan.stop.reason, 'not-a-batch');
    t.is(await dataEndBytes(file, scan.endPositionBytes, windowBytes) - scan.endPositionBytes, 700, `window ${windowBytes}`);
  }
  const clean = fileOf(concatBytes([built.bytes, new Uint8Array(2048)]), 512);
  t.is(await dataEndBytes(clean, built.bytes.length), built.bytes.length, 'preallocated zeros are no data');
});

test('a scan can start from an index entry and keeps the entries before it', async (t) => {
  const built = segmentOf(512, 50, Array.from({ length: 12 }, (_, i) => [200 + i * 90]));
  const seed: IndexEntry[] = [{ firstOffset: 50, blockNumber: 1 }];
  const start = { positionBytes: built.positions[6]!, offset: 56, indexIntervalBytes: 1024, seedEntries: seed };
  const scan = await scanChain(fileOf(built.bytes, 512), start);
  t.is(scan.endOffset, 62);
  t.is(scan.batches, 6);
  t.deepEqual(scan.entries[0], seed[0]);
  t.is(scan.entries[1]?.firstOffset, 56);
  t.is(seed.length, 1, 'the seed is copied, not changed');
});

test('batchAt reads a batch bigger than its probe in two reads, and never reads what garbage claims', async (t) => {
  const big = segmentOf(4096, 0, [[readLimits.batchProbeBytes * 2]]);
  const file = fileOf(big.bytes, 4096);
  const step = await batchAt(file, 4096, 0);
  t.is(big.positions[0], 4096);
  t.is(step.kind, 'batch');
  t.is(file.reads, 2);
  const liar = big.bytes.slice(0, 4096 * 2);
  const liarFile = fileOf(liar, 4096);
  const broken = await batchAt(liarFile, 4096, 0);
  t.is(broken.kind === 'break' ? broken.reason : 'batch', 'truncated');
  t.is(liarFile.reads, 1, 'a claim past the end of the file is not read');
  const other = await batchAt(fileOf(big.bytes, 4096), 4096, 3);
  t.is(other.kind === 'break' ? other.reason : 'batch', 'truncated', 'another offset is not worth a second read');
});

const blockArb = fc.constantFrom(512, 4096);
const sizesArb = fc.array(fc.integer({ min: 0, max: 9000 }), { minLength: 1, maxLength: 6 });
const batchesArb = fc.array(sizesArb, { minLength: 0, maxLength: 14 });
const hitArb = fc.record({ at: fc.nat(), lengthBytes: fc.integer({ min: 1, max: 700 }), value: fc.nat({ max: 255 }) });
const damageArb = fc.option(hitArb);
const readMaxArb = fc.constantFrom(7, 512, 5000, Number.POSITIVE_INFINITY);

const windowArb = fc.constantFrom(600, 4096, 9000, 70_000, readLimits.scanWindowBytes);

test('the scan agrees with a whole-buffer walk, for any batches, read sizes, window splits and damage', async (t) => {
  await t.notThrowsAsync(() =>
    fc.assert(
      fc.asyncProperty(blockArb, batchesArb, damageArb, readMaxArb, windowArb, async (...drawn) => {
        const [blockBytes, batches, hit, readMax, windowBytes] = drawn;
        const built = segmentOf(blockBytes, 3, batches);
        const bytes = built.bytes.slice();
        if (hit !== null) {
          const at = blockBytes + (hit.at % Math.max(1, bytes.length - blockBytes));
          bytes.fill(hit.value, at, Math.min(bytes.length, at + hit.lengthBytes));
        }
        const reference = referenceWalk(bytes, blockBytes, 3, 16 * 1024);
        const file = fileOf(bytes, blockBytes, readMax);
        const start = { positionBytes: blockBytes, offset: 3, indexIntervalBytes: 16 * 1024 };
        const scan = await scanChain(file, start, windowBytes);
        if (scan.endPositionBytes !== reference.position || scan.endOffset !== reference.offset) throw new Error('stop differs');
        if (scan.stop.reason !== reference.reason) throw new Error(`reason ${scan.stop.reason} != ${reference.reason}`);
        if (JSON.stringify(scan.entries) !== JSON.stringify(reference.entries)) throw new Error('entries differ');
        if (hit === null && scan.endOffset !== built.endOffset) throw new Error('an undamaged segment scans to its end');
        const beyond = await findBatchBeyond(file, scan.endPositionBytes, scan.endOffset, windowBytes);
        const expected = referenceBeyond(bytes, blockBytes, scan.endPositionBytes, scan.endOffset);
        if ((beyond?.positionBytes ?? null) !== expected) throw new Error(`beyond ${beyond?.positionBytes} != ${expected}`);
      }),
      propertyParams(150),
    ),
  );
});

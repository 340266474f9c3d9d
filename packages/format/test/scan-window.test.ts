/**
 * One job: the scan window (packages/format/src/scan-window.ts) over an in-memory file. Every view
 * it returns holds the file's bytes, whatever the requests (forward, backward, past the end), the
 * window size and the read sizes; a forward scan reads each byte of the file once, with about one
 * read per batch, even with batches bigger than the window; a failed read is the scan's error.
 * Set SEGLOG_SEED to replay a property run.
 */
import test from 'ava';
import fc from 'fast-check';
import { encodeBatch, scanChain } from '../src/index.js';
import type { ByteSource } from '../src/index.js';
import { ScanWindow } from '../src/scan-window.js';
import { concatBytes, logIdOf, patternBytes, propertyParams } from './support.js';

interface CountedSource extends ByteSource {
  /** Bytes returned by every read, by file position: how often each byte was read. */
  readonly timesRead: Uint8Array;
  reads: number;
  inFlight: number;
}

/** A source over `bytes` that returns at most `readMaxBytes` per call, after a turn of the loop. */
function sourceOf(bytes: Uint8Array, readMaxBytes = Infinity, failFrom = Infinity): CountedSource {
  const source: CountedSource = {
    timesRead: new Uint8Array(bytes.length),
    reads: 0,
    inFlight: 0,
    read: async (buffer, positionBytes) => {
      source.reads++;
      source.inFlight++;
      await new Promise((resolve) => setImmediate(resolve));
      source.inFlight--;
      if (positionBytes + buffer.length > failFrom) throw new Error(`EIO at ${failFrom}`);
      const count = Math.max(0, Math.min(buffer.length, readMaxBytes, bytes.length - positionBytes));
      buffer.set(bytes.subarray(positionBytes, positionBytes + count));
      for (let i = positionBytes; i < positionBytes + count; i++) source.timesRead[i]!++;
      return count;
    },
  };
  return source;
}

/** A header block of zeros, then `count` batches, batch i of records sized `sizesOf(i)`. */
function segmentOfBatches(
  logId: Uint8Array,
  blockBytes: number,
  count: number,
  sizesOf: (i: number) => number[],
): { bytes: Uint8Array; offset: number } {
  const parts: Uint8Array[] = [new Uint8Array(blockBytes)];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const sizes = sizesOf(i);
    parts.push(encodeBatch(logId, offset, sizes.map((size, j) => patternBytes(size, offset + j)), blockBytes));
    offset += sizes.length;
  }
  return { bytes: concatBytes(parts), offset };
}

const requestArb = fc.record({ position: fc.nat({ max: 40_000 }), lengthBytes: fc.nat({ max: 12_000 }) });

for (const readAhead of [false, true]) {
  const how = readAhead ? 'with read-ahead (closed after)' : 'without read-ahead';
  test(`every view holds the file bytes, for any requests, windows and read sizes, ${how}`, async (t) => {
    await t.notThrowsAsync(
      fc.assert(
        fc.asyncProperty(
          fc.array(requestArb, { maxLength: 30 }),
          fc.constantFrom(1, 100, 4096, 9000),
          fc.constantFrom(Number.POSITIVE_INFINITY, 700, 4096),
          async (requests, windowBytes, readMaxBytes) => {
            const bytes = patternBytes(30_000, 7);
            const counted = sourceOf(bytes, readMaxBytes);
            const window = new ScanWindow(counted, bytes.length, windowBytes, { readAhead });
            for (const { position, lengthBytes } of requests) {
              const view = await window.bytes(position, lengthBytes);
              const endBytes = Math.min(position + lengthBytes, bytes.length);
              const expected = bytes.subarray(Math.min(position, bytes.length), endBytes);
              if (Buffer.compare(view, expected) !== 0) return false;
            }
            // Without read-ahead no read outlives a call; with it, none outlives close.
            if (readAhead) await window.close();
            return counted.inFlight === 0;
          },
        ),
        propertyParams(200),
      ),
    );
  });
}

test('a forward scan reads each byte of the file once, even with batches bigger than the window', async (t) => {
  const logId = logIdOf(9);
  const blockBytes = 512;
  // Batches of 5-40 KiB through a 4 KiB window: every batch needs the window to grow or move.
  const sizesOf = (i: number): number[] =>
    Array.from({ length: 5 + (i % 8) * 5 }, (_, j) => 1000 + ((i * 31 + j) % 50));
  const { bytes, offset } = segmentOfBatches(logId, blockBytes, 30, sizesOf);
  const counted = sourceOf(bytes);
  const file = { source: counted, sizeBytes: bytes.length, logId, blockBytes };
  const scan = await scanChain(file, { positionBytes: blockBytes, offset: 0, indexIntervalBytes: 4096 }, 4096);
  t.is(scan.endOffset, offset);
  t.is(scan.stop.reason, 'end-of-bytes');
  t.is(counted.timesRead.subarray(blockBytes).reduce((max, times) => Math.max(max, times), 0), 1, 'no byte read twice');
  t.true(counted.reads <= scan.batches + 1, `${counted.reads} reads for ${scan.batches} batches`);
});

test('a failed read rejects with its error; the window still serves what it holds', async (t) => {
  const bytes = patternBytes(20_000, 3);
  const counted = sourceOf(bytes, Number.POSITIVE_INFINITY, 12_000);
  const window = new ScanWindow(counted, bytes.length, 4096);
  t.deepEqual(await window.bytes(0, 100), bytes.subarray(0, 100));
  t.deepEqual(await window.bytes(5000, 3000), bytes.subarray(5000, 8000));
  await t.throwsAsync(window.bytes(7000, 4000), { message: 'EIO at 12000' });
  t.is(counted.inFlight, 0, 'no read outlives the call');
  t.deepEqual(await window.bytes(7000, 500), bytes.subarray(7000, 7500), 'the bytes kept before the failed read');
});

test('a forward scan with read-ahead reads each byte once, one window ahead, with no read left in flight', async (t) => {
  const logId = logIdOf(12);
  const blockBytes = 512;
  // Batches of 1-6 KiB through a 16 KiB window: most windows end inside a batch.
  const sizesOf = (i: number): number[] =>
    Array.from({ length: 1 + (i % 6) }, (_, j) => 900 + ((i * 17 + j) % 80));
  const { bytes, offset } = segmentOfBatches(logId, blockBytes, 60, sizesOf);
  const counted = sourceOf(bytes);
  let overlapped = 0;
  const watched: ByteSource = {
    read: (buffer, positionBytes) => {
      if (counted.inFlight > 0) overlapped++;
      return counted.read(buffer, positionBytes);
    },
  };
  const file = { source: watched, sizeBytes: bytes.length, logId, blockBytes };
  const start = { positionBytes: blockBytes, offset: 0, indexIntervalBytes: 4096 };
  const scan = await scanChain(file, start, 16 * 1024, { readAhead: true });
  t.is(scan.endOffset, offset);
  t.is(scan.stop.reason, 'end-of-bytes');
  t.is(counted.timesRead.subarray(blockBytes).reduce((max, times) => Math.max(max, times), 0), 1, 'no byte read twice');
  t.true(counted.timesRead.subarray(blockBytes).every((times) => times === 1), 'every byte read');
  t.is(counted.inFlight, 0, 'no read outlives the scan');
  t.is(overlapped, 0, 'never two reads at once: one window ahead');
  t.true(counted.reads <= Math.ceil(bytes.length / (16 * 1024)) + 2, `${counted.reads} reads`);
});

test('a failed read-ahead rejects the request that needs it; the window still serves what it holds', async (t) => {
  const bytes = patternBytes(20_000, 5);
  const counted = sourceOf(bytes, Number.POSITIVE_INFINITY, 12_000);
  const window = new ScanWindow(counted, bytes.length, 4096, { readAhead: true });
  t.deepEqual(await window.bytes(0, 100), bytes.subarray(0, 100));
  t.is(counted.inFlight, 1, 'the next window is being read while the caller checks this one');
  t.deepEqual(await window.bytes(5000, 3000), bytes.subarray(5000, 8000));
  await t.throwsAsync(window.bytes(7000, 6000), { message: 'EIO at 12000' });
  t.deepEqual(await window.bytes(7000, 500), bytes.subarray(7000, 7500), 'the bytes kept before the failed read');
  await window.close();
  t.is(counted.inFlight, 0);
});

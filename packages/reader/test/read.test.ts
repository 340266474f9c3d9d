/** One job: get() and read() return exactly what was written, in order, across segments and ranges. */
import test from 'ava';
import { ErrorCodes, isSeglogError } from '@seglog/types';
import { openReader } from '../src/index.js';
import { CountingIO } from './helpers/counting-io.js';
import { batchesFrom, buildLog, collect, expectedRecords, payloadFor, type BuiltLog } from './helpers/build-log.js';

/** Three segments of 40, 25 and 33 records in batches of varied sizes. */
async function threeSegments(io = new CountingIO()): Promise<BuiltLog> {
  return buildLog(io, {
    segments: [
      { batches: batchesFrom(0, 10, 4) },
      { batches: [...batchesFrom(40, 5, 3), batchesFrom(55, 1, 10)[0]!] },
      { batches: batchesFrom(65, 11, 3, 700) },
    ],
  });
}

test('get returns every record of every segment, and read returns them all in order', async (t) => {
  const io = new CountingIO();
  const log = await threeSegments(io);
  const reader = await openReader({ dir: log.dir, io });
  t.is(await reader.firstOffset(), 0);
  t.is(await reader.endOffset(), 98);
  for (let offset = 0; offset < 98; offset++) t.deepEqual(await reader.get(offset), log.payloads.get(offset), `offset ${offset}`);
  t.deepEqual(await collect(reader.read({ from: 0 })), expectedRecords(log, 0, 98));
  await reader.close();
});

test('read honours from and to across segment boundaries', async (t) => {
  const io = new CountingIO();
  const log = await threeSegments(io);
  const reader = await openReader({ dir: log.dir, io });
  t.deepEqual(await collect(reader.read({ from: 37, to: 70 })), expectedRecords(log, 37, 70));
  t.deepEqual(await collect(reader.read({ from: 40, to: 41 })), expectedRecords(log, 40, 41));
  t.deepEqual(await collect(reader.read({ from: 50 })), expectedRecords(log, 50, 98));
  t.deepEqual(await collect(reader.read({ from: 64, to: 64 })), []);
  t.deepEqual(await collect(reader.read({ from: 98 })), [], 'from the end: nothing yet');
  await reader.close();
});

test('a batch bigger than one read chunk is read whole', async (t) => {
  const io = new CountingIO();
  const big = [payloadFor(0, 100_000), payloadFor(1, 0), payloadFor(2, 70_000)];
  const log = await buildLog(io, { segments: [{ batches: [[payloadFor(100)], big, [payloadFor(3)]], index: 'none' }], firstOffset: 100 });
  const reader = await openReader({ dir: log.dir, io });
  t.deepEqual(await reader.get(101), big[0]);
  t.is((await reader.get(102)).length, 0);
  t.deepEqual(await collect(reader.read({ from: 100 })), expectedRecords(log, 100, 105));
  await reader.close();
});

test('512-byte blocks and a log that starts past offset 0', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, {
    blockBytes: 512,
    firstOffset: 1000,
    segments: [{ batches: batchesFrom(1000, 30, 2, 300) }, { batches: batchesFrom(1060, 5, 1, 1000) }],
  });
  const reader = await openReader({ dir: log.dir, io });
  t.is(await reader.firstOffset(), 1000);
  t.is(await reader.endOffset(), 1065);
  t.deepEqual(await reader.get(1061), log.payloads.get(1061));
  t.deepEqual(await collect(reader.read({ from: 1000 })), expectedRecords(log, 1000, 1065));
  await reader.close();
});

test('get outside [firstOffset, end) is SEGLOG_OUT_OF_RANGE, and so is a read range past the end', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, { firstOffset: 50, segments: [{ batches: batchesFrom(50, 3, 5) }] });
  const reader = await openReader({ dir: log.dir, io });
  for (const offset of [0, 49, 65, 66, 10_000]) {
    const error = await t.throwsAsync(reader.get(offset));
    t.true(isSeglogError(error, ErrorCodes.OUT_OF_RANGE), `offset ${offset}`);
    t.is(error.message, `SEGLOG_OUT_OF_RANGE: offset ${offset} is outside the readable range [50, 65)`);
  }
  await t.throwsAsync(collect(reader.read({ from: 10 })), { code: ErrorCodes.OUT_OF_RANGE } as never);
  await t.throwsAsync(collect(reader.read({ from: 66 })), { code: ErrorCodes.OUT_OF_RANGE } as never);
  const partial: number[] = [];
  const error = await t.throwsAsync(async () => {
    for await (const record of reader.read({ from: 60, to: 70 })) partial.push(record.offset);
  });
  t.true(isSeglogError(error, ErrorCodes.OUT_OF_RANGE));
  t.deepEqual(partial, [60, 61, 62, 63, 64], 'the records that exist come first');
  await reader.close();
});

test('misuse and bad options are SEGLOG_INVALID_OPTION (misuse.test.ts has the messages)', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, { segments: [{ batches: batchesFrom(0, 1, 1) }] });
  const reader = await openReader({ dir: log.dir, io });
  await t.throwsAsync(reader.get(-1), { code: ErrorCodes.INVALID_OPTION } as never);
  await t.throwsAsync(reader.get(1.5), { code: ErrorCodes.INVALID_OPTION } as never);
  t.throws(() => reader.read({ from: 5, to: 4 }), { code: ErrorCodes.INVALID_OPTION } as never);
  await reader.close();
  for (const options of [{ cacheHandles: 0 }, { cacheBatches: 1.5 }, { dir: '' }]) {
    const error = await t.throwsAsync(openReader({ dir: log.dir, io, ...options }));
    t.true(isSeglogError(error, ErrorCodes.INVALID_OPTION), JSON.stringify(options));
  }
});

test('an empty directory is an empty log until a segment appears', async (t) => {
  const io = new CountingIO();
  await io.mkdirp('/log');
  const reader = await openReader({ dir: '/log', io });
  t.is(await reader.firstOffset(), 0);
  t.is(await reader.endOffset(), 0);
  await t.throwsAsync(reader.get(0), { code: ErrorCodes.OUT_OF_RANGE } as never);
  const log = await buildLog(io, { segments: [{ batches: batchesFrom(0, 2, 2) }] });
  t.is(await reader.endOffset(), 4);
  t.deepEqual(await reader.get(3), log.payloads.get(3));
  await reader.close();
});

test('payloads are the caller\'s own: changing one changes nothing the reader returns later', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, { segments: [{ batches: batchesFrom(0, 2, 3) }] });
  const reader = await openReader({ dir: log.dir, io });
  const first = await reader.get(1);
  first.fill(0xee);
  t.deepEqual(await reader.get(1), log.payloads.get(1));
  const [[, streamed]] = (await collect(reader.read({ from: 1, to: 2 }))) as [[number, Uint8Array]];
  streamed.fill(0xdd);
  t.deepEqual(await reader.get(1), log.payloads.get(1));
  await reader.close();
});

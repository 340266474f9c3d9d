/**
 * One job: odd and hostile inputs at the API and in the log directory, each with exactly the coded
 * error (or behaviour) it must give: payload edge sizes and wrong types, every option just outside
 * its range (and exactly at it), foreign, renamed, empty, newer-format and missing segment files,
 * stray files, a directory where a segment should be, and calls after close. Option checks run on
 * MemFileIO; the directory cases on a real temp dir.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '@seglog/format';
import { openReader } from '@seglog/reader';
import { isSeglogError } from '@seglog/types';
import type { ErrorCode, LogOptions } from '@seglog/types';
import { openLog } from '../src/index.js';
import { MemFileIO } from './helpers/fuzz-memfs.js';
import { tempDir } from './helpers/temp-log.js';

/** 512-byte blocks, 3 batch blocks per segment: 100-byte records appended one by one give segments 0, 3, 6. */
const tiny = { blockBytes: 512, segmentBytes: 2048, commitWindow: { fixedMicros: 0 }, preallocate: false } as const;
const seg = (base: number): string => `${String(base).padStart(20, '0')}.seg`;

async function expectCode(t: ExecutionContext, promise: Promise<unknown>, code: ErrorCode, fields: { file?: string; positioned?: boolean } = {}): Promise<void> {
  const error = await t.throwsAsync(promise);
  t.true(isSeglogError(error, code), `expected ${code}, got ${String(error)}`);
  if (!isSeglogError(error)) return;
  if (fields.file !== undefined) t.is(error.file, fields.file, error.message);
  if (fields.positioned === true) t.is(typeof error.positionBytes, 'number', error.message);
}

/** A closed log of `count` 100-byte records appended one at a time (so its layout is deterministic). */
async function smallLog(dir: string, count: number, fill = 1): Promise<void> {
  const log = await openLog({ dir, ...tiny });
  for (let i = 0; i < count; i++) await log.append(new Uint8Array(100).fill(fill + i));
  await log.close();
}

/** Both the writer's open and a reader's full read must give `code` naming `file`. */
async function bothRefuse(t: ExecutionContext, dir: string, code: ErrorCode, file: string): Promise<void> {
  await expectCode(t, openLog({ dir, ...tiny }), code, { file });
  const readAll = async (): Promise<void> => {
    const reader = await openReader({ dir });
    try {
      for await (const record of reader.read({ from: await reader.firstOffset() })) void record;
    } finally {
      await reader.close();
    }
  };
  await expectCode(t, readAll(), code, { file });
}

test('zero-length records are stored and read back as zero-length, alone and in runs', async (t) => {
  const io = new MemFileIO();
  const log = await openLog({ dir: '/z', io, ...tiny });
  t.is(await log.append(new Uint8Array(0)), 0);
  t.is(await log.appendMany([new Uint8Array(0), new Uint8Array(0), Uint8Array.of(7)]), 1);
  await log.close();
  const reader = await openReader({ dir: '/z', io });
  t.deepEqual(await Promise.all([0, 1, 2, 3].map((offset) => reader.get(offset))), [new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), Uint8Array.of(7)]);
  await reader.close();
});

test('a record of exactly maxRecordBytes is stored; one byte more is SEGLOG_RECORD_TOO_LARGE and admits nothing', async (t) => {
  for (const options of [{ maxRecordBytes: 1000 }, {}]) {
    const io = new MemFileIO();
    const log = await openLog({ dir: '/max', io, ...tiny, ...options });
    // Without the option the cap is what fits one batch: maxBatchBytes (segment minus header block) - 36.
    const maxRecordBytes = options.maxRecordBytes ?? tiny.segmentBytes - tiny.blockBytes - 36;
    const largest = new Uint8Array(maxRecordBytes).fill(5);
    t.is(await log.append(largest), 0);
    await expectCode(t, log.append(new Uint8Array(maxRecordBytes + 1)), 'SEGLOG_RECORD_TOO_LARGE');
    await expectCode(t, log.appendMany([Uint8Array.of(1), new Uint8Array(maxRecordBytes + 1)]), 'SEGLOG_RECORD_TOO_LARGE');
    t.is(log.nextOffset, 1, 'nothing of the refused calls got an offset');
    t.is(await log.append(Uint8Array.of(2)), 1, 'the log goes on');
    await log.close();
    const reader = await openReader({ dir: '/max', io });
    t.deepEqual(await reader.get(0), largest);
    await reader.close();
  }
});

test('a payload that is not a Uint8Array is a TypeError and takes no offset; Buffers and views are fine', async (t) => {
  const io = new MemFileIO();
  const log = await openLog({ dir: '/types', io, ...tiny });
  const wrong: unknown[] = ['text', 42, null, undefined, [1, 2, 3], new ArrayBuffer(4), new DataView(new ArrayBuffer(4)), new Uint16Array(2), new Uint8ClampedArray(2), { length: 1, 0: 1 }];
  for (const payload of wrong) {
    await t.throwsAsync(log.append(payload as Uint8Array), { instanceOf: TypeError }, `append(${String(payload)})`);
  }
  t.is(log.nextOffset, 0);
  const backing = Uint8Array.from([9, 9, 1, 2, 3, 9]);
  t.is(await log.append(backing.subarray(2, 5)), 0);
  t.is(await log.append(Buffer.from('buffer')), 1);
  await log.close();
  const reader = await openReader({ dir: '/types', io });
  t.deepEqual(await reader.get(0), Uint8Array.of(1, 2, 3), 'only the bytes of the view, not its backing buffer');
  t.deepEqual(Buffer.from(await reader.get(1)).toString(), 'buffer');
  await reader.close();
});

test('appendMany needs a non-empty array of Uint8Array: anything else is a TypeError that admits nothing', async (t) => {
  const io = new MemFileIO();
  const log = await openLog({ dir: '/many', io, ...tiny });
  const wrong: unknown[] = [[], 'abc', new Uint8Array(3), null, [Uint8Array.of(1), 'x'], new Array(2), [Uint8Array.of(1), undefined]];
  for (const payloads of wrong) {
    await t.throwsAsync(log.appendMany(payloads as Uint8Array[]), { instanceOf: TypeError }, `appendMany(${String(payloads)})`);
  }
  t.is(log.nextOffset, 0);
  t.is(await log.appendMany([Uint8Array.of(1)]), 0);
  await log.close();
});

test('a dir that is a file is SEGLOG_INVALID_OPTION; a dir below a file is SEGLOG_IO (ENOTDIR)', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const file = join(dir, 'plain-file');
  writeFileSync(file, 'not a log');
  await expectCode(t, openLog({ dir: file }), 'SEGLOG_INVALID_OPTION');
  const error = await t.throwsAsync(openLog({ dir: join(file, 'log') }));
  t.true(isSeglogError(error, 'SEGLOG_IO'), String(error));
  t.is((error?.cause as NodeJS.ErrnoException | undefined)?.code, 'ENOTDIR');
  t.is(readFileSync(file, 'utf8'), 'not a log', 'the file is untouched');
});

/** [what, options just inside (accepted), options just outside (refused), option name in the message]. */
const ranges: Array<[string, Partial<LogOptions>[], Record<string, unknown>[]]> = [
  ['blockBytes', [{ blockBytes: 512, segmentBytes: 2048 }, { blockBytes: 65536, segmentBytes: 262144 }], [{ blockBytes: 256 }, { blockBytes: 131072 }, { blockBytes: 768 }, { blockBytes: 4096.5 }, { blockBytes: '4096' }, { blockBytes: Number.NaN }]],
  ['segmentBytes', [{ blockBytes: 512, segmentBytes: 2048 }, { blockBytes: 512, segmentBytes: 2 ** 31 }], [{ blockBytes: 512, segmentBytes: 1536 }, { blockBytes: 512, segmentBytes: 2 ** 31 + 512 }, { blockBytes: 512, segmentBytes: 2049 }]],
  ['maxBatchBytes', [{ blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 512 }, { blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 7680 }], [{ blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 256 }, { blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 8192 }, { blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 1000 }]],
  ['maxRecordBytes', [{ blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 4096, maxRecordBytes: 0 }, { blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 4096, maxRecordBytes: 4060 }], [{ blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 4096, maxRecordBytes: -1 }, { blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 4096, maxRecordBytes: 4061 }]],
  ['maxInFlightBytes', [{ blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 4096, maxInFlightBytes: 4096 }, { maxInFlightBytes: 2 ** 40 }], [{ blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 4096, maxInFlightBytes: 4095 }, { maxInFlightBytes: 2 ** 40 + 1 }]],
  ['indexIntervalBytes', [{ blockBytes: 512, segmentBytes: 8192, indexIntervalBytes: 512 }, { blockBytes: 512, segmentBytes: 8192, indexIntervalBytes: 8192 }], [{ blockBytes: 512, segmentBytes: 8192, indexIntervalBytes: 511 }, { blockBytes: 512, segmentBytes: 8192, indexIntervalBytes: 8193 }]],
  ['maxBatchRecords', [{ maxBatchRecords: 1 }, { maxBatchRecords: 2 ** 32 - 1 }], [{ maxBatchRecords: 0 }, { maxBatchRecords: 2 ** 32 }]],
  ['recentIntervalMillis', [{ recentIntervalMillis: 100 }, { recentIntervalMillis: 3_600_000 }], [{ recentIntervalMillis: 99 }, { recentIntervalMillis: 3_600_001 }]],
  ['commitWindow', [{ commitWindow: { fixedMicros: 0 } }, { commitWindow: { fixedMicros: 100_000 } }, { commitWindow: { adaptive: { maxMicros: 0 } } }, { commitWindow: { adaptive: { maxMicros: 100_000 } } }, { commitWindow: 'adaptive' }], [{ commitWindow: { fixedMicros: -1 } }, { commitWindow: { fixedMicros: 100_001 } }, { commitWindow: { fixedMicros: Number.NaN } }, { commitWindow: { fixedMicros: Number.POSITIVE_INFINITY } }, { commitWindow: { adaptive: { maxMicros: -0.5 } } }, { commitWindow: { adaptive: { maxMicros: 100_000.5 } } }, { commitWindow: 'fixed' }, { commitWindow: 5 }, { commitWindow: null }]],
  ['preallocate', [{ preallocate: false }, { preallocate: 'auto' }, { preallocate: true, segmentBytes: 2048, blockBytes: 512 }], [{ preallocate: 'yes' }, { preallocate: 1 }]],
  ['dir', [], [{ dir: '' }, { dir: 42 }]],
  ['segmentSize', [], [{ segmentSize: 1 }]],
];
for (const [name, accepted, refused] of ranges) {
  test(`option ${name}: accepted exactly at its bounds, SEGLOG_INVALID_OPTION naming it just outside`, async (t) => {
    for (const [i, options] of accepted.entries()) {
      const io = new MemFileIO();
      const log = await openLog({ dir: `/ok${i}`, io, preallocate: false, ...options });
      await log.close();
    }
    for (const options of refused) {
      const error = await t.throwsAsync(openLog({ dir: '/refused', io: new MemFileIO(), ...options } as LogOptions));
      t.true(isSeglogError(error, 'SEGLOG_INVALID_OPTION'), `${JSON.stringify(options)}: ${String(error)}`);
      t.true(error?.message.includes(name), `the message names ${name}: ${error?.message}`);
    }
  });
}

test('options that are not an object are SEGLOG_INVALID_OPTION', async (t) => {
  for (const options of [null, undefined, 'dir', 5]) await expectCode(t, openLog(options as unknown as LogOptions), 'SEGLOG_INVALID_OPTION');
});

test('a segment copied in from another log is SEGLOG_CORRUPT naming it, for the writer and the reader', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const [mine, theirs] = [join(dir, 'mine'), join(dir, 'theirs')];
  await smallLog(mine, 7, 1);
  await smallLog(theirs, 7, 50);
  copyFileSync(join(theirs, seg(3)), join(mine, seg(3)));
  await bothRefuse(t, mine, 'SEGLOG_CORRUPT', join(mine, seg(3)));
});

test('a segment of a newer format version is SEGLOG_UNSUPPORTED_FORMAT naming it', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  await smallLog(dir, 7);
  const path = join(dir, seg(6));
  const bytes = readFileSync(path);
  bytes.writeUInt16LE(2, 8);
  // A real newer writer would checksum its own header: recompute the CRC so only the version speaks.
  bytes.writeUInt32LE(crc32c(bytes.subarray(0, 40)), 40);
  writeFileSync(path, bytes);
  await bothRefuse(t, dir, 'SEGLOG_UNSUPPORTED_FORMAT', path);
});

test('a segment whose name does not match its header base offset is SEGLOG_CORRUPT naming it', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  await smallLog(dir, 7);
  // Segment 6's file now holds segment 3's bytes: the chain expects base 6 and the header says 3.
  copyFileSync(join(dir, seg(3)), join(dir, seg(6)));
  await bothRefuse(t, dir, 'SEGLOG_CORRUPT', join(dir, seg(6)));
});

test('stray files and directories in the log directory are ignored and left alone', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  await smallLog(dir, 7);
  const strays: Record<string, string> = { 'notes.txt': 'hello', README: 'x', [`${seg(0)}.bak`]: 'old', 'x.seg': 'no', '123.seg': 'short name', '.hidden': 'h', 'LOCK.old': '{}', '99999999999999999999.seg': 'base past 2^53', [seg(7).toUpperCase()]: 'upper case', [`${seg(9).slice(0, -4)}.idx.tmp`]: 'i' };
  for (const [name, text] of Object.entries(strays)) writeFileSync(join(dir, name), text);
  mkdirSync(join(dir, 'subdir'));
  const log = await openLog({ dir, ...tiny });
  t.is(log.nextOffset, 7);
  t.is(await log.append(new Uint8Array(100)), 7);
  await log.close();
  for (const [name, text] of Object.entries(strays)) t.is(readFileSync(join(dir, name), 'utf8'), text, `${name} untouched`);
  t.true(readdirSync(dir).includes('subdir'));
  const reader = await openReader({ dir });
  t.is(await reader.endOffset(), 8);
  await reader.close();
});

test('a missing middle segment is SEGLOG_CORRUPT naming the segment before the gap, with position and offset', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  await smallLog(dir, 10);
  rmSync(join(dir, seg(3)));
  const error = await t.throwsAsync(openLog({ dir, ...tiny }));
  t.true(isSeglogError(error, 'SEGLOG_CORRUPT'), String(error));
  t.like(error, { file: join(dir, seg(0)), offset: 3 });
  t.is(typeof (error as { positionBytes?: unknown }).positionBytes, 'number');
  const reader = await openReader({ dir });
  t.deepEqual(await reader.get(2), new Uint8Array(100).fill(3), 'records before the gap still read');
  await expectCode(t, reader.get(4), 'SEGLOG_CORRUPT', { positioned: true });
  await reader.close();
});

for (const [where, base] of [['the last', 9], ['a middle', 3], ['the only', 0]] as const) {
  test(`an empty (0-byte) .seg file as ${where} segment is SEGLOG_CORRUPT naming it`, async (t) => {
    const { dir, cleanup } = tempDir();
    t.teardown(cleanup);
    await smallLog(dir, base === 0 ? 2 : 10);
    writeFileSync(join(dir, seg(base)), new Uint8Array(0));
    await expectCode(t, openLog({ dir, ...tiny }), 'SEGLOG_CORRUPT', { file: join(dir, seg(base)), positioned: true });
    await expectCode(t, openReader({ dir }), 'SEGLOG_CORRUPT', { file: join(dir, seg(base)) });
  });
}

test('a directory where a segment should be is a coded error for the writer and the reader, never a raw fs error', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  await smallLog(dir, 7);
  rmSync(join(dir, 'next.seg.tmp'), { force: true });
  renameSync(join(dir, seg(6)), join(dir, 'moved-away'));
  mkdirSync(join(dir, seg(6)));
  await expectCode(t, openLog({ dir, ...tiny }), 'SEGLOG_IO', { file: join(dir, seg(6)) });
  await expectCode(t, openReader({ dir }), 'SEGLOG_IO', { file: join(dir, seg(6)) });
});

test('after close every call is SEGLOG_CLOSED, for the log and for a reader', async (t) => {
  const io = new MemFileIO();
  const log = await openLog({ dir: '/closed', io, ...tiny });
  await log.append(Uint8Array.of(1));
  const closing = log.close();
  await expectCode(t, log.append(Uint8Array.of(2)), 'SEGLOG_CLOSED');
  await closing;
  t.is(log.close(), closing, 'close is idempotent');
  await expectCode(t, log.append(Uint8Array.of(3)), 'SEGLOG_CLOSED');
  await expectCode(t, log.appendMany([Uint8Array.of(4)]), 'SEGLOG_CLOSED');
  const reader = await openReader({ dir: '/closed', io });
  await reader.close();
  await reader.close();
  await expectCode(t, reader.get(0), 'SEGLOG_CLOSED');
  await expectCode(t, reader.firstOffset(), 'SEGLOG_CLOSED');
  await expectCode(t, reader.endOffset(), 'SEGLOG_CLOSED');
  await expectCode(t, reader.read({ from: 0 }).next(), 'SEGLOG_CLOSED');
});

test('reader offsets: not a non-negative integer is SEGLOG_INVALID_OPTION, past the end is SEGLOG_OUT_OF_RANGE', async (t) => {
  const io = new MemFileIO();
  const log = await openLog({ dir: '/range', io, ...tiny });
  await log.appendMany([Uint8Array.of(1), Uint8Array.of(2)]);
  await log.close();
  const reader = await openReader({ dir: '/range', io });
  for (const offset of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) await expectCode(t, reader.get(offset), 'SEGLOG_INVALID_OPTION');
  t.throws(() => reader.read({ from: 2, to: 1 }), { code: 'SEGLOG_INVALID_OPTION' });
  await expectCode(t, reader.get(2), 'SEGLOG_OUT_OF_RANGE');
  const readPastEnd = async (): Promise<number> => {
    let count = 0;
    for await (const record of reader.read({ from: 0, to: 3 })) count += record.payload.length;
    return count;
  };
  await expectCode(t, readPastEnd(), 'SEGLOG_OUT_OF_RANGE');
  await reader.close();
});

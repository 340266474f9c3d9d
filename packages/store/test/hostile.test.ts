/**
 * One job: odd and hostile inputs at the API and in the log directory, each with exactly the coded
 * error (or behaviour) it must give: payload edge sizes and wrong types, every option just outside
 * its range (and exactly at it), foreign, renamed, empty, newer-format and missing segment files,
 * stray files, a directory where a segment should be, and calls after close. Option checks run on
 * testkit's SimFileIO; the directory cases on a real temp dir. Records are read back with testkit's
 * readLog; what a reader gives on the same damage is packages/reader/test/hostile.test.ts.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEAD_FILE_NAME, decodeHead } from '@seglog/format';
import type { HeadState } from '@seglog/format';
import { nodeFileIO } from '@seglog/io';
import { SimFileIO, expectCode, readLog, withFormatVersion } from '@seglog/testkit';
import { isSeglogError } from '@seglog/types';
import type { ErrorCode, LogOptions } from '@seglog/types';
import { openLog } from '../src/index.js';
import { tempDir } from './helpers/temp-log.js';

/** 512-byte blocks, 3 batch blocks per segment: 100-byte records appended one by one give segments 0, 3, 6. */
const tiny = { blockBytes: 512, segmentBytes: 2048, commitWindow: { fixedMicros: 0 }, preallocate: false } as const;
const seg = (base: number): string => `${String(base).padStart(20, '0')}.seg`;

/** A closed log of `count` 100-byte records appended one at a time (so its layout is deterministic). */
async function smallLog(dir: string, count: number, fill = 1): Promise<void> {
  const log = await openLog({ dir, ...tiny });
  for (let i = 0; i < count; i++) await log.append(new Uint8Array(100).fill(fill + i));
  await log.close();
}

/** The writer's open must give `code` naming `file` (the reader's side: packages/reader/test/hostile.test.ts). */
async function openRefuses(t: ExecutionContext, dir: string, code: ErrorCode, file: string): Promise<void> {
  await expectCode(t, openLog({ dir, ...tiny }), code, { file });
}

test('zero-length records are stored and read back as zero-length, alone and in runs', async (t) => {
  const io = new SimFileIO({ seed: 1 });
  const log = await openLog({ dir: '/z', io, ...tiny });
  t.is(await log.append(new Uint8Array(0)), 0);
  t.is(await log.appendMany([new Uint8Array(0), new Uint8Array(0), Uint8Array.of(7)]), 1);
  await log.close();
  t.deepEqual((await readLog(io, '/z')).payloads, [new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), Uint8Array.of(7)]);
});

test('a record of exactly maxRecordBytes is stored; one byte more is SEGLOG_RECORD_TOO_LARGE and admits nothing', async (t) => {
  for (const options of [{ maxRecordBytes: 1000 }, {}]) {
    const io = new SimFileIO({ seed: 1 });
    const log = await openLog({ dir: '/max', io, ...tiny, ...options });
    // Without the option the cap is what fits one batch: maxBatchBytes (segment minus header block) - 64
    // (header 48, frame 4, one chunk entry 12).
    const maxRecordBytes = options.maxRecordBytes ?? tiny.segmentBytes - tiny.blockBytes - 64;
    const largest = new Uint8Array(maxRecordBytes).fill(5);
    t.is(await log.append(largest), 0);
    await expectCode(t, log.append(new Uint8Array(maxRecordBytes + 1)), 'SEGLOG_RECORD_TOO_LARGE');
    await expectCode(t, log.appendMany([Uint8Array.of(1), new Uint8Array(maxRecordBytes + 1)]), 'SEGLOG_RECORD_TOO_LARGE');
    t.is(log.nextOffset, 1, 'nothing of the refused calls got an offset');
    t.is(await log.append(Uint8Array.of(2)), 1, 'the log goes on');
    await log.close();
    t.deepEqual((await readLog(io, '/max')).payloads[0], largest);
  }
});

test('a payload that is not a Uint8Array is a TypeError and takes no offset; Buffers and views are fine', async (t) => {
  const io = new SimFileIO({ seed: 1 });
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
  const { payloads } = await readLog(io, '/types');
  t.deepEqual(payloads[0], Uint8Array.of(1, 2, 3), 'only the bytes of the view, not its backing buffer');
  t.deepEqual(Buffer.from(payloads[1]!).toString(), 'buffer');
});

test('appendMany needs a non-empty array of Uint8Array: anything else is a TypeError that admits nothing', async (t) => {
  const io = new SimFileIO({ seed: 1 });
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
  ['maxRecordBytes', [{ blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 4096, maxRecordBytes: 0 }, { blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 4096, maxRecordBytes: 4032 }], [{ blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 4096, maxRecordBytes: -1 }, { blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 4096, maxRecordBytes: 4033 }]],
  ['maxInFlightBytes', [{ blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 4096, maxInFlightBytes: 4096 }, { maxInFlightBytes: 2 ** 40 }], [{ blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 4096, maxInFlightBytes: 4095 }, { maxInFlightBytes: 2 ** 40 + 1 }]],
  ['indexIntervalBytes', [{ blockBytes: 512, segmentBytes: 8192, indexIntervalBytes: 512 }, { blockBytes: 512, segmentBytes: 8192, indexIntervalBytes: 8192 }], [{ blockBytes: 512, segmentBytes: 8192, indexIntervalBytes: 511 }, { blockBytes: 512, segmentBytes: 8192, indexIntervalBytes: 8193 }]],
  ['maxBatchRecords', [{ maxBatchRecords: 1 }, { maxBatchRecords: 2 ** 32 - 1 }], [{ maxBatchRecords: 0 }, { maxBatchRecords: 2 ** 32 }]],
  ['recentIntervalMillis', [{ recentIntervalMillis: 100 }, { recentIntervalMillis: 3_600_000 }], [{ recentIntervalMillis: 99 }, { recentIntervalMillis: 3_600_001 }]],
  ['commitWindow', [{ commitWindow: { fixedMicros: 0 } }, { commitWindow: { fixedMicros: 100_000 } }, { commitWindow: { adaptive: { maxMicros: 0 } } }, { commitWindow: { adaptive: { maxMicros: 100_000 } } }, { commitWindow: 'adaptive' }], [{ commitWindow: { fixedMicros: -1 } }, { commitWindow: { fixedMicros: 100_001 } }, { commitWindow: { fixedMicros: Number.NaN } }, { commitWindow: { fixedMicros: Number.POSITIVE_INFINITY } }, { commitWindow: { adaptive: { maxMicros: -0.5 } } }, { commitWindow: { adaptive: { maxMicros: 100_000.5 } } }, { commitWindow: 'fixed' }, { commitWindow: 5 }, { commitWindow: null }]],
  ['preallocate', [{ preallocate: false }, { preallocate: 'auto' }, { preallocate: true, segmentBytes: 2048, blockBytes: 512 }], [{ preallocate: 'yes' }, { preallocate: 1 }]],
  ['dir', [], [{ dir: '' }, { dir: 42 }]],
  ['logId', [{ logId: new Uint8Array(16) }, { logId: Buffer.alloc(16, 7) }], [{ logId: new Uint8Array(15) }, { logId: new Uint8Array(17) }, { logId: 'abcdefghijklmnop' }, { logId: new Uint16Array(8) }, { logId: null }]],
  ['segmentSize', [], [{ segmentSize: 1 }]],
];
for (const [name, accepted, refused] of ranges) {
  test(`option ${name}: accepted exactly at its bounds, SEGLOG_INVALID_OPTION naming it just outside`, async (t) => {
    for (const [i, options] of accepted.entries()) {
      const io = new SimFileIO({ seed: 1 });
      const log = await openLog({ dir: `/ok${i}`, io, preallocate: false, ...options });
      await log.close();
    }
    for (const options of refused) {
      const error = await t.throwsAsync(openLog({ dir: '/refused', io: new SimFileIO({ seed: 1 }), ...options }));
      t.true(isSeglogError(error, 'SEGLOG_INVALID_OPTION'), `${JSON.stringify(options)}: ${String(error)}`);
      t.true(error?.message.includes(name), `the message names ${name}: ${error?.message}`);
    }
  });
}

test('options that are not an object are SEGLOG_INVALID_OPTION', async (t) => {
  for (const options of [null, undefined, 'dir', 5]) await expectCode(t, openLog(options as unknown as LogOptions), 'SEGLOG_INVALID_OPTION');
});

test('a segment copied in from another log is SEGLOG_CORRUPT naming it', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const [mine, theirs] = [join(dir, 'mine'), join(dir, 'theirs')];
  await smallLog(mine, 7, 1);
  await smallLog(theirs, 7, 50);
  copyFileSync(join(theirs, seg(3)), join(mine, seg(3)));
  await openRefuses(t, mine, 'SEGLOG_CORRUPT', join(mine, seg(3)));
});

test('a segment of a newer format version is SEGLOG_UNSUPPORTED_FORMAT naming it', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  await smallLog(dir, 7);
  const path = join(dir, seg(6));
  writeFileSync(path, withFormatVersion(readFileSync(path), 3));
  await openRefuses(t, dir, 'SEGLOG_UNSUPPORTED_FORMAT', path);
});

test('a segment whose name does not match its header base offset is SEGLOG_CORRUPT naming it', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  await smallLog(dir, 7);
  // Segment 6's file now holds segment 3's bytes: the chain expects base 6 and the header says 3.
  copyFileSync(join(dir, seg(3)), join(dir, seg(6)));
  await openRefuses(t, dir, 'SEGLOG_CORRUPT', join(dir, seg(6)));
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
  t.is((await readLog(nodeFileIO, dir)).endOffset, 8);
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
});

for (const [where, base] of [['the last', 9], ['a middle', 3], ['the only', 0]] as const) {
  test(`an empty (0-byte) .seg file as ${where} segment is SEGLOG_CORRUPT naming it`, async (t) => {
    const { dir, cleanup } = tempDir();
    t.teardown(cleanup);
    await smallLog(dir, base === 0 ? 2 : 10);
    writeFileSync(join(dir, seg(base)), new Uint8Array(0));
    await expectCode(t, openLog({ dir, ...tiny }), 'SEGLOG_CORRUPT', { file: join(dir, seg(base)), positioned: true });
  });
}

test('a directory where a segment should be is a coded error, never a raw fs error', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  await smallLog(dir, 7);
  rmSync(join(dir, 'next.seg.tmp'), { force: true });
  renameSync(join(dir, seg(6)), join(dir, 'moved-away'));
  mkdirSync(join(dir, seg(6)));
  await expectCode(t, openLog({ dir, ...tiny }), 'SEGLOG_IO', { file: join(dir, seg(6)) });
});

test('after close every call is SEGLOG_CLOSED', async (t) => {
  const io = new SimFileIO({ seed: 1 });
  const log = await openLog({ dir: '/closed', io, ...tiny });
  await log.append(Uint8Array.of(1));
  const closing = log.close();
  await expectCode(t, log.append(Uint8Array.of(2)), 'SEGLOG_CLOSED');
  await closing;
  t.is(log.close(), closing, 'close is idempotent');
  await expectCode(t, log.append(Uint8Array.of(3)), 'SEGLOG_CLOSED');
  await expectCode(t, log.appendMany([Uint8Array.of(4)]), 'SEGLOG_CLOSED');
});

test('an injected logId makes a replay byte-exact; an existing log keeps its id', async (t) => {
  const logId = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
  const write = async (): Promise<{ files: Map<string, Uint8Array>; head: HeadState | null }> => {
    const sim = new SimFileIO({ seed: 9 });
    // Batches carry their append time (format v2), so the replay fixes the wall clock.
    const clock = { nowMicros: () => performance.now() * 1000, wallMillis: () => 1_765_000_000_000 };
    const log = await openLog({ dir: '/id', io: sim, ...tiny, logId, clock });
    for (let i = 0; i < 12; i++) await log.append(new Uint8Array(100).fill(i));
    await log.close();
    // HEAD is compared by what it says, not by its write history: it carries the wall-clock time
    // of each write, and how many writes coalesced (its seq) depends on scheduling under load.
    const head = decodeHead(sim.readFileSync(`/id/${HEAD_FILE_NAME}`), HEAD_FILE_NAME);
    const files = new Map(sim.listDir('/id').filter((name) => name !== HEAD_FILE_NAME).map((name) => [name, sim.readFileSync(`/id/${name}`)]));
    return { files, head: head === null ? null : { ...head, writtenAtMs: 0, seq: 0 } };
  };
  const [first, again] = [await write(), await write()];
  t.true(first.files.size > 2, 'several segments');
  t.deepEqual(again, first, 'the same appends with the same logId give the same bytes');
  const sim = new SimFileIO({ seed: 10 });
  await (await openLog({ dir: '/id', io: sim, ...tiny, logId })).close();
  await (await openLog({ dir: '/id', io: sim, ...tiny, logId })).close();
  const other = Uint8Array.from(logId, (byte) => byte ^ 1);
  await expectCode(t, openLog({ dir: '/id', io: sim, ...tiny, logId: other }), 'SEGLOG_INVALID_OPTION');
  await (await openLog({ dir: '/id', io: sim, ...tiny })).close();
});

/**
 * One job: what a reader gives on hostile log directories that the store wrote and someone then
 * damaged (a foreign, renamed, newer-format, empty or missing segment, a directory where a segment
 * should be), and on misuse (calls after close, bad offsets): each gives exactly its coded error.
 * The writer's side of the same cases is packages/store/test/hostile.test.ts.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLog } from '@seglog/store';
import { SimFileIO, expectCode, withFormatVersion } from '@seglog/testkit';
import type { ErrorCode } from '@seglog/types';
import { openReader } from '../src/index.js';

/** 512-byte blocks, 3 batch blocks per segment: 100-byte records appended one by one give segments 0, 3, 6. */
// 5 blocks: the header, three one-block batches, and the block kept for the sealed-segment trailer.
const tiny = { blockBytes: 512, segmentBytes: 2560, commitWindow: { fixedMicros: 0 }, preallocate: false } as const;
const seg = (base: number): string => `${String(base).padStart(20, '0')}.seg`;

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'seglog-reader-hostile-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A closed log of `count` 100-byte records appended one at a time (so its layout is deterministic). */
async function smallLog(dir: string, count: number, fill = 1): Promise<void> {
  const log = await openLog({ dir, ...tiny });
  for (let i = 0; i < count; i++) await log.append(new Uint8Array(100).fill(fill + i));
  await log.close();
}

/** A reader's full read must give `code` naming `file`. */
async function readRefuses(t: ExecutionContext, dir: string, code: ErrorCode, file: string): Promise<void> {
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

test('a segment copied in from another log is SEGLOG_CORRUPT naming it', async (t) => {
  const dir = tempDir(t);
  const [mine, theirs] = [join(dir, 'mine'), join(dir, 'theirs')];
  await smallLog(mine, 7, 1);
  await smallLog(theirs, 7, 50);
  copyFileSync(join(theirs, seg(3)), join(mine, seg(3)));
  await readRefuses(t, mine, 'SEGLOG_CORRUPT', join(mine, seg(3)));
});

test('a segment of a newer format version is SEGLOG_UNSUPPORTED_FORMAT naming it', async (t) => {
  const dir = tempDir(t);
  await smallLog(dir, 7);
  const path = join(dir, seg(6));
  writeFileSync(path, withFormatVersion(readFileSync(path), 3));
  await readRefuses(t, dir, 'SEGLOG_UNSUPPORTED_FORMAT', path);
});

test('a segment whose name does not match its header base offset is SEGLOG_CORRUPT naming it', async (t) => {
  const dir = tempDir(t);
  await smallLog(dir, 7);
  copyFileSync(join(dir, seg(3)), join(dir, seg(6)));
  await readRefuses(t, dir, 'SEGLOG_CORRUPT', join(dir, seg(6)));
});

test('a missing middle segment: records before the gap read, past it SEGLOG_CORRUPT with a position', async (t) => {
  const dir = tempDir(t);
  await smallLog(dir, 10);
  rmSync(join(dir, seg(3)));
  const reader = await openReader({ dir });
  t.deepEqual(await reader.get(2), new Uint8Array(100).fill(3), 'records before the gap still read');
  await expectCode(t, reader.get(4), 'SEGLOG_CORRUPT', { positioned: true });
  await reader.close();
});

for (const [where, base] of [['the last', 9], ['a middle', 3], ['the only', 0]] as const) {
  test(`an empty (0-byte) .seg file as ${where} segment is SEGLOG_CORRUPT naming it`, async (t) => {
    const dir = tempDir(t);
    await smallLog(dir, base === 0 ? 2 : 10);
    writeFileSync(join(dir, seg(base)), new Uint8Array(0));
    if (where !== 'a middle') {
      await expectCode(t, openReader({ dir }), 'SEGLOG_CORRUPT', { file: join(dir, seg(base)) });
      return;
    }
    // Open reads the first and the last header only (segment-catalog.ts); a middle segment's header
    // is checked before the first read of it, and the reader never gets past it.
    const reader = await openReader({ dir });
    t.teardown(() => reader.close());
    await expectCode(t, reader.get(base), 'SEGLOG_CORRUPT', { file: join(dir, seg(base)) });
    await expectCode(t, (async () => {
      for await (const record of reader.read({ from: 0 })) t.true(record.offset < base);
    })(), 'SEGLOG_CORRUPT', { file: join(dir, seg(base)) });
  });
}

test('a directory where a segment should be is SEGLOG_IO naming it, never a raw fs error', async (t) => {
  const dir = tempDir(t);
  await smallLog(dir, 7);
  rmSync(join(dir, 'next.seg.tmp'), { force: true });
  renameSync(join(dir, seg(6)), join(dir, 'moved-away'));
  mkdirSync(join(dir, seg(6)));
  await expectCode(t, openReader({ dir }), 'SEGLOG_IO', { file: join(dir, seg(6)) });
});

test('after close every reader call is SEGLOG_CLOSED', async (t) => {
  const io = new SimFileIO({ seed: 1 });
  const log = await openLog({ dir: '/closed', io, ...tiny });
  await log.append(Uint8Array.of(1));
  await log.close();
  const reader = await openReader({ dir: '/closed', io });
  await reader.close();
  await reader.close();
  await expectCode(t, reader.get(0), 'SEGLOG_CLOSED');
  await expectCode(t, reader.firstOffset(), 'SEGLOG_CLOSED');
  await expectCode(t, reader.endOffset(), 'SEGLOG_CLOSED');
  await expectCode(t, reader.read({ from: 0 }).next(), 'SEGLOG_CLOSED');
});

test('reader offsets: not a non-negative integer is SEGLOG_INVALID_OPTION, past the end is SEGLOG_OUT_OF_RANGE', async (t) => {
  const io = new SimFileIO({ seed: 2 });
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

test('records the store wrote read back exactly: zero-length records, a record of maxRecordBytes, a view of a larger buffer', async (t) => {
  const io = new SimFileIO({ seed: 3 });
  const log = await openLog({ dir: '/edges', io, ...tiny });
  // The largest record: a batch header (48), its frame (4) and one chunk entry (12) leave this much.
  const largest = new Uint8Array(tiny.segmentBytes - tiny.blockBytes - 64).fill(5);
  const backing = Uint8Array.from([9, 9, 1, 2, 3, 9]);
  await log.appendMany([new Uint8Array(0), new Uint8Array(0), Uint8Array.of(7)]);
  await log.append(largest);
  await log.append(backing.subarray(2, 5));
  await log.close();
  const reader = await openReader({ dir: '/edges', io });
  const expected = [new Uint8Array(0), new Uint8Array(0), Uint8Array.of(7), largest, Uint8Array.of(1, 2, 3)];
  t.deepEqual(await Promise.all(expected.map((_, offset) => reader.get(offset))), expected);
  await reader.close();
});

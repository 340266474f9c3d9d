/**
 * One job: misuse of the reader's API is a coded SeglogError naming what was wrong (issue 9 items
 * 7 and 9): unknown or ill-typed options, bad offsets and ranges, no descriptor left behind by a
 * refused open, and `await using` closing the reader. Runs on a real directory so the descriptor
 * count is the process's own (/proc/self/fd).
 */
import test from 'ava';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { segmentFileName } from '@seglog/format';
import { nodeFileIO } from '@seglog/io';
import { ErrorCodes, SeglogError, type ReaderOptions } from '@seglog/types';
import { openReader, type Reader } from '../src/index.js';
import { batchesFrom, buildLog } from './helpers/build-log.js';

async function logDir(t: { teardown(fn: () => void): void }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'seglog-reader-misuse-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await buildLog(nodeFileIO, { dir, segments: [{ batches: batchesFrom(0, 3, 2) }] });
  return dir;
}

function invalid(error: unknown): SeglogError {
  if (!(error instanceof SeglogError) || error.code !== ErrorCodes.INVALID_OPTION) throw new Error(`expected SEGLOG_INVALID_OPTION, got ${String(error)}`);
  return error;
}

function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

test('an unknown option is SEGLOG_INVALID_OPTION naming it, the type received and what is allowed', async (t) => {
  const dir = await logDir(t);
  const error = invalid(await t.throwsAsync(openReader({ dir, cacheBatchs: 5 } as unknown as ReaderOptions)));
  t.regex(error.message, /cacheBatchs/);
  t.regex(error.message, /number 5/);
  t.regex(error.message, /allowed: dir, io, durable, visibility, cacheBytes, cacheBatches, cacheHandles/);
});

test('ill-typed options name the option and the type received, before any file is opened', async (t) => {
  const dir = await logDir(t);
  const cases: [ReaderOptions, RegExp][] = [
    [{ dir, cacheBatches: '64' as unknown as number }, /cacheBatches .*string "64"/],
    [{ dir, cacheBytes: 0 }, /cacheBytes must be an integer >= 1, got number 0/],
    [{ dir, cacheBytes: 2 ** 41 }, /cacheBytes must be at most 1099511627776, got number 2199023255552/],
    [{ dir, cacheBytes: 1.5 }, /cacheBytes .*number 1.5/],
    [{ dir, cacheHandles: 0 }, /cacheHandles .*number 0/],
    [{ dir: 5 as unknown as string }, /dir .*number 5/],
    [{ dir, io: {} as never }, /io .*missing open, readdir, stat/],
    [{ dir, durable: {} as never }, /durable/],
    [{ dir, visibility: 'all' as never }, /visibility must be 'durable' or 'written', got string "all"/],
    [{ dir, visibility: 'written' }, /visibility 'written' needs durable/],
    [null as unknown as ReaderOptions, /options .*null/],
  ];
  for (const [options, message] of cases) {
    const error = invalid(await t.throwsAsync(openReader(options)));
    t.regex(error.message, message);
  }
});

test('bad offsets to get, and read with no argument or a bad range, are SEGLOG_INVALID_OPTION', async (t) => {
  const dir = await logDir(t);
  const reader = await openReader({ dir });
  t.teardown(() => reader.close());
  for (const offset of [-1, 1.5, Number.NaN, 2 ** 53, '3', undefined]) {
    const error = invalid(await t.throwsAsync(reader.get(offset as number)));
    t.regex(error.message, /get offset/);
  }
  t.regex(invalid(t.throws(() => (reader.read as () => unknown)())).message, /read range must be an object.*undefined/);
  t.regex(invalid(t.throws(() => reader.read({ from: -1 }))).message, /read range from/);
  t.regex(invalid(t.throws(() => reader.read({ from: 'a' as unknown as number }))).message, /string "a"/);
  t.regex(invalid(t.throws(() => reader.read({ from: 4, to: 2 }))).message, /to must not be below from \(4\)/);
  t.is((await reader.get(5))[0] !== undefined, true, 'the reader still works after misuse');
});

test('a refused openReader leaves no file descriptor open, for bad options and for a corrupt segment', async (t) => {
  const dir = await logDir(t);
  writeFileSync(join(dir, segmentFileName(6)), new Uint8Array(4096).fill(7));
  await openReader({ dir: join(dir, 'missing') }).catch(() => undefined);
  const before = openDescriptors();
  for (let i = 0; i < 20; i++) {
    const bogus = { dir, bogus: true } as unknown as ReaderOptions;
    await t.throwsAsync(openReader(bogus), { code: ErrorCodes.INVALID_OPTION } as never);
    await t.throwsAsync(openReader({ dir }), { code: ErrorCodes.CORRUPT } as never);
  }
  // 40 refused opens: a leak of even one descriptor each would show as 20 or more.
  const after = openDescriptors();
  t.true(after <= before, `descriptors went from ${before} to ${after}`);
});

test('await using closes the reader at the end of the scope', async (t) => {
  const dir = await logDir(t);
  let escaped: Reader | undefined;
  {
    await using reader = await openReader({ dir });
    escaped = reader;
    t.is(await reader.endOffset(), 6);
  }
  await t.throwsAsync(escaped.get(0), { code: ErrorCodes.CLOSED } as never);
});

/**
 * One job: issue 9's findings, each as the behaviour that must hold now: no write through a
 * planted link, private file modes, bounded memory for callers that do not await, offsets near
 * 2^53, the HEAD checkpoint that detects lost acknowledged records, options validated before any
 * file is opened (and no descriptor leaked by a failed open), no leftover files, and
 * `Symbol.asyncDispose`. Real directories where the file system's own behaviour is the point
 * (links, modes, descriptors); the simulator elsewhere.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { existsSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HEAD_FILE_NAME, decodeHead, encodeSegmentHeader, segmentFileName } from '@seglog/format';
import { isSeglogError } from '@seglog/types';
import type { ErrorCode, LogOptions } from '@seglog/types';
import { openLog } from '../src/index.js';
import type { Log } from '../src/index.js';
import { LOG_DIR, payloadOf, readAll, simMachine } from './helpers/sim-fault-fixtures.js';
import { tempDir } from './helpers/temp-log.js';

const small = {
  blockBytes: 512,
  segmentBytes: 64 * 1024,
  commitWindow: { fixedMicros: 0 },
  preallocate: false,
} as const;

function scratch(t: ExecutionContext): string {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  return join(dir, 'log');
}

async function expectCode(
  t: ExecutionContext,
  promise: Promise<unknown>,
  code: ErrorCode,
  pattern?: RegExp,
): Promise<Error | undefined> {
  const error = await t.throwsAsync(promise);
  t.true(isSeglogError(error, code), `expected ${code}, got ${String(error)}`);
  if (pattern !== undefined) t.regex(error?.message ?? '', pattern);
  return error;
}

/** A closed log of `batches` batches of 10 records, appended one batch at a time. */
async function logOfBatches(dir: string, batches: number, extra: Partial<LogOptions> = {}): Promise<void> {
  const log = await openLog({ dir, ...small, ...extra });
  for (let batch = 0; batch < batches; batch++) {
    await log.appendMany(Array.from({ length: 10 }, (_, i) => payloadOf(batch * 10 + i, 100)));
  }
  await log.close();
}

/** Descriptors of this process open on files under `dir`: unlike the total, immune to other code's files. */
function fdsUnder(dir: string): string[] {
  const targets: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${dir}/`) || target === dir) targets.push(target);
    } catch {
      // Closed between the listing and the read: not ours to count.
    }
  }
  return targets;
}

// Item 1 ------------------------------------------------------------------------------------

for (const planted of ['00000000000000000000.idx', '00000000000000000000.seg', HEAD_FILE_NAME] as const) {
  test(`a symbolic link planted as ${planted} is refused with a coded error naming it; its target is untouched`, async (t) => {
    const dir = scratch(t);
    await logOfBatches(dir, 3);
    // The worst case: the link points at a valid copy, so reading through it finds nothing wrong.
    const victim = join(dir, '..', 'victim');
    writeFileSync(victim, readFileSync(join(dir, planted)));
    const before = readFileSync(victim);
    rmSync(join(dir, planted));
    symlinkSync(victim, join(dir, planted));
    const error = await expectCode(t, openLog({ dir, ...small }), 'SEGLOG_IO', /symbolic link/);
    t.true(error?.message.includes(planted), error?.message);
    t.deepEqual(readFileSync(victim), before);
  });
}

test('a symbolic link planted as next.seg.tmp is removed, never written through', async (t) => {
  const dir = scratch(t);
  await logOfBatches(dir, 1);
  const victim = join(dir, '..', 'victim');
  writeFileSync(victim, 'precious');
  symlinkSync(victim, join(dir, 'next.seg.tmp'));
  const log = await openLog({ dir, ...small, segmentBytes: 4096, preallocate: true });
  for (let i = 0; i < 40; i++) await log.append(payloadOf(i, 200));
  await log.close();
  t.is(readFileSync(victim, 'utf8'), 'precious');
});

// Item 3 ------------------------------------------------------------------------------------

test('a new log is private: directory 0700, every file 0600; fileMode and dirMode widen them', async (t) => {
  const old = process.umask(0o022);
  t.teardown(() => process.umask(old));
  const dir = scratch(t);
  const log = await openLog({ dir, ...small });
  await log.append(payloadOf(1));
  t.is(statSync(dir).mode & 0o777, 0o700);
  for (const name of readdirSync(dir)) t.is(statSync(join(dir, name)).mode & 0o777, 0o600, name);
  await log.close();
  const shared = join(dir, '..', 'shared');
  const wide = await openLog({ dir: shared, ...small, fileMode: 0o640, dirMode: 0o750 });
  await wide.append(payloadOf(1));
  t.is(statSync(shared).mode & 0o777, 0o750);
  for (const name of readdirSync(shared)) t.is(statSync(join(shared, name)).mode & 0o777, 0o640, name);
  await wide.close();
});

// Item 4 ------------------------------------------------------------------------------------

test('past maxQueuedBytes an un-awaited append rejects at once with SEGLOG_OVERLOADED, gets no offset and writes nothing', async (t) => {
  const { io } = await simMachine(41, { datasyncDelayMs: 5 });
  const log = await openLog({
    dir: LOG_DIR,
    io,
    ...small,
    maxBatchBytes: 4096,
    maxInFlightBytes: 8192,
    maxQueuedBytes: 16 * 1024,
  });
  const results = await Promise.allSettled(Array.from({ length: 400 }, (_, i) => log.append(payloadOf(i, 1000))));
  const accepted = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  t.true(refused.length > 0, 'the cap was reached');
  t.true(refused.every((error) => isSeglogError(error, 'SEGLOG_OVERLOADED')), String(refused.find((error) => !isSeglogError(error, 'SEGLOG_OVERLOADED'))));
  t.deepEqual(accepted, Array.from({ length: accepted.length }, (_, i) => i), 'offsets stay dense: refused appends took none');
  // 8 KiB in flight + 16 KiB queued: at most 24 records of 1000 bytes were ever held.
  t.true(accepted.length <= 24 + 2, `${accepted.length} accepted`);
  t.is(log.metrics().overloadRejections, refused.length);
  t.is(await log.append(payloadOf(9999, 10)), accepted.length, 'the log goes on');
  await log.close();
  t.is((await readAll(io)).length, accepted.length + 1);
});

test('awaiting callers never see SEGLOG_OVERLOADED with the defaults', async (t) => {
  const { io } = await simMachine(42, { datasyncDelayMs: 1 });
  const log = await openLog({ dir: LOG_DIR, io, ...small });
  await Promise.all(Array.from({ length: 64 }, async (_, caller) => {
    for (let i = 0; i < 20; i++) await log.append(payloadOf(caller * 100 + i, 4096));
  }));
  t.is(log.metrics().overloadRejections, 0);
  await log.close();
});

// Item 5 ------------------------------------------------------------------------------------

test('appends that would pass offset 2^53 - 1 reject with SEGLOG_OUT_OF_RANGE; nothing throws from a timer', async (t) => {
  const { io } = await simMachine(43);
  const base = 2 ** 53 - 3;
  await io.mkdirp(LOG_DIR);
  const path = join(LOG_DIR, segmentFileName(base));
  const handle = await io.open(path, 'create');
  const header = encodeSegmentHeader({ blockBytes: 512, baseOffset: base, logId: new Uint8Array(16).fill(9) });
  await handle.writev([header], 0);
  await handle.close();
  const log = await openLog({ dir: LOG_DIR, io, ...small });
  t.is(log.nextOffset, base);
  t.is(await log.append(payloadOf(0)), base);
  t.is(await log.append(payloadOf(1)), base + 1);
  await expectCode(t, log.append(payloadOf(2)), 'SEGLOG_OUT_OF_RANGE', /largest offset/);
  await expectCode(t, log.appendMany([payloadOf(3), payloadOf(4)]), 'SEGLOG_OUT_OF_RANGE');
  t.is(log.nextOffset, Number.MAX_SAFE_INTEGER);
  await log.close();
  const reopened = await openLog({ dir: LOG_DIR, io, ...small });
  t.is(reopened.nextOffset, Number.MAX_SAFE_INTEGER);
  await reopened.close();
});

// Item 6 ------------------------------------------------------------------------------------

function lastSegment(dir: string): string {
  return join(dir, readdirSync(dir).filter((name) => name.endsWith('.seg')).sort().at(-1)!);
}

function headOf(dir: string): ReturnType<typeof decodeHead> {
  return decodeHead(readFileSync(join(dir, HEAD_FILE_NAME)), HEAD_FILE_NAME);
}

test('a log cut by 3.5 acknowledged batches fails to open with SEGLOG_CORRUPT naming both offsets', async (t) => {
  const dir = scratch(t);
  await logOfBatches(dir, 30);
  t.is(headOf(dir)?.durableOffset, 300);
  const segment = lastSegment(dir);
  // Each batch of 10 x 100-byte records spans 3 blocks of 512 bytes.
  truncateSync(segment, statSync(segment).size - Math.floor(3.5 * 3 * 512));
  const error = await expectCode(t, openLog({ dir, ...small }), 'SEGLOG_CORRUPT', /ends at offset 260 .* up to 300/);
  t.is((error as { file?: string }).file, segment);
  const accepted = await openLog({ dir, ...small, acceptDataLoss: true });
  t.deepEqual(accepted.lostRecords, { fromOffset: 260, toOffset: 300 });
  t.is(await accepted.append(payloadOf(0)), 260, 'the lost offsets are handed out again');
  await accepted.close();
  t.is(headOf(dir)?.truncateEpoch, 1, 'the accepted loss bumped truncateEpoch');
  const again = await openLog({ dir, ...small });
  t.is(again.nextOffset, 261);
  t.is(again.lostRecords, null);
  await again.close();
});

test('zeroing the last acknowledged batches, or deleting the last segment, is SEGLOG_CORRUPT too', async (t) => {
  const dir = scratch(t);
  await logOfBatches(dir, 10, { segmentBytes: 8 * 512 * 3 });
  const segment = lastSegment(dir);
  const bytes = readFileSync(segment);
  bytes.fill(0, bytes.length - 2 * 3 * 512);
  writeFileSync(segment, bytes);
  await expectCode(t, openLog({ dir, ...small, segmentBytes: 8 * 512 * 3 }), 'SEGLOG_CORRUPT', /acknowledged/);
  unlinkSync(segment);
  await expectCode(t, openLog({ dir, ...small, segmentBytes: 8 * 512 * 3 }), 'SEGLOG_CORRUPT', /acknowledged/);
});

test('a log without HEAD (written before it existed) opens and gets one; a torn unacknowledged tail is not a loss', async (t) => {
  const dir = scratch(t);
  await logOfBatches(dir, 5);
  unlinkSync(join(dir, HEAD_FILE_NAME));
  const log = await openLog({ dir, ...small });
  t.is(log.nextOffset, 50);
  t.is(headOf(dir)?.durableOffset, 50);
  await log.append(payloadOf(50));
  await log.close();
  t.is(headOf(dir)?.durableOffset, 51);
});

test('a HEAD with no valid slot is SEGLOG_CORRUPT unless the loss is accepted; a HEAD of another log likewise', async (t) => {
  const dir = scratch(t);
  await logOfBatches(dir, 2);
  const original = readFileSync(join(dir, HEAD_FILE_NAME));
  writeFileSync(join(dir, HEAD_FILE_NAME), new Uint8Array(1024).fill(0x55));
  await expectCode(t, openLog({ dir, ...small }), 'SEGLOG_CORRUPT', /no valid slot/);
  const accepted = await openLog({ dir, ...small, acceptDataLoss: true });
  t.is(accepted.nextOffset, 20);
  await accepted.close();
  const other = scratch(t) + '-other';
  await logOfBatches(other, 1);
  writeFileSync(join(dir, HEAD_FILE_NAME), readFileSync(join(other, HEAD_FILE_NAME)));
  await expectCode(t, openLog({ dir, ...small }), 'SEGLOG_CORRUPT', /another log/);
  t.truthy(original.length);
});

// Item 7 ------------------------------------------------------------------------------------

const badOptions: ReadonlyArray<readonly [string, Record<string, unknown>, RegExp]> = [
  ['clock', { clock: {} }, /clock .*nowMicros/],
  ['io', { io: {} }, /io .*missing open/],
  ['io', { io: 5 }, /io .*got number 5/],
  ['commitWindow', { commitWindow: { adaptive: 'yes' } }, /commitWindow.adaptive .*got string "yes"/],
  ['commitWindow', { commitWindow: { adaptive: 5 } }, /commitWindow.adaptive .*got number 5/],
  ['commitWindow', { commitWindow: { adaptive: { maxMicos: 7 } } }, /commitWindow.adaptive.maxMicos is not/],
  ['commitWindow', { commitWindow: { fixedMicros: 10, bogus: 1 } }, /commitWindow.bogus is not/],
  ['commitWindow', { commitWindow: 'fast' }, /commitWindow .*got string "fast"/],
  ['blockBytes', { blockBytes: '4096' }, /blockBytes must be an integer in \[512, 65536\], got string "4096"/],
  ['fileMode', { fileMode: 0o044 }, /fileMode must include the owner bits/],
  ['dirMode', { dirMode: 'rwx' }, /dirMode .*got string/],
  ['maxQueuedBytes', { maxQueuedBytes: -1 }, /maxQueuedBytes/],
  ['acceptDataLoss', { acceptDataLoss: 'yes' }, /acceptDataLoss must be true or false/],
];

for (const [name, extra, message] of badOptions) {
  // Descriptors are counted on the log's own path, not the process's total: another test's (or a
  // closing log's) files open and close meanwhile, which made the total differ in a CI run.
  test(`bad option ${JSON.stringify(extra)} is SEGLOG_INVALID_OPTION naming ${name}, before any file is opened`, async (t) => {
    const dir = scratch(t);
    await expectCode(t, openLog({ dir, ...(extra as Partial<LogOptions>) }), 'SEGLOG_INVALID_OPTION', message);
    // The log's parent is this test's own temp folder: nothing of it may stay open.
    t.deepEqual(fdsUnder(dirname(dir)), [], 'no descriptor leaked');
    t.false(existsSync(dir), 'nothing was created');
  });
}

test.serial('an open that fails after opening files (a lost tail) leaks no descriptor and releases the lock', async (t) => {
  const dir = scratch(t);
  await logOfBatches(dir, 4);
  const segment = lastSegment(dir);
  truncateSync(segment, statSync(segment).size - 3 * 512);
  t.deepEqual(fdsUnder(dir), [], 'the writer that made the log closed everything');
  for (let i = 0; i < 3; i++) await expectCode(t, openLog({ dir, ...small }), 'SEGLOG_CORRUPT');
  // Counted by path: the process-wide total also moves when unrelated descriptors (the test
  // runner's, the module loader's) open or close meanwhile, which made this test flaky.
  t.deepEqual(fdsUnder(dir), [], 'no descriptor of the log is left open');
  t.false(existsSync(join(dir, 'LOCK')));
});

// Item 8 ------------------------------------------------------------------------------------

test('next.seg.tmp is removed at close, and after an open that failed with ENOSPC', async (t) => {
  const dir = scratch(t);
  const log = await openLog({ dir, ...small, segmentBytes: 8192, preallocate: true });
  // 14 one-block batches per segment (header and trailer blocks aside): 24 appends end in the second
  // half of the second segment, after the next one was prepared and before it was taken.
  for (let i = 0; i < 24; i++) await log.append(payloadOf(i, 200));
  t.true(existsSync(join(dir, 'next.seg.tmp')), 'a next segment was prepared');
  await log.close();
  t.false(existsSync(join(dir, 'next.seg.tmp')));

  const { sim, io } = await simMachine(44);
  sim.faults.failNext('writev', { code: 'ENOSPC', path: /next\.seg\.tmp$/ });
  await expectCode(t, openLog({ dir: LOG_DIR, io, ...small, preallocate: true }), 'SEGLOG_IO', /ENOSPC/);
  t.deepEqual((await io.readdir(LOG_DIR)).filter((name) => name.endsWith('.tmp')), []);
});

test('LOCK temp files left by dead openers are removed at open', async (t) => {
  const dir = scratch(t);
  await logOfBatches(dir, 1);
  writeFileSync(join(dir, 'LOCK.tmp-4194305-abcdef012345'), '');
  writeFileSync(join(dir, 'LOCK.stale-4194305-abcdef012345'), '');
  const log = await openLog({ dir, ...small });
  t.deepEqual(readdirSync(dir).filter((name) => name.startsWith('LOCK.')), []);
  await log.close();
});

// Item 9 ------------------------------------------------------------------------------------

test('Log implements Symbol.asyncDispose: `await using` closes it and releases the lock', async (t) => {
  const dir = scratch(t);
  let escaped: Log | undefined;
  {
    await using log = await openLog({ dir, ...small });
    await log.append(payloadOf(0));
    escaped = log;
  }
  await expectCode(t, escaped.append(payloadOf(1)), 'SEGLOG_CLOSED');
  const again = await openLog({ dir, ...small });
  t.is(again.nextOffset, 1);
  await again[Symbol.asyncDispose]();
  await again[Symbol.asyncDispose]();
});

test('after close, appends reject with SEGLOG_CLOSED while metrics(), nextOffset and durableOffset still answer', async (t) => {
  const dir = scratch(t);
  const log = await openLog({ dir, ...small });
  await log.appendMany([payloadOf(0), payloadOf(1)]);
  await log.close();
  t.is(log.nextOffset, 2);
  t.is(log.durableOffset, 2);
  t.is(log.metrics().appends, 2);
  await expectCode(t, log.append(payloadOf(2)), 'SEGLOG_CLOSED');
  await expectCode(t, log.appendMany([payloadOf(2)]), 'SEGLOG_CLOSED');
});

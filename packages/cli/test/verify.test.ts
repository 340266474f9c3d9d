import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { acquireDirLock } from '@seglog/io';
import { flipByte, hasAnsi, makeLog, seglog, segmentNames, tearTail, tempDir } from './helpers.js';
import { removeTempDirs } from './helpers.js';

test.after.always(removeTempDirs);

interface VerifyReport {
  version: number;
  mode: string;
  status: string;
  exitCode: number;
  bounds: { low: number; durable: number | null; written: number };
  summary: { segments: number; records: number; bytes: number; verifiedBytes: number };
  tornTail: { segment: string; okUpTo: number; bytes: number; inFlightBatches: number } | null;
  errors: {
    code: string;
    kind: string;
    segment: string | null;
    offset: number | null;
    filePosition: number | null;
    expected: number | null;
    actual: number | null;
  }[];
  errorsTruncated: boolean;
}

function report(stdout: string): VerifyReport {
  return JSON.parse(stdout) as VerifyReport;
}

test('a clean log verifies with exit 0, and the JSON report matches the log', async (t) => {
  const dir = await makeLog(500);
  const result = await seglog(['verify', dir, '--json']);
  t.is(result.code, 0, result.stderr);
  const parsed = report(result.stdout);
  t.is(parsed.version, 1);
  t.is(parsed.status, 'clean');
  t.is(parsed.mode, 'full');
  t.deepEqual(parsed.bounds, { low: 0, durable: 500, written: 500 });
  t.is(parsed.summary.records, 500);
  t.is(parsed.summary.segments, (await segmentNames(dir)).length);
  t.true(parsed.summary.verifiedBytes >= parsed.summary.bytes, 'a full verify reads every byte');
  t.deepEqual(parsed.errors, []);
  t.false(hasAnsi(result.stdout + result.stderr));
  t.is(result.stderr, '', 'no progress bar and no prose when piped');
});

test('a torn tail is a warning: exit 2, with the torn bytes reported', async (t) => {
  const dir = await makeLog(300);
  const torn = await tearTail(dir);
  const result = await seglog(['verify', dir, '--json']);
  t.is(result.code, 2, result.stderr);
  const parsed = report(result.stdout);
  t.is(parsed.status, 'warnings');
  t.deepEqual(parsed.tornTail, { segment: path.basename(torn.file), okUpTo: torn.at, bytes: 100, inFlightBatches: 0 });
  t.is(parsed.summary.records, 300, 'no acknowledged record is lost');
  const text = await seglog(['verify', dir]);
  t.is(text.code, 2);
  t.regex(text.stdout, /torn tail: 100 bytes/);
  t.regex(text.stdout, /seglog repair .* --apply/);
});

test('a flipped byte mid-log is a data problem: exit 4, naming the segment, offset, position and both CRCs', async (t) => {
  const dir = await makeLog(500);
  const first = (await segmentNames(dir))[0]!;
  await flipByte(path.join(dir, first), 4096 + 56); // a payload byte of the first batch
  const result = await seglog(['verify', dir, '--json']);
  t.is(result.code, 4, result.stderr);
  const parsed = report(result.stdout);
  t.is(parsed.status, 'corrupt');
  const damage = parsed.errors.find((error) => error.kind === 'damage')!;
  t.is(damage.code, 'SEGLOG_CORRUPT');
  t.is(damage.segment, first);
  t.is(damage.offset, 0);
  t.is(damage.filePosition, 4096);
  t.not(damage.expected, null);
  t.not(damage.actual, null);
  t.not(damage.expected, damage.actual);
});

test('a missing segment is a gap: exit 4', async (t) => {
  const dir = await makeLog(800);
  const names = await segmentNames(dir);
  t.true(names.length >= 3);
  await fs.rm(path.join(dir, names[1]!));
  const result = await seglog(['verify', dir, '--json']);
  t.is(result.code, 4);
  t.true(report(result.stdout).errors.some((error) => error.kind === 'gap' && error.segment === names[0]));
});

test('torn tail plus mid-log damage add up: exit 6', async (t) => {
  const dir = await makeLog(500);
  await tearTail(dir);
  await flipByte(path.join(dir, (await segmentNames(dir))[0]!), 4096 + 40);
  const result = await seglog(['verify', dir]);
  t.is(result.code, 6);
});

test('--max-errors bounds the list and says it was cut', async (t) => {
  const dir = await makeLog(800);
  for (const name of await segmentNames(dir)) await flipByte(path.join(dir, name), 4096 + 40);
  const all = report((await seglog(['verify', dir, '--json'])).stdout);
  t.true(all.errors.length >= 3);
  const two = await seglog(['verify', dir, '--json', '--max-errors', '2']);
  t.is(two.code, 4);
  const parsed = report(two.stdout);
  t.is(parsed.errors.length, 2);
  t.true(parsed.errorsTruncated);
});

test('--quick reads less and still finds a torn tail', async (t) => {
  const dir = await makeLog(800);
  await tearTail(dir);
  const quick = await seglog(['verify', dir, '--quick', '--json']);
  t.is(quick.code, 2);
  const parsed = report(quick.stdout);
  t.is(parsed.mode, 'quick');
  t.true(parsed.summary.verifiedBytes < parsed.summary.bytes);
});

test('not a seglog directory, or missing: exit 8 with a coded error', async (t) => {
  const empty = await tempDir('empty');
  const result = await seglog(['verify', empty, '--json']);
  t.is(result.code, 8);
  t.is((JSON.parse(result.stdout) as { error: { code: string } }).error.code, 'SEGLOG_NOT_A_LOG');
  const missing = await seglog(['verify', path.join(empty, 'nope')]);
  t.is(missing.code, 8);
  t.regex(missing.stderr, /does not exist/);
});

test('a bad flag or value is a usage error: exit 16', async (t) => {
  const dir = await makeLog(10);
  t.is((await seglog(['verify', dir, '--bogus'])).code, 16);
  t.is((await seglog(['verify', dir, '--max-errors', 'many'])).code, 16);
  t.is((await seglog(['verify', dir, '--jobs', '0'])).code, 16);
  t.is((await seglog(['verify', dir, '--jobs', '65'])).code, 16);
  t.is((await seglog(['verify'])).code, 16);
  t.is((await seglog(['frobnicate'])).code, 16);
  const help = await seglog(['verify', '--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /Examples:/);
});

test('read commands work beside a held writer lock and report the holder', async (t) => {
  const dir = await makeLog(100);
  const lock = await acquireDirLock(dir);
  try {
    t.is((await seglog(['verify', dir])).code, 0);
    const stat = JSON.parse((await seglog(['stat', dir, '--json'])).stdout) as { lock: { held: boolean; alive: boolean; pid: number } };
    const { held, alive, pid } = stat.lock;
    t.deepEqual({ held, alive, pid }, { held: true, alive: true, pid: process.pid });
  } finally {
    await lock.release();
  }
});

test('SIGINT during verify stops it cleanly: exit 32, on one thread and on several', async (t) => {
  // Large enough that verify is still reading when the signal lands; payloads of 256 KiB.
  const dir = await tempDir('sigint');
  const { openLog } = await import('@seglog/store');
  const log = await openLog({ dir });
  const payload = new Uint8Array(256 * 1024).fill(7);
  for (let i = 0; i < 600; i++) await log.append(payload);
  await log.close();
  for (const jobs of ['1', '2']) {
    const args = ['verify', dir, '--progress', 'always', '--jobs', jobs];
    const result = await seglog(args, { onStderr: { waitFor: 'verify [', then: (child) => child.kill('SIGINT') } });
    t.is(result.code, 32, `--jobs ${jobs}: ${result.stderr}`);
    t.regex(result.stderr, /cancelled/);
  }
});

/** The report without what differs from run to run (times and speeds). */
function stable(stdout: string): unknown {
  const parsed = JSON.parse(stdout) as Record<string, unknown> & { summary: Record<string, unknown> };
  const kept = Object.entries(parsed).filter(([key]) => key !== 'startedAt' && key !== 'durationMs');
  return { ...Object.fromEntries(kept), summary: { ...parsed.summary, mbPerSec: null } };
}

test('--jobs: segments checked on several threads give the same report, damage in later segments included', async (t) => {
  const dir = await makeLog(1500);
  const names = await segmentNames(dir);
  t.true(names.length >= 8);
  // Damage in three segments (one of them the last checked), and a torn tail: exit 6.
  for (const i of [2, 5, names.length - 2]) await flipByte(path.join(dir, names[i]!), 4096 + 56);
  await tearTail(dir);
  const one = await seglog(['verify', dir, '--json', '--jobs', '1']);
  t.is(one.code, 6, one.stderr);
  for (const jobs of ['2', '4']) {
    const many = await seglog(['verify', dir, '--json', '--jobs', jobs]);
    t.is(many.code, 6, many.stderr);
    t.deepEqual(stable(many.stdout), stable(one.stdout), `--jobs ${jobs}`);
  }
  const damaged = report(one.stdout).errors.filter((error) => error.kind === 'damage').map((error) => error.segment);
  t.deepEqual(damaged, [names[2], names[5], names[names.length - 2]], 'in segment order');
  // --max-errors cuts the same first problems.
  const cut = await seglog(['verify', dir, '--json', '--jobs', '3', '--max-errors', '1']);
  t.is(report(cut.stdout).errors[0]!.segment, names[2]!);
  t.true(report(cut.stdout).errorsTruncated);
});

/**
 * `seglog truncate --before` as a child process: the dry run changes no byte and its plan names
 * what --apply then does (on the library's truncateBefore); a live writer's lock refuses it.
 */
import fs from 'node:fs/promises';
import test from 'ava';
import { openLog, setRetentionHold } from '@seglog/store';
import { hashDir, makeLog, payloadOf, removeTempDirs, seglog, segmentNames } from './helpers.js';

test.after.always(removeTempDirs);

interface Plan {
  before: number;
  firstOffset: { from: number; to: number };
  recordsDropped: number;
  segmentsDropped: { file: string; baseOffset: number; bytes: number }[];
  bytesDropped: number;
}

test('truncate --before: the dry run changes nothing and its plan is what --apply does', async (t) => {
  const dir = await makeLog(3000, 32 * 1024);
  const names = await segmentNames(dir);
  t.true(names.length > 4);
  const bases = names.map((name) => Number(name.slice(0, 20)));
  const before = bases[3]! + 5; // inside the fourth segment: the first three go whole
  const hash = await hashDir(dir);
  const dry = await seglog(['truncate', dir, '--before', String(before), '--json']);
  t.is(dry.code, 0, dry.stderr);
  t.is(await hashDir(dir), hash, 'a dry run changes no byte');
  const report = JSON.parse(dry.stdout) as { version: number; applied: boolean; plan: Plan };
  t.is(report.version, 1);
  t.false(report.applied);
  t.deepEqual(report.plan.firstOffset, { from: 0, to: before });
  t.is(report.plan.recordsDropped, before);
  t.deepEqual(report.plan.segmentsDropped.map((segment) => segment.file), names.slice(0, 3));
  const text = await seglog(['truncate', dir, '--before', String(before)]);
  t.regex(text.stdout, new RegExp(`^plan: first offset 0 -> ${before}: ${before} records become unreadable; 3 whole segments`));
  t.regex(text.stderr, /dry run: nothing was changed/);

  const applied = await seglog(['truncate', dir, '--before', String(before), '--apply', '--json']);
  t.is(applied.code, 1, applied.stderr);
  t.true((JSON.parse(applied.stdout) as { applied: boolean }).applied);
  t.deepEqual(await segmentNames(dir), names.slice(3), 'the planned segments, and only they, are gone');
  const stat = JSON.parse((await seglog(['stat', dir, '--json'])).stdout) as { offsets: unknown };
  t.deepEqual(stat.offsets, { first: before, durable: 3000, next: 3000 });
  const dump = await seglog(['dump', dir, '--from', '0', '--count', '1', '--ndjson']);
  t.is((JSON.parse(dump.stdout) as { offset: number }).offset, before, 'records below the mark are unreadable');
  const again = await seglog(['truncate', dir, '--before', String(before), '--apply']);
  t.is(again.code, 0, 'nothing left to do: exit 0');
  t.regex(again.stdout, /nothing to drop/);
});

test('truncate --apply while a live writer holds the lock: exit 8, SEGLOG_LOCKED, nothing changed', async (t) => {
  const dir = await makeLog(500, 32 * 1024);
  const names = await segmentNames(dir);
  const log = await openLog({ dir });
  try {
    const result = await seglog(['truncate', dir, '--before', '100', '--apply', '--json']);
    t.is(result.code, 8, result.stderr);
    t.is((JSON.parse(result.stdout) as { error: { code: string } }).error.code, 'SEGLOG_LOCKED');
  } finally {
    await log.close();
  }
  // (The live writer may prepare its next segment meanwhile, so the files are compared, not hashed.)
  t.deepEqual(await segmentNames(dir), names);
  const stat = JSON.parse((await seglog(['stat', dir, '--json'])).stdout) as { offsets: { first: number } };
  t.is(stat.offsets.first, 0, 'the low-water mark did not move');
});

test('truncate: an offset out of range, a missing, bad or doubled offset are usage errors (16)', async (t) => {
  const dir = await makeLog(100);
  const hash = await hashDir(dir);
  const past = await seglog(['truncate', dir, '--before', '101']);
  t.is(past.code, 16);
  t.regex(past.stderr, /outside the readable range/);
  t.is((await seglog(['truncate', dir, '--after', '101', '--apply'])).code, 16);
  t.is((await seglog(['truncate', dir])).code, 16, 'neither --before nor --after');
  t.is((await seglog(['truncate', dir, '--before', '5', '--after', '50'])).code, 16, 'both');
  t.is((await seglog(['truncate', dir, '--after', '50', '--force'])).code, 16, '--force goes with --before');
  t.is((await seglog(['truncate', dir, '--before', '-1'])).code, 16);
  t.is(await hashDir(dir), hash);
  await fs.access(dir);
});

test('truncate --before stops at a retention hold, names it, and --force drops past it', async (t) => {
  const dir = await makeLog(3000, 32 * 1024);
  await setRetentionHold({ dir, name: 'audit-export', offset: 1000 });
  const dry = JSON.parse((await seglog(['truncate', dir, '--before', '2000', '--json'])).stdout) as { plan: Plan & { heldBy: { name: string }[] } };
  t.deepEqual(dry.plan.firstOffset, { from: 0, to: 1000 });
  t.deepEqual(dry.plan.heldBy.map((hold) => hold.name), ['audit-export']);
  const text = await seglog(['truncate', dir, '--before', '2000']);
  t.regex(text.stdout, /retention holds stop the mark at 1000: audit-export at 1000 \(--force drops past them\)/);
  const held = await seglog(['truncate', dir, '--before', '2000', '--apply']);
  t.is(held.code, 1, held.stderr);
  const first = async (): Promise<number> =>
    (JSON.parse((await seglog(['stat', dir, '--json'])).stdout) as { offsets: { first: number } }).offsets.first;
  t.is(await first(), 1000, 'the library stopped where the plan said');
  const forced = await seglog(['truncate', dir, '--before', '2000', '--force', '--apply', '--json']);
  t.is(forced.code, 1, forced.stderr);
  const report = JSON.parse(forced.stdout) as { plan: { overriddenHolds: { name: string }[] } };
  t.deepEqual(report.plan.overriddenHolds.map((hold) => hold.name), ['audit-export']);
  t.is(await first(), 2000);
});

test('truncate --after: the plan, then the records from the offset on are dropped and their offsets reused', async (t) => {
  const dir = await makeLog(3000, 32 * 1024);
  const names = await segmentNames(dir);
  const bases = names.map((name) => Number(name.slice(0, 20)));
  const after = bases[2]! + 7; // inside the third segment: it is cut, the ones after it go
  const hash = await hashDir(dir);
  const dry = await seglog(['truncate', dir, '--after', String(after), '--json']);
  t.is(dry.code, 0, dry.stderr);
  t.is(await hashDir(dir), hash, 'a dry run changes no byte');
  interface AfterPlan {
    recordsDropped: number;
    segmentsDropped: { file: string }[];
    segmentCut: string | null;
  }
  const plan = (JSON.parse(dry.stdout) as { plan: AfterPlan }).plan;
  t.is(plan.recordsDropped, 3000 - after);
  t.deepEqual(plan.segmentsDropped.map((segment) => segment.file), names.slice(3));
  t.is(plan.segmentCut, names[2]!);
  const applied = await seglog(['truncate', dir, '--after', String(after), '--apply']);
  t.is(applied.code, 1, applied.stderr);
  t.regex(applied.stdout, new RegExp(`^done: end 3000 -> ${after}: ${3000 - after} acknowledged records are dropped`));
  t.deepEqual(await segmentNames(dir), names.slice(0, 3));
  const stat = JSON.parse((await seglog(['stat', dir, '--json'])).stdout) as { offsets: unknown };
  t.deepEqual(stat.offsets, { first: 0, durable: after, next: after });
  const log = await openLog({ dir });
  t.is(await log.append(payloadOf(99_999)), after, 'the dropped offsets are handed out again');
  await log.close();
  const dump = await seglog(['dump', dir, '--from', String(after - 1), '--ndjson', '--payload', 'json']);
  const rows = dump.stdout.trim().split('\n').map((line) => JSON.parse(line) as { offset: number; payload: { n: number } });
  t.deepEqual(rows.map((row) => [row.offset, row.payload.n]), [[after - 1, after - 1], [after, 99_999]]);
});

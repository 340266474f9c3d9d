import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { acquireDirLock } from '@seglog/io';
import { makeLog, seglog, segmentNames } from './helpers.js';
import { removeTempDirs } from './helpers.js';

test.after.always(removeTempDirs);

test('index rebuild remakes a missing index byte for byte as the writer made it', async (t) => {
  const dir = await makeLog(800);
  const idx = path.join(dir, (await segmentNames(dir))[1]!.replace(/\.seg$/, '.idx'));
  const original = await fs.readFile(idx);
  t.true(original.length > 0);
  await fs.rm(idx);
  const warned = await seglog(['verify', dir, '--json']);
  t.is(warned.code, 2);
  t.true((JSON.parse(warned.stdout) as { errors: { code: string }[] }).errors.some((error) => error.code === 'SEGLOG_INDEX_MISSING'));
  const rebuilt = await seglog(['index', 'rebuild', dir, '--json']);
  t.is(rebuilt.code, 1, rebuilt.stderr);
  const report = JSON.parse(rebuilt.stdout) as { indexes: { segment: string; changed: boolean }[] };
  t.deepEqual(report.indexes.filter((entry) => entry.changed).map((entry) => entry.segment), [path.basename(idx).replace(/\.idx$/, '.seg')]);
  t.deepEqual(await fs.readFile(idx), original);
  t.is((await seglog(['verify', dir])).code, 0);
  const again = await seglog(['index', 'rebuild', dir]);
  t.is(again.code, 0, 'nothing to change: exit 0');
  t.regex(again.stdout, /already correct/);
});

test('a stale index (an entry naming the wrong offset) is a warning, fixed by rebuild', async (t) => {
  const dir = await makeLog(800);
  const idx = path.join(dir, (await segmentNames(dir))[0]!.replace(/\.seg$/, '.idx'));
  const good = await fs.readFile(idx);
  // Entries of another segment: well formed, but they name batches this segment does not have.
  await fs.writeFile(idx, await fs.readFile(path.join(dir, (await segmentNames(dir))[1]!.replace(/\.seg$/, '.idx'))));
  const result = await seglog(['verify', dir, '--json']);
  t.is(result.code, 2);
  t.true((JSON.parse(result.stdout) as { errors: { code: string }[] }).errors.some((error) => error.code === 'SEGLOG_INDEX_STALE'));
  t.is((await seglog(['index', 'rebuild', dir])).code, 1);
  t.deepEqual(await fs.readFile(idx), good);
});

test('index rebuild takes the writer lock: exit 8 while it is held', async (t) => {
  const dir = await makeLog(100);
  const lock = await acquireDirLock(dir);
  try {
    const result = await seglog(['index', 'rebuild', dir]);
    t.is(result.code, 8);
    t.regex(result.stderr, /SEGLOG_LOCKED/);
  } finally {
    await lock.release();
  }
});

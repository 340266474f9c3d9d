/**
 * One job: the io engine against a hostile log directory (issue 9 items 1-3 and 8): no open that
 * can write follows a planted symbolic link, a dangling or planted LOCK link is taken over like
 * any stale lock, a directory at LOCK gets an error saying so, created files and directories are
 * private by default, and lock temp files left by dead openers are cleaned.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { isSeglogError } from '@seglog/types';
import type { OpenMode } from '@seglog/types';
import { acquireDirLock, lockFileName, nodeFileIO } from '../src/index.js';
import { parseLockContent, selfLockIdentity } from '../src/lock.js';
import { tempDir } from './support.js';

const modeOf = (file: string): number => fs.statSync(file).mode & 0o777;

for (const mode of ['write', 'write-dsync', 'create', 'truncate'] as const satisfies readonly OpenMode[]) {
  test(`open '${mode}' refuses a symbolic link with ELOOP and leaves its target untouched`, async (t) => {
    const dir = tempDir(t);
    const victim = path.join(dir, 'victim');
    fs.writeFileSync(victim, 'precious');
    const link = path.join(dir, 'planted');
    fs.symlinkSync(victim, link);
    const error = await t.throwsAsync(nodeFileIO.open(link, mode));
    t.is((error as NodeJS.ErrnoException).code, mode === 'create' ? 'EEXIST' : 'ELOOP');
    t.is(fs.readFileSync(victim, 'utf8'), 'precious');
  });
}

test("open 'read' still follows a link (reading never changes the target)", async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'target'), 'abc');
  fs.symlinkSync(path.join(dir, 'target'), path.join(dir, 'link'));
  const handle = await nodeFileIO.open(path.join(dir, 'link'), 'read');
  t.is(await handle.sizeBytes(), 3);
  await handle.close();
});

test('files and directories are created private by default (0600, 0700), wider when asked', async (t) => {
  const old = process.umask(0o022);
  t.teardown(() => process.umask(old));
  const dir = tempDir(t);
  const file = path.join(dir, 'f');
  await (await nodeFileIO.open(file, 'create')).close();
  t.is(modeOf(file), 0o600);
  const wide = path.join(dir, 'g');
  await (await nodeFileIO.open(wide, 'truncate', { fileMode: 0o640 })).close();
  t.is(modeOf(wide), 0o640);
  await nodeFileIO.mkdirp(path.join(dir, 'a', 'b'));
  t.is(modeOf(path.join(dir, 'a')), 0o700);
  t.is(modeOf(path.join(dir, 'a', 'b')), 0o700);
  await nodeFileIO.mkdirp(path.join(dir, 'c'), 0o750);
  t.is(modeOf(path.join(dir, 'c')), 0o750);
  const lock = await nodeFileIO.lock(dir);
  t.is(modeOf(path.join(dir, lockFileName)), 0o600);
  await lock.release();
  const shared = await nodeFileIO.lock(dir, { fileMode: 0o644 });
  t.is(modeOf(path.join(dir, lockFileName)), 0o644);
  await shared.release();
});

test('a dangling LOCK symlink is taken over like a stale lock, and its target is never created', async (t) => {
  const dir = tempDir(t);
  const nowhere = path.join(dir, 'nowhere');
  fs.symlinkSync(nowhere, path.join(dir, lockFileName));
  const lock = await acquireDirLock(dir);
  t.false(fs.lstatSync(path.join(dir, lockFileName)).isSymbolicLink());
  t.deepEqual(parseLockContent(fs.readFileSync(path.join(dir, lockFileName))), await selfLockIdentity());
  t.false(fs.existsSync(nowhere));
  await lock.release();
  t.deepEqual(fs.readdirSync(dir), []);
});

test('a LOCK symlink to a file is taken over and the file it points to is neither read as a lock nor changed', async (t) => {
  const dir = tempDir(t);
  const victim = path.join(dir, 'victim');
  // Content that would be a live holder (this very process) if it were read through the link.
  fs.writeFileSync(victim, JSON.stringify(await selfLockIdentity()));
  const before = fs.readFileSync(victim);
  fs.symlinkSync(victim, path.join(dir, lockFileName));
  const lock = await acquireDirLock(dir);
  t.deepEqual(fs.readFileSync(victim), before);
  t.false(fs.lstatSync(path.join(dir, lockFileName)).isSymbolicLink());
  await lock.release();
  t.deepEqual(fs.readFileSync(victim), before);
});

test('a directory at LOCK is SEGLOG_LOCKED saying it is not a regular file', async (t) => {
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, lockFileName));
  const error = await t.throwsAsync(acquireDirLock(dir));
  t.true(isSeglogError(error, 'SEGLOG_LOCKED'), String(error));
  t.regex(error.message, /not a regular file/);
  // And it is not held: after removing the directory the lock is taken.
  fs.rmdirSync(path.join(dir, lockFileName));
  await (await acquireDirLock(dir)).release();
});

test('lock temp files of dead openers are removed at acquire; those of live pids stay', async (t) => {
  const dir = tempDir(t);
  // pid 2^22+1 is above Linux's pid_max ceiling, so no process has it.
  const dead = [`${lockFileName}.tmp-4194305-abcdef012345`, `${lockFileName}.stale-4194305-0123456789ab`];
  const live = `${lockFileName}.tmp-${process.pid}-aaaaaaaaaaaa`;
  for (const name of [...dead, live]) fs.writeFileSync(path.join(dir, name), '');
  const lock = await acquireDirLock(dir);
  t.deepEqual(fs.readdirSync(dir).sort(), [lockFileName, live].sort());
  await lock.release();
});

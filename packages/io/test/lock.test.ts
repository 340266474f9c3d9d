import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { isSeglogError } from '@seglog/types';
import { acquireDirLock, lockFileName, nodeFileIO } from '../src/index.js';
import { moveAsideStaleLock, parseLockContent, readProcStat, selfLockIdentity } from '../src/lock.js';
import { exited, firstLine, sourceIndexUrl, spawnModuleScript, tempDir } from './support.js';

function lockPathOf(dir: string): string {
  return path.join(dir, lockFileName);
}

function writeLock(dir: string, content: string): void {
  fs.writeFileSync(lockPathOf(dir), content);
}

async function identityOf(pid: number): Promise<{ pid: number; bootId: string | null; startTicks: number }> {
  const stat = await readProcStat(pid);
  if (stat === null) throw new Error(`no process ${pid}`);
  return { pid, bootId: (await selfLockIdentity()).bootId, startTicks: stat.startTicks };
}

/** Only LOCK (or nothing) is left: no temp or moved-aside files litter the log directory. */
function lockFilesIn(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.startsWith(lockFileName)).sort();
}

async function expectLocked(t: ExecutionContext, dir: string, holder: string): Promise<void> {
  const error = await t.throwsAsync(acquireDirLock(dir));
  t.true(isSeglogError(error, 'SEGLOG_LOCKED'), String(error));
  t.true(error.message.includes(holder), `${error.message} names ${holder}`);
}

async function expectTaken(t: ExecutionContext, dir: string): Promise<void> {
  const lock = await acquireDirLock(dir);
  t.deepEqual(parseLockContent(fs.readFileSync(lockPathOf(dir))), await selfLockIdentity());
  t.deepEqual(lockFilesIn(dir), [lockFileName]);
  await lock.release();
}

test('the lock file names this process by pid, boot id and start time', async (t) => {
  const dir = tempDir(t);
  const lock = await nodeFileIO.lock(dir);
  t.is(lock.path, dir);
  const identity = parseLockContent(fs.readFileSync(lockPathOf(dir)));
  t.deepEqual(identity, await identityOf(process.pid));
  t.is(identity?.bootId, fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  await lock.release();
});

test('a second lock in the same process is SEGLOG_LOCKED, also when both race', async (t) => {
  const dir = tempDir(t);
  const lock = await acquireDirLock(dir);
  await expectLocked(t, dir, `pid ${process.pid}`);
  await expectLocked(t, path.join(dir, '.', '..', path.basename(dir)), `pid ${process.pid}`);
  await lock.release();

  const raced = await Promise.allSettled([acquireDirLock(dir), acquireDirLock(dir), acquireDirLock(dir)]);
  const winners = raced.filter((outcome) => outcome.status === 'fulfilled');
  t.is(winners.length, 1);
  for (const outcome of raced) {
    if (outcome.status === 'rejected') t.true(isSeglogError(outcome.reason, 'SEGLOG_LOCKED'));
  }
  await (winners[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireDirLock>>>).value.release();
});

test('release then re-acquire works; release is idempotent and removes the file', async (t) => {
  const dir = tempDir(t);
  const first = await acquireDirLock(dir);
  await first.release();
  await first.release();
  t.deepEqual(lockFilesIn(dir), []);
  const second = await acquireDirLock(dir);
  t.deepEqual(lockFilesIn(dir), [lockFileName]);
  await first.release();
  t.deepEqual(lockFilesIn(dir), [lockFileName], "an old handle's release leaves the new holder alone");
  await second.release();
  t.deepEqual(lockFilesIn(dir), []);
});

test('release does not delete a lock someone else now holds', async (t) => {
  const dir = tempDir(t);
  const lock = await acquireDirLock(dir);
  const other = JSON.stringify(await identityOf(process.ppid));
  fs.writeFileSync(`${lockPathOf(dir)}.other`, other);
  fs.renameSync(`${lockPathOf(dir)}.other`, lockPathOf(dir));
  await lock.release();
  t.is(fs.readFileSync(lockPathOf(dir), 'utf8'), other);
});

test('a live holder in another process is SEGLOG_LOCKED; once it is SIGKILLed the lock is taken at once', async (t) => {
  const dir = tempDir(t);
  const child = spawnModuleScript(
    t,
    `import { acquireDirLock } from ${JSON.stringify(sourceIndexUrl)};
     await acquireDirLock(${JSON.stringify(dir)});
     console.log('locked');
     setInterval(() => {}, 1 << 30);`,
  );
  t.is(await firstLine(child), 'locked');
  t.is(parseLockContent(fs.readFileSync(lockPathOf(dir)))?.pid, child.pid);
  await expectLocked(t, dir, `pid ${child.pid}`);
  child.kill('SIGKILL');
  await exited(child);
  await expectTaken(t, dir);
});

test('the parent process is a live holder, but not with another start time', async (t) => {
  const dir = tempDir(t);
  const parent = await identityOf(process.ppid);
  writeLock(dir, JSON.stringify(parent));
  await expectLocked(t, dir, `pid ${process.ppid}`);
  writeLock(dir, JSON.stringify({ ...parent, startTicks: parent.startTicks + 1 }));
  await expectTaken(t, dir);
});

test('a lock naming this pid with a wrong start time (pid reused) is taken', async (t) => {
  const dir = tempDir(t);
  const self = await identityOf(process.pid);
  writeLock(dir, JSON.stringify({ ...self, startTicks: self.startTicks - 1 }));
  await expectTaken(t, dir);
});

test('a lock from another boot is taken even if its pid and start time match a live process', async (t) => {
  const dir = tempDir(t);
  const parent = await identityOf(process.ppid);
  writeLock(dir, JSON.stringify({ ...parent, bootId: '00000000-0000-0000-0000-000000000000' }));
  await expectTaken(t, dir);
  writeLock(dir, JSON.stringify({ ...parent, bootId: null }));
  await expectTaken(t, dir);
});

test('an empty or garbage lock file (power cut, corruption) is taken at once', async (t) => {
  const dir = tempDir(t);
  for (const content of ['', '\0\0\0\0', '{"pid":', 'null', '[]', '{"pid":0,"bootId":null,"startTicks":null}',
    '{"pid":-1,"bootId":null,"startTicks":null}', '{"pid":"1","bootId":"x","startTicks":1}']) {
    writeLock(dir, content);
    await expectTaken(t, dir);
  }
});

test('this process holding the file without the registry still counts as live (safety first)', async (t) => {
  const dir = tempDir(t);
  writeLock(dir, JSON.stringify(await selfLockIdentity()));
  await expectLocked(t, dir, `pid ${process.pid} (this process)`);
});

test('taking over a stale lock that a racer already replaced puts the racer\'s lock back', async (t) => {
  const dir = tempDir(t);
  const fresh = JSON.stringify(await identityOf(process.ppid));
  writeLock(dir, fresh);
  const judgedStale = Buffer.from('');
  const error = await t.throwsAsync(moveAsideStaleLock(dir, lockPathOf(dir), judgedStale));
  t.true(isSeglogError(error, 'SEGLOG_LOCKED'));
  t.true(error.message.includes(`pid ${process.ppid}`));
  t.is(fs.readFileSync(lockPathOf(dir), 'utf8'), fresh);
  t.deepEqual(lockFilesIn(dir), [lockFileName]);
});

test('a missing directory rejects with the Node error and leaves no claim behind', async (t) => {
  const dir = path.join(tempDir(t), 'missing');
  await t.throwsAsync(acquireDirLock(dir), { code: 'ENOENT' });
  fs.mkdirSync(dir);
  const lock = await acquireDirLock(dir);
  await lock.release();
  t.pass();
});

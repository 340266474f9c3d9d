/**
 * One job: the single-writer lock of a log directory (design invariant 7).
 *
 * Node has no flock, so the lock is a file `LOCK` naming its holder as JSON
 * `{pid, bootId, startTicks}`: the boot id from /proc/sys/kernel/random/boot_id and the process
 * start time (field 22 of /proc/<pid>/stat). The holder is live only if the content parses, it was
 * written in this boot, the pid exists and that pid's start time is the recorded one. Anything
 * else (an empty file after a power cut, garbage, a dead pid, a pid reused after a reboot) is
 * stale and is taken over at once: a supervisor restarts the service within a second and must
 * not wait for a timeout. Without /proc (not Linux) a holder whose pid exists counts as live.
 *
 * Publishing is atomic: the content is written and fsynced in a private temp file, then linked
 * to `LOCK` (link fails if `LOCK` exists). A plain open('wx') followed by a write would leave a
 * moment where `LOCK` exists but is empty, and a racing opener would take it over as stale.
 *
 * Within one process the pid is alive and equal, so the file cannot tell two opens apart: a
 * registry of held real paths does (shared through globalThis so two copies of this module agree).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, SeglogError, limits } from '@seglog/types';
import type { DirLock } from '@seglog/types';

export const lockFileName = 'LOCK';

export interface LockIdentity {
  readonly pid: number;
  /** null where /proc is missing. */
  readonly bootId: string | null;
  /** Process start time in clock ticks since boot; null where /proc is missing. */
  readonly startTicks: number | null;
}

interface Verdict {
  readonly live: boolean;
  readonly holder: string;
}

function heldLockDirs(): Set<string> {
  const key = Symbol.for('@seglog/io.heldLockDirs');
  const registry = globalThis as { [key]?: Set<string> };
  return (registry[key] ??= new Set<string>());
}

function hasCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === code;
}

function randomSuffix(): string {
  return `${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * Prefix of what `readLockFile` reports for a symbolic link at `LOCK`. seglog never creates one,
 * so no live process holds a lock through a link: it is stale like any unreadable lock, and it is
 * never read through (a dangling link used to look like a lock released mid-race, forever).
 */
const SYMLINK_CONTENT_PREFIX = 'symlink:';

/**
 * The content of the lock file at `lockPath` without following a link there, or null when
 * nothing is there. A directory or other non-file is an error saying what is wrong.
 */
async function readLockFile(lockPath: string): Promise<Buffer | null> {
  let stats;
  try {
    stats = await fs.lstat(lockPath);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return null;
    throw error;
  }
  if (stats.isSymbolicLink()) return Buffer.from(SYMLINK_CONTENT_PREFIX + (await fs.readlink(lockPath).catch(() => '')));
  if (!stats.isFile()) {
    throw new SeglogError(ErrorCodes.LOCKED, `${lockPath} is not a regular file (a directory or device is in the way of the lock file); remove it to open the log`, { file: lockPath });
  }
  let handle;
  try {
    handle = await fs.open(lockPath, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return null;
    // Replaced by a link between the lstat and the open.
    if (hasCode(error, 'ELOOP')) return Buffer.from(SYMLINK_CONTENT_PREFIX);
    throw error;
  }
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

async function readIfExists(filePath: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(filePath);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return null;
    throw error;
  }
}

/** State and start time from /proc/<pid>/stat, or null when that process does not exist. */
export async function readProcStat(pid: number): Promise<{ state: string; startTicks: number } | null> {
  const text = await readIfExists(`/proc/${pid}/stat`);
  if (text === null) return null;
  // Field 2 (the command) is in parentheses and may itself hold spaces or ')': cut at the last one.
  const asString = text.toString('latin1');
  const fields = asString.slice(asString.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
  return { state: fields[0] ?? '', startTicks: Number(fields[19]) };
}

let selfIdentityPromise: Promise<LockIdentity> | undefined;

/** What this process writes into `LOCK`. */
export function selfLockIdentity(): Promise<LockIdentity> {
  selfIdentityPromise ??= (async () => {
    const bootId = await readIfExists('/proc/sys/kernel/random/boot_id');
    const stat = await readProcStat(process.pid);
    return {
      pid: process.pid,
      bootId: bootId === null ? null : bootId.toString('latin1').trim(),
      startTicks: stat === null ? null : stat.startTicks,
    };
  })();
  return selfIdentityPromise;
}

export function parseLockContent(content: Uint8Array): LockIdentity | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(content).toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { pid, bootId, startTicks } = value as Record<string, unknown>;
  // pid 0 and negative pids would make kill() address process groups, never a holder.
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0) return null;
  if (bootId !== null && typeof bootId !== 'string') return null;
  if (startTicks !== null && !Number.isSafeInteger(startTicks)) return null;
  return { pid: pid as number, bootId, startTicks: startTicks as number | null };
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if (hasCode(error, 'ESRCH')) return false;
    if (hasCode(error, 'EPERM')) return true;
    throw error;
  }
}

function describeHolder(pid: number): string {
  return pid === process.pid ? `pid ${pid} (this process)` : `pid ${pid}`;
}

/** Decides whether the process named by a `LOCK` file's content still holds it. */
export async function judgeLockHolder(content: Uint8Array): Promise<Verdict> {
  if (Buffer.from(content).toString('latin1').startsWith(SYMLINK_CONTENT_PREFIX)) return { live: false, holder: 'nobody (a symbolic link, not a lock file)' };
  const holder = parseLockContent(content);
  if (holder === null) return { live: false, holder: 'nobody (unreadable lock file)' };
  const verdict = (live: boolean): Verdict => ({ live, holder: describeHolder(holder.pid) });
  const self = await selfLockIdentity();
  if (self.bootId === null || self.startTicks === null) return verdict(pidExists(holder.pid));
  if (holder.bootId !== self.bootId) return verdict(false);
  if (!pidExists(holder.pid)) return verdict(false);
  const stat = await readProcStat(holder.pid);
  if (stat === null) return verdict(false);
  // A zombie (killed, not yet reaped by its parent) can never write again.
  if (stat.state === 'Z' || stat.state === 'X') return verdict(false);
  return verdict(stat.startTicks === holder.startTicks);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates `LOCK` holding `content`, durable in the file; false if `LOCK` already exists. */
async function publishLockFile(lockPath: string, content: Uint8Array, fileMode: number): Promise<boolean> {
  const tempPath = `${lockPath}.tmp-${randomSuffix()}`;
  try {
    // 'wx' is O_CREAT|O_EXCL: it fails on any existing name, a link included, never following it.
    const handle = await fs.open(tempPath, 'wx', fileMode);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.link(tempPath, lockPath);
    return true;
  } catch (error) {
    if (hasCode(error, 'EEXIST')) return false;
    throw error;
  } finally {
    await fs.rm(tempPath, { force: true });
  }
}

/**
 * Clears a `LOCK` judged stale. The rename is atomic, but between our read and our rename a
 * racing opener may have cleared the same stale file and published its own: the moved content
 * tells. If it is not what we judged, we put that fresh lock back (link fails if yet another
 * opener has published meanwhile) and report LOCKED instead of taking it.
 */
export async function moveAsideStaleLock(dir: string, lockPath: string, staleContent: Uint8Array): Promise<void> {
  const movedPath = `${lockPath}.stale-${randomSuffix()}`;
  try {
    await fs.rename(lockPath, movedPath);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return;
    throw error;
  }
  const moved = (await readLockFile(movedPath)) ?? Buffer.alloc(0);
  if (moved.equals(staleContent)) {
    await fs.unlink(movedPath);
    return;
  }
  try {
    await fs.link(movedPath, lockPath);
  } catch (error) {
    if (!hasCode(error, 'EEXIST')) throw error;
  }
  await fs.unlink(movedPath);
  const holder = parseLockContent(moved);
  throw SeglogError.locked(dir, holder === null ? 'a racing opener' : describeHolder(holder.pid));
}

async function unlinkIfContent(lockPath: string, content: Uint8Array): Promise<void> {
  const existing = await readLockFile(lockPath);
  if (existing === null || !existing.equals(content)) return;
  await fs.rm(lockPath, { force: true });
}

async function takeLockFile(dir: string, realDir: string, content: Uint8Array, fileMode: number): Promise<void> {
  const lockPath = path.join(realDir, lockFileName);
  for (let attempt = 0; attempt < limits.lockAttemptsMax; attempt++) {
    if (await publishLockFile(lockPath, content, fileMode)) {
      try {
        await syncDirectory(realDir);
      } catch (error) {
        // The fsync error is the one to report. If taking our lock file back fails too, what is
        // left names this process: stale once it exits, so the next opener takes it over.
        await unlinkIfContent(lockPath, content).catch(() => undefined);
        throw error;
      }
      return;
    }
    const existing = await readLockFile(lockPath);
    if (existing === null) continue; // released between our link and our read
    const verdict = await judgeLockHolder(existing);
    if (verdict.live) throw SeglogError.locked(dir, verdict.holder);
    await moveAsideStaleLock(dir, lockPath, existing);
  }
  throw SeglogError.locked(dir, `racing openers (gave up after ${limits.lockAttemptsMax} attempts)`);
}

class HeldDirLock implements DirLock {
  readonly path: string;
  readonly #realDir: string;
  readonly #content: Uint8Array;
  #released: Promise<void> | undefined;

  constructor(dir: string, realDir: string, content: Uint8Array) {
    this.path = dir;
    this.#realDir = realDir;
    this.#content = content;
  }

  /** Idempotent. Never deletes a `LOCK` that another opener has taken over meanwhile. */
  release(): Promise<void> {
    this.#released ??= this.#release();
    return this.#released;
  }

  async #release(): Promise<void> {
    try {
      await unlinkIfContent(path.join(this.#realDir, lockFileName), this.#content);
    } finally {
      // Only after the unlink: until then an open in this process would find our live LOCK anyway.
      heldLockDirs().delete(this.#realDir);
    }
  }
}

/** `LOCK.tmp-<pid>-<hex>` and `LOCK.stale-<pid>-<hex>`: what an opener killed mid-acquire leaves. */
const LITTER_PATTERN = /^LOCK\.(?:tmp|stale)-(\d+)-[0-9a-f]+$/;

/**
 * Deletes lock temp files left by openers that died between creating and removing them. A file
 * of a live pid may belong to an opener racing us right now, so it stays (it removes its own).
 */
export async function removeLockLitter(realDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await fs.readdir(realDir)) {
    const match = LITTER_PATTERN.exec(name);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || (pid > 0 && pidExists(pid))) continue;
    await fs.rm(path.join(realDir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** Takes the single-writer lock of `dir` (which must exist), or rejects with SEGLOG_LOCKED. */
export async function acquireDirLock(dir: string, fileMode: number = limits.fileModeDefault): Promise<DirLock> {
  const realDir = await fs.realpath(dir);
  const held = heldLockDirs();
  // Check and claim with no await in between, so concurrent opens in this process cannot both pass.
  if (held.has(realDir)) throw SeglogError.locked(dir, describeHolder(process.pid));
  held.add(realDir);
  try {
    const content = Buffer.from(JSON.stringify(await selfLockIdentity()));
    await takeLockFile(dir, realDir, content, fileMode);
    await removeLockLitter(realDir);
    return new HeldDirLock(dir, realDir, content);
  } catch (error) {
    held.delete(realDir);
    throw error;
  }
}

/**
 * One job: retention holds, usable from any process: `setRetentionHold`, `releaseRetentionHold`,
 * `listRetentionHolds`. A hold names an offset below which its holder no longer needs records;
 * retention and `truncateBefore` never drop a record at or above the lowest hold unless forced.
 *
 * Each hold is one file, `<dir>/holds/<name>.hold` (format: @seglog/format hold-record.ts), made
 * durable as a whole: temp file, fdatasync, rename, directory fsync. No lock is taken, so a
 * process that only holds (a shipper, a consumer) never contends with the writer.
 *
 * The race with a writer that drops at the same moment is closed by HEAD (head-checkpoint.ts):
 * the writer first records its intent (`pendingTruncation` kind 2, flushed), then reads the holds,
 * then commits the low-water mark (clearing the intent). A setter writes its hold first and then
 * reads HEAD. If the setter sees no intent above its offset, any drop it could race with records
 * its intent after the hold was durable and so reads it; if it sees one, it waits until the writer
 * commits and then checks the committed mark. An intent left by a writer that died stays until the
 * next open, which clears it without dropping: after `holdIntentWaitMs` the setter trusts that.
 */
import { basename, join } from 'node:path';
import { limits, SeglogError } from '@seglog/types';
import type { FileIO } from '@seglog/types';
import {
  HEAD_FILE_BYTES,
  HEAD_FILE_NAME,
  HOLDS_DIR_NAME,
  HOLD_RECORD_BYTES,
  decodeHead,
  decodeHoldRecord,
  encodeHoldRecord,
  holdFileName,
  isHoldName,
  parseHoldFileName,
  readFully,
} from '@seglog/format';
import type { HeadState, HoldRecord } from '@seglog/format';
import { nodeFileIO } from '@seglog/io';
import { closeAbandoned, closeFlushed, wrapIo } from './io-errors.js';

/** One hold as stored: its holder's name, the offset it protects from, and when it was set. */
export type RetentionHold = HoldRecord;

export interface HoldTarget {
  /** The log directory. */
  readonly dir: string;
  /** The file engine; the real file system by default. */
  readonly io?: FileIO;
}

export interface SetHoldOptions extends HoldTarget {
  /** Who holds (letters, digits, '.', '_', '-'; at most 64; not starting with '.'). One hold per name. */
  readonly name: string;
  /** Keep every record at or above this offset. Setting a name again moves its hold (up or down). */
  readonly offset: number;
}

export interface ReleaseHoldOptions extends HoldTarget {
  readonly name: string;
}

function checkTarget(options: unknown): { io: FileIO; dir: string } {
  if (typeof options !== 'object' || options === null) throw SeglogError.invalidOption('hold options', 'must be an object { dir, ... }');
  const { dir, io } = options as HoldTarget;
  if (typeof dir !== 'string' || dir.length === 0) throw SeglogError.invalidOption('dir', `must be a non-empty string, got ${typeof dir}`);
  return { io: io ?? nodeFileIO, dir };
}

function checkName(name: unknown): string {
  if (!isHoldName(name)) {
    const got = typeof name === 'string' ? JSON.stringify(name) : typeof name;
    throw SeglogError.invalidOption('hold name', `must be 1-64 of A-Z a-z 0-9 . _ - (not starting with '.'), got ${got}`);
  }
  return name;
}

function holdsDir(dir: string): string {
  return join(dir, HOLDS_DIR_NAME);
}

/**
 * Sets (or moves) the hold `name` at `offset`, durably. Rejects SEGLOG_BEHIND_RETENTION (and
 * removes the hold) when `offset` is already below the log's low-water mark: those records are gone.
 */
export async function setRetentionHold(options: SetHoldOptions): Promise<RetentionHold> {
  const { io, dir } = checkTarget(options);
  const name = checkName(options.name);
  const offset = options.offset;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw SeglogError.invalidOption('hold offset', `must be a non-negative safe integer, got ${String(offset)}`);
  }
  const stat = await wrapIo('stat', dir, () => io.stat(dir));
  if (stat === null || !stat.isDirectory) throw SeglogError.invalidOption('dir', `${dir} is not a log directory`);
  const hold: RetentionHold = { name, offset, setAtMs: Date.now() };
  await writeHoldFile(io, dir, hold);
  const mark = await committedMark(io, dir, offset);
  if (offset < mark) {
    await releaseRetentionHold({ dir, name, io });
    throw SeglogError.behindRetention(offset, mark);
  }
  return hold;
}

/** Removes the hold `name` durably; resolves false when there was none. */
export async function releaseRetentionHold(options: ReleaseHoldOptions): Promise<boolean> {
  const { io, dir } = checkTarget(options);
  const name = checkName(options.name);
  const path = join(holdsDir(dir), holdFileName(name));
  if ((await wrapIo('stat', path, () => io.stat(path))) === null) return false;
  await wrapIo('unlink', path, () => io.unlink(path));
  await wrapIo('fsync', holdsDir(dir), () => io.syncDir(holdsDir(dir)));
  return true;
}

/**
 * Every hold in `dir`, lowest offset first (ties by name). A hold file that fails its checksum is
 * SEGLOG_CORRUPT naming it: it may have protected records, so nothing may be dropped past it
 * until someone looks (release it, or set it again).
 */
export async function listRetentionHolds(options: HoldTarget): Promise<RetentionHold[]> {
  const { io, dir } = checkTarget(options);
  const folder = holdsDir(dir);
  const stat = await wrapIo('stat', folder, () => io.stat(folder));
  if (stat === null) return [];
  const names = await wrapIo('readdir', folder, () => io.readdir(folder));
  const holds: RetentionHold[] = [];
  for (const fileName of names.sort()) {
    if (parseHoldFileName(fileName) === null) continue; // a temp file of a set in progress, or not ours
    const hold = await readHoldFile(io, join(folder, fileName));
    if (hold !== null) holds.push(hold);
  }
  return holds.sort((a, b) => a.offset - b.offset || (a.name < b.name ? -1 : 1));
}

async function readHoldFile(io: FileIO, path: string): Promise<RetentionHold | null> {
  let handle;
  try {
    handle = await io.open(path, 'read');
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 'ENOENT') return null; // released meanwhile
    throw SeglogError.io('open', path, error);
  }
  try {
    const bytes = new Uint8Array(HOLD_RECORD_BYTES + 1);
    const read = await wrapIo('read', path, () => readFully(handle, bytes, 0));
    const hold = decodeHoldRecord(bytes.subarray(0, read), path);
    if (hold === null || holdFileName(hold.name) !== basename(path)) {
      throw SeglogError.corrupt(`${path} is not a valid retention hold: release it or set it again`, { file: path, positionBytes: 0 });
    }
    return hold;
  } finally {
    await closeFlushed(handle); // read only
  }
}

/** Temp file (unique to this process), fdatasync, rename, directory fsync. */
async function writeHoldFile(io: FileIO, dir: string, hold: RetentionHold): Promise<void> {
  const folder = holdsDir(dir);
  if ((await wrapIo('stat', folder, () => io.stat(folder))) === null) {
    await wrapIo('mkdir', folder, () => io.mkdirp(folder, limits.dirModeDefault));
    await wrapIo('fsync', dir, () => io.syncDir(dir));
  }
  const path = join(folder, holdFileName(hold.name));
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`;
  const handle = await wrapIo('open', tmp, () => io.open(tmp, 'truncate', { fileMode: limits.fileModeDefault }));
  try {
    await wrapIo('writev', tmp, () => handle.writev([encodeHoldRecord(hold)], 0));
    await wrapIo('fdatasync', tmp, () => handle.datasync());
  } catch (error) {
    await closeAbandoned(handle);
    await io.unlink(tmp).catch(() => undefined);
    throw error;
  }
  await closeFlushed(handle);
  await wrapIo('rename', tmp, () => io.rename(tmp, path));
  await wrapIo('fsync', folder, () => io.syncDir(folder));
}

/**
 * The low-water mark a hold at `offset` must be checked against: HEAD's committed `firstOffset`,
 * once no drop intent above `offset` is pending (see the file comment). 0 with no HEAD.
 */
async function committedMark(io: FileIO, dir: string, offset: number): Promise<number> {
  const started = Date.now();
  for (let delayMs = 1; ; delayMs = Math.min(delayMs * 2, 100)) {
    const head = await readHeadState(io, dir);
    if (head === null) return 0;
    const pending = head.pendingTruncation;
    const intentAbove = pending !== null && pending.kind === 2 && pending.offset > offset;
    if (!intentAbove || Date.now() - started >= limits.holdIntentWaitMs) return head.firstOffset;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

/** HEAD's newest valid slot, read without touching anything (any process may call this). */
async function readHeadState(io: FileIO, dir: string): Promise<HeadState | null> {
  const path = join(dir, HEAD_FILE_NAME);
  for (let attempt = 1; attempt <= 5; attempt++) {
    let handle;
    try {
      handle = await io.open(path, 'read');
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === 'ENOENT') return null;
      throw SeglogError.io('open', path, error);
    }
    try {
      const bytes = new Uint8Array(HEAD_FILE_BYTES);
      const read = await wrapIo('read', path, () => readFully(handle, bytes, 0));
      const state = decodeHead(bytes.subarray(0, read), path);
      if (state !== null) return state;
    } finally {
      await closeFlushed(handle);
    }
    await new Promise((resolve) => setTimeout(resolve, attempt));
  }
  throw SeglogError.corrupt(`${path} has no valid slot: the low-water mark cannot be checked`, { file: path, positionBytes: 0 });
}

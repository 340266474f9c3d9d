/**
 * One job: what a log directory holds, read without a lock: its segment files in offset order,
 * its HEAD checkpoint, and who holds its writer lock. Nothing here writes.
 */
import path from 'node:path';
import { HEAD_FILE_BYTES, HEAD_FILE_NAME, decodeHead, indexFileName, parseSegmentFileName } from '@seglog/format';
import type { HeadState } from '@seglog/format';
import { judgeLockHolder, lockFileName, parseLockContent } from '@seglog/io';
import { CliError } from './cli-error.js';
import { io, readWholeFile } from './durable-files.js';

export interface SegmentFile {
  readonly baseOffset: number;
  readonly name: string;
  readonly path: string;
  readonly indexPath: string;
  readonly sizeBytes: number;
}

export interface LockState {
  readonly held: boolean;
  readonly pid: number | null;
  readonly alive: boolean;
  readonly holder: string;
}

export interface LogDir {
  readonly dir: string;
  readonly segments: SegmentFile[];
  /** The newest valid HEAD slot, or null when HEAD is missing or neither slot is valid. */
  readonly head: HeadState | null;
  readonly headPresent: boolean;
  readonly lock: LockState;
}

/** Reads `dir`; SEGLOG_NOT_A_LOG when it is not a directory or holds neither segments nor HEAD. */
export async function readLogDir(dir: string): Promise<LogDir> {
  let names: string[];
  try {
    names = await io.readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw CliError.notALog(dir, code === 'ENOENT' ? 'it does not exist' : 'it is not a directory');
    throw error;
  }
  const segments = await listSegmentFiles(dir, names);
  const headPresent = names.includes(HEAD_FILE_NAME);
  if (segments.length === 0 && !headPresent) throw CliError.notALog(dir, 'it holds no segment file and no HEAD');
  return { dir, segments, head: headPresent ? await readHead(dir) : null, headPresent, lock: await readLock(dir) };
}

async function listSegmentFiles(dir: string, names: readonly string[]): Promise<SegmentFile[]> {
  const segments: SegmentFile[] = [];
  for (const name of names) {
    const baseOffset = parseSegmentFileName(name);
    if (baseOffset === null) continue;
    const filePath = path.join(dir, name);
    const stat = await io.stat(filePath);
    if (stat === null) continue; // deleted since the listing
    const indexPath = path.join(dir, indexFileName(baseOffset));
    segments.push({ baseOffset, name, path: filePath, indexPath, sizeBytes: stat.sizeBytes });
  }
  return segments.sort((a, b) => a.baseOffset - b.baseOffset);
}

/** HEAD's newest valid slot. A torn read fails its slot's CRC, so a null is read once more. */
export async function readHead(dir: string): Promise<HeadState | null> {
  const file = path.join(dir, HEAD_FILE_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    const bytes = await readWholeFile(file);
    if (bytes === null) return null;
    const head = decodeHead(bytes.subarray(0, HEAD_FILE_BYTES), file);
    if (head !== null) return head;
  }
  return null;
}

async function readLock(dir: string): Promise<LockState> {
  const content = await readWholeFile(path.join(dir, lockFileName));
  if (content === null) return { held: false, pid: null, alive: false, holder: 'nobody' };
  const verdict = await judgeLockHolder(content);
  return { held: true, pid: parseLockContent(content)?.pid ?? null, alive: verdict.live, holder: verdict.holder };
}

/**
 * One job: the file operations the command needs beyond what one FileIO call does, all through
 * `@seglog/io` (only it touches node:fs): read a whole small file, write a new file and fsync it,
 * replace a file through a temp file and a rename. Plus the crash points the kill -9 tests use.
 */
import path from 'node:path';
import { readFully } from '@seglog/format';
import { nodeFileIO } from '@seglog/io';

export const io = nodeFileIO;

/** The bytes of a small file (an index, HEAD, LOCK), or null when nothing is there. */
export async function readWholeFile(file: string): Promise<Uint8Array | null> {
  const stat = await io.stat(file);
  if (stat === null) return null;
  const handle = await io.open(file, 'read');
  try {
    const bytes = new Uint8Array(await handle.sizeBytes());
    return bytes.subarray(0, await readFully(handle, bytes, 0));
  } finally {
    await handle.close();
  }
}

/** Creates `file` (it must not exist) holding `bytes`, fsynced. */
export async function writeFileDurably(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await io.open(file, 'create', { fileMode: 0o600 });
  try {
    if (bytes.length > 0) await handle.writev([bytes], 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function syncDirectory(dir: string): Promise<void> {
  return io.syncDir(dir);
}

/** Replaces `file` with `bytes` atomically: temp file, fsync, rename, fsync of the directory. */
export async function replaceFileDurably(file: string, bytes: Uint8Array): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  if ((await io.stat(temp)) !== null) await io.unlink(temp);
  await writeFileDurably(temp, bytes);
  await io.rename(temp, file);
  await io.syncDir(path.dirname(file));
}

/**
 * Test hook: when SEGLOG_CLI_CRASH_AT names this step, the process kills itself with SIGKILL,
 * as a power cut or kill -9 would stop it there. The tests of `repair --apply` use it to prove
 * that the log plus its backup hold every acknowledged record after a stop at any step.
 */
export function crashPoint(step: string): void {
  if (process.env.SEGLOG_CLI_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}

/**
 * One job: the few durable file operations the changing commands need: write a new file and
 * fsync it, fsync a directory, replace a file through a temp file and a rename. Plus the crash
 * points the kill -9 tests use.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export async function writeFileDurably(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await fs.open(file, 'wx', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `file` with `bytes` atomically: temp file, fsync, rename, fsync of the directory. */
export async function replaceFileDurably(file: string, bytes: Uint8Array): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  await fs.rm(temp, { force: true });
  await writeFileDurably(temp, bytes);
  await fs.rename(temp, file);
  await syncDirectory(path.dirname(file));
}

/**
 * Test hook: when SEGLOG_CLI_CRASH_AT names this step, the process kills itself with SIGKILL,
 * as a power cut or kill -9 would stop it there. The tests of `repair --apply` use it to prove
 * that the log plus its backup hold every acknowledged record after a stop at any step.
 */
export function crashPoint(step: string): void {
  if (process.env.SEGLOG_CLI_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}

/**
 * One job: give each benchmark run a fresh directory under the OS temp dir and remove it after.
 *
 * Every engine run gets its own directory, so no run inherits another's files, preallocated
 * segments or page-cache state for those files.
 */
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirPrefix = 'seglog-bench-';

/** The parent of every run directory: `os.tmpdir()`, which honours TMPDIR. */
export function benchTempRoot(): string {
  return tmpdir();
}

/** Creates a fresh directory, runs `body` in it and removes the directory even if `body` throws. */
export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(benchTempRoot(), dirPrefix));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Whether `dir` is on the same file system as /tmp. The README promises numbers for the disk behind
 * /tmp; a TMPDIR on tmpfs would make every fdatasync free and the comparison meaningless.
 */
export function sameFileSystemAsTmp(dir: string): boolean {
  try {
    return statSync(dir).dev === statSync('/tmp').dev;
  } catch {
    return false;
  }
}

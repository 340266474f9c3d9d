/**
 * One job: free space on the file system holding a directory, for people (`seglog stat`). Not
 * part of FileIO: nothing in the store decides anything on it.
 */
import fs from 'node:fs/promises';

/** Bytes an unprivileged process can still write on the file system of `dir`. */
export async function freeDiskBytes(dir: string): Promise<number> {
  const stats = await fs.statfs(dir);
  return Number(stats.bavail) * Number(stats.bsize);
}

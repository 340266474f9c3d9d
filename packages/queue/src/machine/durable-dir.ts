/**
 * One job: create a directory so that it survives a power cut, however many levels are new. A new
 * directory's name is durable only once its parent is fsync'd, so every level created here gets
 * its parent synced (the store had to learn this too: a log directory made several levels deep
 * vanished with its acknowledged records).
 */
import type { FileIO } from '@seglog/types';

export async function ensureDurableDir(io: FileIO, dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = trimSlashes(dir); at !== '/' && at !== '' && (await io.stat(at)) === null; at = parentOf(at)) missing.push(at);
  if (missing.length === 0) return;
  await io.mkdirp(dir);
  // Deepest first is fine: each sync makes one level's entry durable, whatever order they come in.
  for (const created of missing) await io.syncDir(parentOf(created));
}

/** The directory holding `dir`. */
export function parentOf(dir: string): string {
  const trimmed = trimSlashes(dir);
  const cut = trimmed.lastIndexOf('/');
  return cut <= 0 ? '/' : trimmed.slice(0, cut);
}

function trimSlashes(dir: string): string {
  return dir.length > 1 ? dir.replace(/\/+$/, '') : dir;
}

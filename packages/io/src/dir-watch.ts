/**
 * One job: watch a directory for changes with node:fs (inotify on Linux), as the hint FileIO's
 * `watch` promises. Events fire when bytes reach the page cache, before any flush, and can be
 * coalesced or lost, so they only say "look again"; callers re-read what they rely on and keep a
 * poll. A watch that cannot start (inotify limits, a file system without events) returns null, and
 * one that fails later closes itself: the caller's poll covers both.
 */
import fs from 'node:fs';
import type { DirWatch } from '@seglog/types';

export function watchDir(dir: string, onChange: () => void): DirWatch | null {
  let watcher: fs.FSWatcher;
  try {
    watcher = fs.watch(dir, { persistent: true }, () => onChange());
  } catch {
    return null; // ENOSPC (inotify watches exhausted), ENOENT, EPERM: the caller polls instead
  }
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    watcher.close();
  };
  // An error (the directory removed, the event queue overflowed) ends the watch; the poll goes on.
  watcher.on('error', close);
  return { close };
}

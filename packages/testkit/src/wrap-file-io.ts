/**
 * One job: pass-through wrappers of a FileIO and of its handles, for the tests and measuring devices
 * that watch or change a few calls (count HEAD writes, time flushes, make segment writes instant)
 * and must pass everything else through unchanged: every argument (the create modes included) and
 * the optional methods (watch, notifyListen, notifySubscribe; a handle's readSync, isLinkedSync) when
 * the inner FileIO or handle has them.
 * Written once here so that a method added to FileIO or FileHandle is passed through everywhere.
 */
import type { FileHandle, FileIO, OpenMode } from '@seglog/types';

/**
 * The calls of a handle a wrapper may replace (its path stays the inner handle's). A wrapper that
 * watches `read` replaces `readSync` too, or the synchronous reads pass it by.
 */
export type FileHandleOverrides = Partial<Omit<FileHandle, 'path'>>;

/** `inner`, with the calls in `overrides` replaced. */
export function wrapFileHandle(inner: FileHandle, overrides: FileHandleOverrides): FileHandle {
  const handle: FileHandle = {
    path: inner.path,
    writev: (buffers, position) => inner.writev(buffers, position),
    read: (buffer, position) => inner.read(buffer, position),
    datasync: () => inner.datasync(),
    sync: () => inner.sync(),
    truncate: (length) => inner.truncate(length),
    sizeBytes: () => inner.sizeBytes(),
    close: () => inner.close(),
  };
  if (inner.readSync !== undefined) handle.readSync = inner.readSync.bind(inner);
  if (inner.isLinkedSync !== undefined) handle.isLinkedSync = inner.isLinkedSync.bind(inner);
  return Object.assign(handle, overrides);
}

export interface FileIOWrapping {
  /** Called with each handle just opened: return it as it is to pass it through, or a wrapper. */
  readonly wrapHandle?: (handle: FileHandle, path: string, mode: OpenMode) => FileHandle | Promise<FileHandle>;
  /** Replaces calls of the FileIO itself (rename, syncDir, ...); `open` is always wrapHandle's. */
  readonly overrides?: Partial<Omit<FileIO, 'open'>>;
}

/** `inner`, with its opened handles passed through `wrapHandle` and the calls in `overrides` replaced. */
export function wrapFileIO(inner: FileIO, wrapping: FileIOWrapping): FileIO {
  const { wrapHandle } = wrapping;
  const io: FileIO = {
    open: async (path, mode, modes) => {
      const handle = await inner.open(path, mode, modes);
      return wrapHandle === undefined ? handle : wrapHandle(handle, path, mode);
    },
    mkdirp: (dir, dirMode) => inner.mkdirp(dir, dirMode),
    readdir: (dir) => inner.readdir(dir),
    stat: (path) => inner.stat(path),
    rename: (source, target) => inner.rename(source, target),
    unlink: (path) => inner.unlink(path),
    syncDir: (dir) => inner.syncDir(dir),
    lock: (dir, modes) => inner.lock(dir, modes),
  };
  if (inner.watch !== undefined) io.watch = inner.watch.bind(inner);
  if (inner.notifyListen !== undefined) io.notifyListen = inner.notifyListen.bind(inner);
  if (inner.notifySubscribe !== undefined) io.notifySubscribe = inner.notifySubscribe.bind(inner);
  return Object.assign(io, wrapping.overrides);
}

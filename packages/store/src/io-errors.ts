/**
 * One job: what the store does with a failed file operation. A failure that matters becomes
 * SEGLOG_IO naming the operation and file, with the original error as `cause` (SeglogErrors pass
 * through unchanged). The two close helpers name the only cases where a failure is dropped, and
 * why that is safe.
 */
import { ErrorCodes, SeglogError } from '@seglog/types';

/**
 * ELOOP from an open that refuses links (O_NOFOLLOW): a symbolic link was planted where seglog
 * keeps a file. Said plainly, since the errno text ("too many symbolic links") misleads.
 */
function plantedLink(operation: string, file: string, cause: unknown): SeglogError | null {
  if ((cause as NodeJS.ErrnoException | null)?.code !== 'ELOOP') return null;
  return new SeglogError(
    ErrorCodes.IO,
    `${operation} refused ${file}: it is a symbolic link, and seglog never writes through one (remove the link; a log's files are its own)`,
    { cause, file },
  );
}
import type { FileHandle } from '@seglog/types';

export async function wrapIo<T>(operation: string, file: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw ioFailure(operation, file, error);
  }
}

/** What `wrapIo` makes of a failure, for a caller that chains the promise itself (the batch write path). */
export function ioFailure(operation: string, file: string, error: unknown): SeglogError {
  if (error instanceof SeglogError) return error;
  return plantedLink(operation, file, error) ?? SeglogError.io(operation, file, error);
}

/**
 * Closes a handle on the way out of a failed operation. The error that made us give up is the one
 * the caller must see; a second error from close would only hide it, and the handle is never used
 * again either way.
 */
export async function closeAbandoned(handle: FileHandle): Promise<void> {
  try {
    await handle.close();
  } catch {
    // Dropped on purpose: see the doc comment.
  }
}

/**
 * Closes a handle whose writes are all durable already (flushed by fdatasync or written through
 * O_DSYNC) or are hints that recovery rebuilds (the sparse index). close() on a local file cannot
 * lose what was flushed, so its error says nothing about the log's data and must not fail an append
 * or a close that already succeeded. fsyncgate is not in play: no flush is retried after close.
 */
export async function closeFlushed(handle: FileHandle): Promise<void> {
  try {
    await handle.close();
  } catch {
    // Dropped on purpose: see the doc comment.
  }
}

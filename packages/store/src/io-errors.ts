/**
 * One job: turn a failed file operation into SEGLOG_IO naming the operation and file, keeping the
 * original error as `cause`. SeglogErrors pass through unchanged.
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

export async function wrapIo<T>(operation: string, file: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof SeglogError) throw error;
    throw plantedLink(operation, file, error) ?? SeglogError.io(operation, file, error);
  }
}

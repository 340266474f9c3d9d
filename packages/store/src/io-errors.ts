/**
 * One job: turn a failed file operation into SEGLOG_IO naming the operation and file, keeping the
 * original error as `cause`. SeglogErrors pass through unchanged.
 */
import { SeglogError } from '@seglog/types';

export async function wrapIo<T>(operation: string, file: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof SeglogError) throw error;
    throw SeglogError.io(operation, file, error);
  }
}

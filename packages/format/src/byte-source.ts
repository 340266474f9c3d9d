/**
 * One job: reading bytes at a position from a file, for every reader of segments. Format stays
 * free of node:fs: the source is anything with `read(buffer, position)`, such as the `FileHandle`
 * of `@seglog/types` (node:fs in `@seglog/io`, the simulated disk in `@seglog/testkit`).
 */
import type { FileHandle } from '@seglog/types';

/** The one call a scan needs from a file: up to `buffer.length` bytes at a position, 0 at EOF. */
export type ByteSource = Pick<FileHandle, 'read'>;

/**
 * Fills `target` from `positionBytes`, looping over short reads; resolves with the count read,
 * below `target.length` only at end of file.
 */
export async function readFully(source: ByteSource, target: Uint8Array, positionBytes: number): Promise<number> {
  let done = 0;
  while (done < target.length) {
    const read = await source.read(target.subarray(done), positionBytes + done);
    if (read === 0) break;
    done += read;
  }
  return done;
}

/**
 * Up to `lengthBytes` at `positionBytes` with one read, in a fresh buffer. On a regular file a
 * short read means end of file, and looping to prove it would cost a second read at the tail of
 * every live segment. A short read that is not EOF can only make a batch look incomplete, and a
 * reader reads a break again before it calls it damage.
 */
export async function readAt(source: ByteSource, positionBytes: number, lengthBytes: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(lengthBytes);
  const count = await source.read(buffer, positionBytes);
  return buffer.subarray(0, count);
}

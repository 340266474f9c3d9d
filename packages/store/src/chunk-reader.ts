/**
 * One job: sequential reads of a segment through one reusable window, so recovery scans a file
 * with a few large reads instead of one read per batch.
 */
import type { FileHandle } from '@seglog/types';

export class ChunkReader {
  readonly #handle: FileHandle;
  readonly #window: Uint8Array;
  #windowStart = 0;
  #windowLength = 0;
  readonly sizeBytes: number;

  constructor(handle: FileHandle, sizeBytes: number, windowBytes: number) {
    this.#handle = handle;
    this.sizeBytes = sizeBytes;
    // No bigger than the file: recovery scans many small segments, each with a fresh reader.
    this.#window = new Uint8Array(Math.min(windowBytes, sizeBytes));
  }

  /**
   * Up to `length` bytes at `position` (fewer at end of file). The view is valid until the next
   * call; copy what must outlive it.
   */
  async bytes(position: number, length: number): Promise<Uint8Array> {
    const end = Math.min(position + length, this.sizeBytes);
    if (end <= position) return new Uint8Array(0);
    if (position >= this.#windowStart && end <= this.#windowStart + this.#windowLength) {
      return this.#window.subarray(position - this.#windowStart, end - this.#windowStart);
    }
    if (end - position > this.#window.length) {
      const big = new Uint8Array(end - position);
      const read = await readFully(this.#handle, big, position);
      return big.subarray(0, read);
    }
    this.#windowStart = position;
    this.#windowLength = await readFully(this.#handle, this.#window.subarray(0, Math.min(this.#window.length, this.sizeBytes - position)), position);
    return this.#window.subarray(0, Math.min(this.#windowLength, end - position));
  }
}

export async function readFully(handle: FileHandle, target: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < target.length) {
    const read = await handle.read(target.subarray(done), position + done);
    if (read === 0) break;
    done += read;
  }
  return done;
}

/**
 * One job: read a file front to back through one reusable window, so a scan makes a few large
 * sequential reads instead of one read per batch.
 *
 * A view returned by `bytes` is valid until the next call; a scan keeps only numbers and headers
 * from it. Reading the next window while this one is checked would overlap the pread (in libuv's
 * pool) with the CRC (on the event loop); it is not done because it showed no gain that stood out
 * from the noise on the shared 2-vCPU Xeon test VM (2026-12-06, load average 18-25). It is the
 * first thing to measure again on a quiet machine for `seglog verify`.
 */
import { readFully } from './byte-source.js';
import type { ByteSource } from './byte-source.js';

export class ScanWindow {
  readonly #source: ByteSource;
  readonly #sizeBytes: number;
  readonly #buffer: Uint8Array;
  #startBytes = 0;
  #lengthBytes = 0;

  constructor(source: ByteSource, sizeBytes: number, windowBytes: number) {
    this.#source = source;
    this.#sizeBytes = sizeBytes;
    // No bigger than the file: recovery scans many small segments, each with a fresh window.
    this.#buffer = new Uint8Array(Math.max(0, Math.min(windowBytes, sizeBytes)));
  }

  /** Up to `lengthBytes` at `position` (fewer at end of file). */
  async bytes(position: number, lengthBytes: number): Promise<Uint8Array> {
    const end = Math.min(position + lengthBytes, this.#sizeBytes);
    if (end <= position) return new Uint8Array(0);
    if (position >= this.#startBytes && end <= this.#startBytes + this.#lengthBytes) {
      return this.#buffer.subarray(position - this.#startBytes, end - this.#startBytes);
    }
    if (end - position > this.#buffer.length) {
      // A batch bigger than the window: read it whole, once, outside the window.
      const big = new Uint8Array(end - position);
      return big.subarray(0, await readFully(this.#source, big, position));
    }
    this.#startBytes = position;
    const fill = this.#buffer.subarray(0, Math.min(this.#buffer.length, this.#sizeBytes - position));
    this.#lengthBytes = await readFully(this.#source, fill, position);
    return this.#buffer.subarray(0, Math.min(this.#lengthBytes, end - position));
  }
}

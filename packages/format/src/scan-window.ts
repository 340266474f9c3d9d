/**
 * One job: read a file front to back through one reusable window, so a scan makes a few large
 * sequential reads instead of one read per batch, and reads each byte of the file once.
 *
 * A view returned by `bytes` is valid until the next call; a scan keeps only numbers and headers
 * from it. Invariants:
 * - A request that is not in the window refills it from the request's position: a window for a
 *   small request (a header), the request plus half a window for a big one (a batch), so the next
 *   header is already there. Bytes of the request the window already holds are moved to the front
 *   of the buffer (a memmove, cheaper than reading them again), never read twice.
 * - The buffer grows to the largest refill (a batch bigger than the window, plus half a window),
 *   never beyond the file, and is reused: a scan over 4 MiB batches allocates once, not per batch.
 *
 * Why: `seglog verify` over 2 GB of 4 MiB batches read 2.53 GB (a window read for each header,
 * then the whole batch again into a fresh buffer) and spent 1.6 s of CPU; reading each byte once
 * into one buffer made it 2.0 GB and 1.1 s (docs/cli.md "Speed of verify"). Reading the next window
 * while this one is checked (pread in libuv's pool, CRC on the event loop) was built and measured
 * too: no gain over the noise on the shared 2-vCPU test VM (per-pair median 0.98x, 15 pairs) for
 * 10% more CPU, so it is not done; measure it again on a quiet machine with idle cores.
 */
import { readFully } from './byte-source.js';
import type { ByteSource } from './byte-source.js';

export class ScanWindow {
  readonly #source: ByteSource;
  readonly #sizeBytes: number;
  readonly #windowBytes: number;
  #buffer = new Uint8Array(0);
  /** File position of `#buffer[0]`. */
  #startBytes = 0;
  /** Valid bytes at the front of `#buffer`. */
  #lengthBytes = 0;

  /** The buffer is allocated at the first refill, sized to it: small segments get small buffers. */
  constructor(source: ByteSource, sizeBytes: number, windowBytes: number) {
    this.#source = source;
    this.#sizeBytes = sizeBytes;
    this.#windowBytes = Math.max(1, windowBytes);
  }

  /** Up to `lengthBytes` at `position` (fewer at end of file). */
  async bytes(position: number, lengthBytes: number): Promise<Uint8Array> {
    const end = Math.min(position + lengthBytes, this.#sizeBytes);
    if (end <= position) return new Uint8Array(0);
    if (position < this.#startBytes || end > this.#startBytes + this.#lengthBytes) await this.#refill(position, end);
    const from = position - this.#startBytes;
    return this.#buffer.subarray(from, Math.min(this.#lengthBytes, end - this.#startBytes));
  }

  /** Makes the window start at `position` and hold `[position, end)` and some bytes past it. */
  async #refill(position: number, end: number): Promise<void> {
    const windowEnd = this.#startBytes + this.#lengthBytes;
    // Bytes of [position, windowEnd) are already here: keep them, moved to the front.
    const keptBytes = position >= this.#startBytes && position < windowEnd ? windowEnd - position : 0;
    const keptFrom = position - this.#startBytes;
    const requestBytes = end - position;
    const halfWindowBytes = Math.ceil(this.#windowBytes / 2);
    const wantBytes = requestBytes <= halfWindowBytes ? this.#windowBytes : requestBytes + halfWindowBytes;
    const targetBytes = Math.min(wantBytes, this.#sizeBytes - position);
    if (targetBytes > this.#buffer.length) {
      const grown = new Uint8Array(targetBytes);
      grown.set(this.#buffer.subarray(keptFrom, keptFrom + keptBytes));
      this.#buffer = grown;
    } else if (keptBytes > 0 && keptFrom > 0) {
      this.#buffer.copyWithin(0, keptFrom, keptFrom + keptBytes);
    }
    this.#startBytes = position;
    this.#lengthBytes = keptBytes;
    const read = await readFully(this.#source, this.#buffer.subarray(keptBytes, targetBytes), position + keptBytes);
    this.#lengthBytes = keptBytes + read;
  }
}

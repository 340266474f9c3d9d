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
 * Read-ahead (`readAhead`, for a scan that reads a whole file, such as `seglog verify`): after each
 * refill the next window is read into a second buffer while the caller checks this one, so the
 * kernel's copy (in libuv's thread pool) and the CRC (on the event loop) run on two cores at once
 * instead of taking turns. The second buffer keeps a reserve of `windowBytes` in front of where the
 * read lands, and the tail of this window that the next request still needs (a batch that starts
 * here and ends there) is copied into it: only that tail is ever copied, never the whole window.
 * Until `close` the read ahead may be in flight: a scan with read-ahead must close its window before
 * the file is closed. Buffers of closed read-ahead windows are kept for the next window (at most
 * two sets): a fresh buffer costs its pages' zeroing, as much as a memmove of the bytes.
 *
 * Why: `seglog verify` over 2 GB of 4 MiB batches read 2.53 GB (a window read for each header,
 * then the whole batch again into a fresh buffer) and spent 1.6 s of CPU; reading each byte once
 * into one buffer made it 2.0 GB and 1.1 s (docs/cli.md "Speed of verify").
 */
import { readFully } from './byte-source.js';
import type { ByteSource } from './byte-source.js';

export interface ScanWindowOptions {
  /** Read the next window while the caller checks this one (see above); `close` when done. */
  readonly readAhead?: boolean;
}

/** A read of the bytes from `startBytes` into `buffer` at `reserveBytes`, in flight. */
interface Ahead {
  readonly startBytes: number;
  readonly buffer: Uint8Array;
  readonly reserveBytes: number;
  readonly read: Promise<number>;
}

/** Buffers of closed read-ahead windows, for the next one. */
const spareBuffers: Uint8Array[] = [];
const SPARE_BUFFERS_MAX = 4;

export class ScanWindow {
  readonly #source: ByteSource;
  readonly #sizeBytes: number;
  readonly #windowBytes: number;
  readonly #readAhead: boolean;
  #buffer: Uint8Array = new Uint8Array(0);
  /** Index in `#buffer` of the byte at `#startBytes`. */
  #frontBytes = 0;
  /** File position of `#buffer[#frontBytes]`. */
  #startBytes = 0;
  /** Valid bytes from `#frontBytes` on. */
  #lengthBytes = 0;
  /** The buffer the next read-ahead goes into (the one before the last swap). */
  #spare: Uint8Array = new Uint8Array(0);
  #ahead: Ahead | null = null;

  /** The buffer is allocated at the first refill, sized to it: small segments get small buffers. */
  constructor(source: ByteSource, sizeBytes: number, windowBytes: number, options: ScanWindowOptions = {}) {
    this.#source = source;
    this.#sizeBytes = sizeBytes;
    this.#windowBytes = Math.max(1, windowBytes);
    this.#readAhead = options.readAhead === true;
  }

  /** Up to `lengthBytes` at `position` (fewer at end of file). */
  async bytes(position: number, lengthBytes: number): Promise<Uint8Array> {
    const end = Math.min(position + lengthBytes, this.#sizeBytes);
    if (end <= position) return new Uint8Array(0);
    if (position < this.#startBytes || end > this.#startBytes + this.#lengthBytes) await this.#refill(position, end);
    const from = this.#frontBytes + position - this.#startBytes;
    return this.#buffer.subarray(from, this.#frontBytes + Math.min(this.#lengthBytes, end - this.#startBytes));
  }

  /** Waits for a read ahead still in flight and gives the buffers back; the window is empty after. */
  async close(): Promise<void> {
    const ahead = this.#ahead;
    this.#ahead = null;
    if (ahead !== null) await ahead.read.catch(() => undefined);
    if (this.#readAhead) {
      for (const buffer of [this.#buffer, this.#spare]) {
        if (buffer.length > 0 && spareBuffers.length < SPARE_BUFFERS_MAX) spareBuffers.push(buffer);
      }
    }
    this.#buffer = new Uint8Array(0);
    this.#spare = new Uint8Array(0);
    this.#frontBytes = 0;
    this.#startBytes = 0;
    this.#lengthBytes = 0;
  }

  async #refill(position: number, end: number): Promise<void> {
    const ahead = this.#ahead;
    this.#ahead = null;
    if (ahead !== null) await this.#takeAhead(ahead, position);
    const held = position >= this.#startBytes && end <= this.#startBytes + this.#lengthBytes;
    if (!held) await this.#refillInPlace(position, end);
    this.#startAhead();
  }

  /**
   * Makes the finished read-ahead the window when the request starts inside it or in the tail of
   * this window that fits its reserve (copied in front of it); otherwise leaves the window as it is
   * (a request elsewhere: the read-ahead is wasted, as a seek would waste it).
   */
  async #takeAhead(ahead: Ahead, position: number): Promise<void> {
    const readBytes = await ahead.read;
    const keptBytes = ahead.startBytes - position;
    const windowEnd = this.#startBytes + this.#lengthBytes;
    const tailHeld = position >= this.#startBytes && windowEnd === ahead.startBytes;
    if (position > ahead.startBytes + readBytes || keptBytes > ahead.reserveBytes) return;
    if (keptBytes > 0 && !tailHeld) return;
    const front = ahead.reserveBytes - keptBytes;
    if (keptBytes > 0) {
      const from = this.#frontBytes + position - this.#startBytes;
      ahead.buffer.set(this.#buffer.subarray(from, from + keptBytes), front);
    }
    this.#spare = this.#buffer;
    this.#buffer = ahead.buffer;
    this.#frontBytes = front;
    this.#startBytes = position;
    this.#lengthBytes = ahead.startBytes + readBytes - position;
  }

  /** Starts reading the window after this one into the spare buffer, when read-ahead is on. */
  #startAhead(): void {
    const startBytes = this.#startBytes + this.#lengthBytes;
    if (!this.#readAhead || startBytes >= this.#sizeBytes) return;
    const reserveBytes = this.#windowBytes;
    const readBytes = Math.min(this.#windowBytes, this.#sizeBytes - startBytes);
    if (this.#spare.length < reserveBytes + readBytes) this.#spare = takeBuffer(reserveBytes + this.#windowBytes);
    const buffer = this.#spare;
    const read = readFully(this.#source, buffer.subarray(reserveBytes, reserveBytes + readBytes), startBytes);
    // Surfaces when the window takes it; a read-ahead nobody takes must not crash the process.
    read.catch(() => undefined);
    this.#ahead = { startBytes, buffer, reserveBytes, read };
  }

  /** Makes the window start at `position` and hold `[position, end)` and some bytes past it. */
  async #refillInPlace(position: number, end: number): Promise<void> {
    const windowEnd = this.#startBytes + this.#lengthBytes;
    // Bytes of [position, windowEnd) are already here: keep them, moved to the front.
    const keptBytes = position >= this.#startBytes && position < windowEnd ? windowEnd - position : 0;
    const keptFrom = this.#frontBytes + position - this.#startBytes;
    const requestBytes = end - position;
    const halfWindowBytes = Math.ceil(this.#windowBytes / 2);
    const wantBytes = requestBytes <= halfWindowBytes ? this.#windowBytes : requestBytes + halfWindowBytes;
    const targetBytes = Math.min(wantBytes, this.#sizeBytes - position);
    if (targetBytes > this.#buffer.length) {
      const grown = this.#readAhead ? takeBuffer(targetBytes) : new Uint8Array(targetBytes);
      grown.set(this.#buffer.subarray(keptFrom, keptFrom + keptBytes));
      this.#buffer = grown;
    } else if (keptBytes > 0 && keptFrom > 0) {
      this.#buffer.copyWithin(0, keptFrom, keptFrom + keptBytes);
    }
    this.#frontBytes = 0;
    this.#startBytes = position;
    this.#lengthBytes = keptBytes;
    const read = await readFully(this.#source, this.#buffer.subarray(keptBytes, targetBytes), position + keptBytes);
    this.#lengthBytes = keptBytes + read;
  }
}

/** A kept buffer of at least `lengthBytes`, or a new one. */
function takeBuffer(lengthBytes: number): Uint8Array {
  const index = spareBuffers.findIndex((buffer) => buffer.length >= lengthBytes);
  if (index === -1) return new Uint8Array(lengthBytes);
  return spareBuffers.splice(index, 1)[0]!;
}

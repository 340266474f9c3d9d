/**
 * One job: a byte source for a front-to-back scan that reads the next chunk of the file while
 * the caller checks this one. A scan computes CRC-32C on the event loop between reads; without
 * this the pread (in libuv's pool) and the CRC take turns, and `verify` runs at the sum of their
 * times instead of the larger one.
 *
 * The file is read in aligned chunks of `chunkBytes`, each once: a request is served from the
 * chunks it spans (a scan's windows overlap where a batch crossed the last window's end, so
 * guessing "the next read starts where this one ended" would miss), and asking for chunk c
 * starts the read of chunk c + 1. Chunks behind the one asked for are dropped.
 */
import type { ByteSource } from '@seglog/format';

interface Chunk {
  readonly bytes: Promise<Uint8Array>;
  readonly buffer: Uint8Array;
}

export class ReadAheadSource implements ByteSource {
  readonly #inner: ByteSource;
  readonly #chunkBytes: number;
  readonly #chunks = new Map<number, Chunk>();
  /** Buffers of dropped chunks, reused: a fresh zeroed 4 MiB per chunk cost as much as the CRC. */
  readonly #free: Uint8Array[] = [];

  constructor(inner: ByteSource, chunkBytes: number) {
    this.#inner = inner;
    this.#chunkBytes = chunkBytes;
  }

  /** Fills `buffer` from `positionBytes` (fewer bytes only at end of file). */
  async read(buffer: Uint8Array, positionBytes: number): Promise<number> {
    let done = 0;
    while (done < buffer.length) {
      const position = positionBytes + done;
      const index = Math.floor(position / this.#chunkBytes);
      const chunk = await this.#chunk(index).bytes;
      const from = position - index * this.#chunkBytes;
      if (from >= chunk.length) break; // end of file
      const take = Math.min(chunk.length - from, buffer.length - done);
      buffer.set(chunk.subarray(from, from + take), done);
      done += take;
      if (chunk.length < this.#chunkBytes && from + take >= chunk.length) break;
    }
    return done;
  }

  /** Waits for reads still in flight, so the file can be closed safely. */
  async settle(): Promise<void> {
    const pending = [...this.#chunks.values()];
    this.#chunks.clear();
    await Promise.all(pending.map((chunk) => chunk.bytes.catch(() => undefined)));
  }

  #chunk(index: number): Chunk {
    for (const [held, chunk] of this.#chunks) {
      if (held < index) {
        this.#chunks.delete(held);
        // A chunk behind the one asked for has been read (asking waits for it): its buffer is free.
        void chunk.bytes.then(() => this.#free.push(chunk.buffer), () => undefined);
      }
    }
    const chunk = this.#load(index);
    this.#load(index + 1);
    return chunk;
  }

  #load(index: number): Chunk {
    let chunk = this.#chunks.get(index);
    if (chunk === undefined) {
      const buffer = this.#free.pop() ?? new Uint8Array(Buffer.allocUnsafeSlow(this.#chunkBytes).buffer, 0, this.#chunkBytes);
      const bytes = this.#readChunk(index, buffer);
      // Surfaces when the chunk is asked for; a read-ahead nobody asks for must not crash the process.
      bytes.catch(() => undefined);
      chunk = { bytes, buffer };
      this.#chunks.set(index, chunk);
    }
    return chunk;
  }

  async #readChunk(index: number, buffer: Uint8Array): Promise<Uint8Array> {
    let done = 0;
    while (done < buffer.length) {
      const read = await this.#inner.read(buffer.subarray(done), index * this.#chunkBytes + done);
      if (read === 0) break;
      done += read;
    }
    return buffer.subarray(0, done);
  }
}

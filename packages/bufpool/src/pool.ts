/**
 * One job: a capped pool of equal-size, reusable buffers.
 *
 * Invariants: never more than `bytesCap / bufferBytes` buffers exist; a released buffer is reused
 * before a new one is allocated; at the cap, `tryAcquire` refuses (null) instead of allocating,
 * and the caller decides how to wait (the store queues the append until a batch completes and
 * releases its buffer). So once the pool has grown to what the workload needs, appends allocate
 * nothing, and `misses` stops moving: tests and benchmarks assert exactly that.
 */
import { assert } from '@seglog/types';
import type { PoolMetrics } from '@seglog/types';

export interface BufferPoolOptions {
  /** Size of every buffer; a multiple of the block size, so buffers pack into aligned writes. */
  readonly bufferBytes: number;
  /** Hard cap on bytes held by the pool, free and handed out together. */
  readonly bytesCap: number;
}

export class BufferPool {
  readonly bufferBytes: number;
  readonly bytesCap: number;
  readonly #buffersMax: number;
  readonly #free: Uint8Array[] = [];
  #allocated = 0;
  #hits = 0;
  #misses = 0;
  #waits = 0;

  constructor(options: BufferPoolOptions) {
    assert(Number.isInteger(options.bufferBytes) && options.bufferBytes > 0, 'bufferBytes is a positive integer');
    assert(options.bytesCap >= options.bufferBytes, 'the cap holds at least one buffer');
    this.bufferBytes = options.bufferBytes;
    this.bytesCap = options.bytesCap;
    this.#buffersMax = Math.floor(options.bytesCap / options.bufferBytes);
  }

  /** A buffer now, or null (counted in `waits`) if the pool is at its cap with none free. */
  tryAcquire(): Uint8Array | null {
    const reused = this.#free.pop();
    if (reused !== undefined) {
      this.#hits++;
      return reused;
    }
    if (this.#allocated < this.#buffersMax) {
      this.#allocated++;
      this.#misses++;
      return new Uint8Array(this.bufferBytes);
    }
    this.#waits++;
    return null;
  }

  /** Returns a buffer. Contents are not cleared: users overwrite what they use. */
  release(buffer: Uint8Array): void {
    assert(buffer.length === this.bufferBytes, 'released buffer belongs to this pool');
    assert(this.#free.length < this.#allocated, 'more releases than acquires');
    this.#free.push(buffer);
  }

  /** Drops free buffers, so a closed log holds no batch memory. */
  close(): void {
    this.#free.length = 0;
  }

  metrics(): PoolMetrics {
    return {
      hits: this.#hits,
      misses: this.#misses,
      waits: this.#waits,
      buffersAllocated: this.#allocated,
      buffersFree: this.#free.length,
      bufferBytes: this.bufferBytes,
      bytesCap: this.bytesCap,
    };
  }
}

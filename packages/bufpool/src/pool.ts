/**
 * One job: a capped pool of equal-size, reusable buffers.
 *
 * Invariants: never more than `bytesCap / bufferBytes` buffers exist; a released buffer is reused
 * before a new one is allocated; when the cap is reached, `acquire` waits (FIFO) instead of
 * allocating. So once the pool has grown to what the workload needs, appends allocate nothing,
 * and `misses` stops moving: tests and benchmarks assert exactly that.
 */
import { assert, SeglogError } from '@seglog/types';
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
  readonly #waiters: Array<{ resolve: (buffer: Uint8Array) => void; reject: (error: unknown) => void }> = [];
  #allocated = 0;
  #hits = 0;
  #misses = 0;
  #waits = 0;
  #closed = false;

  constructor(options: BufferPoolOptions) {
    assert(Number.isInteger(options.bufferBytes) && options.bufferBytes > 0, 'bufferBytes is a positive integer');
    assert(options.bytesCap >= options.bufferBytes, 'the cap holds at least one buffer');
    this.bufferBytes = options.bufferBytes;
    this.bytesCap = options.bytesCap;
    this.#buffersMax = Math.floor(options.bytesCap / options.bufferBytes);
  }

  /** A buffer now, or null if the pool is at its cap with none free. */
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
    return null;
  }

  /** A buffer, waiting in FIFO order for a release when the pool is at its cap. */
  acquire(): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(SeglogError.closed('buffer pool'));
    const buffer = this.#waiters.length === 0 ? this.tryAcquire() : null;
    if (buffer !== null) return Promise.resolve(buffer);
    this.#waits++;
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Returns a buffer. Contents are not cleared: users overwrite what they use. */
  release(buffer: Uint8Array): void {
    assert(buffer.length === this.bufferBytes, 'released buffer belongs to this pool');
    assert(this.#free.length < this.#allocated, 'more releases than acquires');
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#hits++;
      waiter.resolve(buffer);
      return;
    }
    this.#free.push(buffer);
  }

  /** Rejects waiters and drops free buffers. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(SeglogError.closed('buffer pool'));
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

/**
 * @seglog/bufpool: a fixed, capped pool of block-multiple buffers with hit/miss/wait counters.
 * Knows nothing of records; the store fills the buffers. See docs/architecture.md.
 */
export { BufferPool } from './pool.js';
export type { BufferPoolOptions } from './pool.js';

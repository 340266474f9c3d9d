/**
 * @seglog/types: the shared vocabulary of seglog. No runtime dependencies.
 * The on-disk format is specified in docs/format.md; the layers in docs/architecture.md.
 */
export * from './errors.js';
export * from './assert.js';
export * from './limits.js';
export type * from './file-io.js';
export type * from './metrics.js';
export { BATCH_CHANNEL, ERROR_CHANNEL } from './metrics.js';
export type * from './options.js';
export type * from './shipper-metrics.js';
export type * from './queue-stats.js';

/**
 * @seglog/format: seglog's on-disk format as pure functions, and the one decoder of the batch
 * chain that every reader of segments uses (`stepBatch`, batch-decode.ts; `scanChain`,
 * chain-scan.ts). No node:fs: the scanner reads through an injected byte source (a `FileHandle`),
 * so every function can be property-tested and fuzzed in isolation. The spec is docs/format.md;
 * keep the two in step.
 */
export * from './align.js';
export * from './batch.js';
export * from './batch-chunks.js';
export * from './batch-partial.js';
export * from './batch-v1.js';
export * from './batch-decode.js';
export * from './byte-source.js';
export { equalBytes } from './bytes.js';
export * from './chain-scan.js';
export * from './crc32c.js';
export * from './index-entry.js';
export * from './segment-header.js';
export * from './segment-name.js';
export * from './segment-trailer.js';
export * from './head-record.js';
export * from './hold-record.js';
export * from './notify-socket-name.js';
export * from './unacknowledged-tail.js';
export type { ScanWindowOptions } from './scan-window.js';

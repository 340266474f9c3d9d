/**
 * @seglog/reader: reads what the seglog writer wrote, by offset and by range, beside a live writer
 * in this process or another. It never writes and never takes the lock. The on-disk format is
 * docs/format.md; what a reader sees while a writer runs is described at the top of reader.ts.
 */
export { openReader, Reader, type ReadRange } from './reader.js';
export type { ReaderOptions, DurableSource, LogRecord } from '@seglog/types';

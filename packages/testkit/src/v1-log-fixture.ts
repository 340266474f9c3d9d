/**
 * One job: the golden format-v1 log, a checked-in directory that the store and the reader must
 * keep opening, reading and (the store) appending to.
 *
 * fixtures/v1-log/ was written by the store of format v1 (main at ed8eeae: blockBytes 512,
 * segmentBytes 8192, maxBatchBytes 2048, preallocate false, the log id below), appending records
 * 0..59 as `appendMany` runs of 1..5 records and closing cleanly: four v1 segments, their `.idx`
 * files and `HEAD`. It is never rewritten; a test copies it (`cpSync(dir, copy, { recursive: true })`)
 * before opening it for writing.
 */
import { fileURLToPath } from 'node:url';

export const V1_LOG_FIXTURE = {
  /** Where the checked-in directory lies; copy it before writing to it. */
  dir: fileURLToPath(new URL('../fixtures/v1-log/', import.meta.url)),
  records: 60,
  logId: Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i),
  blockBytes: 512,
  segmentBytes: 8192,
  /** Base offsets of its segments, in order. */
  segmentBases: [0, 17, 33, 47],
} as const;

/** The payload of record `offset` of the fixture: 0..700 bytes derived from the offset. */
export function v1FixturePayload(offset: number): Uint8Array {
  const size = (offset * 37) % 701;
  return Uint8Array.from({ length: size }, (_, j) => (offset * 131 + j * 7) & 0xff);
}

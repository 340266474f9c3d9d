/**
 * One job: segment and index file names. Names are the base offset in 20 zero-padded digits so
 * that a plain sort of names is a sort by offset (tidwall/wal and Kafka do the same).
 */
import { assert, limits } from '@seglog/types';

const DIGITS = 20;
const SEGMENT_RE = /^(\d{20})\.seg$/;

export const NEXT_SEGMENT_TMP = 'next.seg.tmp';

export function segmentFileName(baseOffset: number): string {
  assert(Number.isSafeInteger(baseOffset) && baseOffset >= 0, 'base offset is a safe integer');
  return `${String(baseOffset).padStart(DIGITS, '0')}.seg`;
}

export function indexFileName(baseOffset: number): string {
  return segmentFileName(baseOffset).replace(/\.seg$/, '.idx');
}

/** The base offset named by a segment file name, or null if the name is not a segment's. */
export function parseSegmentFileName(name: string): number | null {
  const match = SEGMENT_RE.exec(name);
  if (match === null) return null;
  const base = Number(match[1]);
  return base <= limits.offsetMax ? base : null;
}

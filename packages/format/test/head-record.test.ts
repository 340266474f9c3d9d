import test from 'ava';
import { HEAD_FILE_BYTES, crc32c, HEAD_SLOT_BYTES, decodeHead, decodeHeadSlot, encodeHeadSlot, headSlotPosition } from '../src/index.js';
import type { HeadState } from '../src/index.js';
import { isSeglogError } from '@seglog/types';

const logId = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const state = (seq: number, durableOffset: number): HeadState => ({
  seq,
  logId,
  durableOffset,
  firstOffset: 0,
  truncateEpoch: 3,
  truncatedAt: 0,
  pendingTruncation: null,
  writtenAtMs: 1_700_000_000_000,
});

function fileWith(...states: HeadState[]): Uint8Array {
  const file = new Uint8Array(HEAD_FILE_BYTES);
  for (const s of states) file.set(encodeHeadSlot(s), headSlotPosition(s.seq));
  return file;
}

test('a slot round-trips every field, the pending truncation included', (t) => {
  const full: HeadState = { ...state(7, 2 ** 53 - 1), firstOffset: 100, pendingTruncation: { kind: 1, offset: 5000 } };
  const slot = encodeHeadSlot(full);
  t.is(slot.length, HEAD_SLOT_BYTES);
  t.deepEqual(decodeHeadSlot(slot, 'HEAD'), full);
});

test('the newest valid slot wins; a torn or damaged newest slot falls back to the other', (t) => {
  const file = fileWith(state(4, 100), state(5, 180));
  t.is(decodeHead(file, 'HEAD')?.durableOffset, 180);
  for (const at of [headSlotPosition(5), headSlotPosition(5) + 40, headSlotPosition(5) + HEAD_SLOT_BYTES - 1]) {
    const damaged = file.slice();
    damaged[at]! ^= 0x01;
    t.is(decodeHead(damaged, 'HEAD')?.durableOffset, 100, `flip at ${at}`);
  }
  t.is(decodeHead(new Uint8Array(HEAD_FILE_BYTES), 'HEAD'), null);
  t.is(decodeHead(new Uint8Array(10), 'HEAD'), null);
});

test('a slot in the wrong position (not seq % 2) is ignored', (t) => {
  const file = new Uint8Array(HEAD_FILE_BYTES);
  file.set(encodeHeadSlot(state(3, 50)), 0);
  t.is(decodeHead(file, 'HEAD'), null);
});

test('a valid slot of a newer version is SEGLOG_UNSUPPORTED_FORMAT', (t) => {
  const slot = encodeHeadSlot(state(2, 9));
  const dv = new DataView(slot.buffer);
  dv.setUint16(8, 2, true);
  dv.setUint32(HEAD_SLOT_BYTES - 4, crc32c(slot.subarray(0, HEAD_SLOT_BYTES - 4)), true);
  const error = t.throws(() => decodeHeadSlot(slot, 'HEAD'));
  t.true(isSeglogError(error, 'SEGLOG_UNSUPPORTED_FORMAT'), String(error));
});

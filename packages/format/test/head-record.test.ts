import { readFileSync } from 'node:fs';
import test from 'ava';
import {
  HEAD_FILE_BYTES,
  HEAD_SLOT_BYTES,
  HEAD_VERSION,
  crc32c,
  decodeHead,
  decodeHeadFile,
  decodeHeadSlot,
  encodeHeadSlot,
  headSlotPosition,
} from '../src/index.js';
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

test('three slots: the newest valid one wins whichever position it holds; torn ones fall back to the next newest', (t) => {
  t.is(HEAD_FILE_BYTES, 3 * HEAD_SLOT_BYTES);
  t.deepEqual([6, 7, 8].map(headSlotPosition), [0, HEAD_SLOT_BYTES, 2 * HEAD_SLOT_BYTES]);
  for (const seqs of [[6, 7, 8], [9, 7, 8], [9, 10, 8], [12, 10, 14]]) {
    const states = seqs.map((seq) => state(seq, seq * 10));
    const file = fileWith(...states);
    const sorted = [...seqs].sort((a, b) => b - a);
    t.is(decodeHead(file, 'HEAD')?.seq, sorted[0], `slots ${seqs.join(',')}`);
    const torn = file.slice();
    torn[headSlotPosition(sorted[0]!) + 100]! ^= 0x10;
    t.is(decodeHead(torn, 'HEAD')?.seq, sorted[1], `slots ${seqs.join(',')}, newest torn`);
    torn[headSlotPosition(sorted[1]!) + 100]! ^= 0x10;
    t.is(decodeHead(torn, 'HEAD')?.seq, sorted[2], `slots ${seqs.join(',')}, two newest torn`);
  }
  t.is(decodeHeadFile(fileWith(state(4, 1)), 'HEAD')?.version, HEAD_VERSION);
});

test('a slot in the wrong position (not seq % 3) is ignored', (t) => {
  const file = new Uint8Array(HEAD_FILE_BYTES);
  file.set(encodeHeadSlot(state(4, 50)), 0);
  file.set(encodeHeadSlot(state(3, 40)), 2 * HEAD_SLOT_BYTES);
  t.is(decodeHead(file, 'HEAD'), null);
});

/** A slot as the version-1 writer made it: the same bytes with version 1. */
function v1Slot(s: HeadState): Uint8Array {
  const slot = encodeHeadSlot(s);
  const dv = new DataView(slot.buffer);
  dv.setUint16(8, 1, true);
  dv.setUint32(HEAD_SLOT_BYTES - 4, crc32c(slot.subarray(0, HEAD_SLOT_BYTES - 4)), true);
  return slot;
}

test('a version-1 HEAD (two slots, seq % 2, 1024 bytes) is still read', (t) => {
  const file = new Uint8Array(2 * HEAD_SLOT_BYTES);
  // seq 8 is slot 0 by the old rule (8 % 2), slot 2 by the new one: its version decides.
  file.set(v1Slot(state(8, 80)), 0);
  file.set(v1Slot(state(5, 50)), HEAD_SLOT_BYTES);
  t.deepEqual(decodeHeadFile(file, 'HEAD'), { state: state(8, 80), version: 1 });
  file[100]! ^= 0x01;
  t.is(decodeHead(file, 'HEAD')?.seq, 5, 'a torn newest slot falls back to the other');
  const misplaced = new Uint8Array(HEAD_FILE_BYTES);
  misplaced.set(v1Slot(state(7, 70)), 0);
  misplaced.set(v1Slot(state(4, 40)), 2 * HEAD_SLOT_BYTES);
  t.is(decodeHead(misplaced, 'HEAD'), null, 'a version-1 slot outside seq % 2 is not ours');
});

test('the golden version-1 HEAD (written by the two-slot writer) decodes', (t) => {
  // fixtures/head-v1/HEAD is testkit's fixtures/v1-log/HEAD (60 records, closed cleanly).
  const bytes = readFileSync(new URL('fixtures/head-v1/HEAD', import.meta.url));
  t.is(bytes.length, 1024);
  const found = decodeHeadFile(new Uint8Array(bytes), 'HEAD');
  t.is(found?.version, 1);
  t.is(found?.state.seq, 50);
  t.is(found?.state.durableOffset, 60);
  t.deepEqual(found?.state.logId, Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i));
});

test('a valid slot of a newer version is SEGLOG_UNSUPPORTED_FORMAT', (t) => {
  const slot = encodeHeadSlot(state(2, 9));
  const dv = new DataView(slot.buffer);
  dv.setUint16(8, HEAD_VERSION + 1, true);
  dv.setUint32(HEAD_SLOT_BYTES - 4, crc32c(slot.subarray(0, HEAD_SLOT_BYTES - 4)), true);
  const error = t.throws(() => decodeHeadSlot(slot, 'HEAD'));
  t.true(isSeglogError(error, 'SEGLOG_UNSUPPORTED_FORMAT'), String(error));
});

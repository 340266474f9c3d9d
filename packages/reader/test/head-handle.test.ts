/**
 * One job: how a reader keeps HEAD open (visible-end.ts). With an engine that reads synchronously
 * and tells a replaced file (node:fs), HEAD is opened once and re-read in place; a HEAD replaced by
 * a rename (a new HEAD at open: v1 -> v2, an accepted loss, a new log in the directory) is opened
 * anew at the next re-read; a removed HEAD keeps what was learned; close frees the descriptor. An
 * engine without those methods opens, reads and closes HEAD at every re-read.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { HEAD_FILE_BYTES, HEAD_FILE_NAME, encodeHeadSlot, headSlotPosition } from '@seglog/format';
import type { HeadState } from '@seglog/format';
import { nodeFileIO } from '@seglog/io';
import { wrapFileHandle, wrapFileIO } from '@seglog/testkit';
import { readLimits, type FileIO } from '@seglog/types';
import { HeadVisibleEnd } from '../src/visible-end.js';

const logIdA = Uint8Array.from({ length: 16 }, (_, i) => 10 + i);
const logIdB = Uint8Array.from({ length: 16 }, (_, i) => 90 + i);
const slot = (logId: Uint8Array, seq: number, durableOffset: number): HeadState => ({
  seq,
  logId,
  durableOffset,
  firstOffset: 0,
  truncateEpoch: 0,
  truncatedAt: 0,
  pendingTruncation: null,
  writtenAtMs: 0,
});

/** Longer than `headLinkCheckMs`: a read with no news after it checks whether HEAD was replaced. */
const quiet = (): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, readLimits.headLinkCheckMs + 5));

function tempDir(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-head-handle-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A whole HEAD file made anew by temp file and rename, as the writer's `HeadCheckpoint.create` does. */
function replaceHead(dir: string, state: HeadState): void {
  const bytes = new Uint8Array(HEAD_FILE_BYTES);
  bytes.set(encodeHeadSlot(state), headSlotPosition(state.seq));
  fs.writeFileSync(path.join(dir, 'HEAD.tmp'), bytes);
  fs.renameSync(path.join(dir, 'HEAD.tmp'), path.join(dir, HEAD_FILE_NAME));
}

/** One slot rewritten in place, as the writer's checkpoint does after each acknowledged batch. */
function writeSlot(dir: string, state: HeadState): void {
  const fd = fs.openSync(path.join(dir, HEAD_FILE_NAME), 'r+');
  fs.writeSync(fd, encodeHeadSlot(state), 0, undefined, headSlotPosition(state.seq));
  fs.closeSync(fd);
}

/** Counts opens and closes of HEAD; `sync: false` hides the engine's synchronous methods. */
function countingIo(sync: boolean): { io: FileIO; opens: () => number; closes: () => number } {
  let opens = 0;
  let closes = 0;
  const io = wrapFileIO(nodeFileIO, {
    wrapHandle: (handle) => {
      opens++;
      const counted = wrapFileHandle(handle, {
        close: () => {
          closes++;
          return handle.close();
        },
      });
      if (!sync) {
        delete counted.readSync;
        delete counted.isLinkedSync;
      }
      return counted;
    },
  });
  return { io, opens: () => opens, closes: () => closes };
}

test('HEAD is opened once and re-read in place; a HEAD replaced by a rename is opened anew', async (t) => {
  const dir = tempDir(t);
  replaceHead(dir, slot(logIdA, 1, 10));
  const { io, opens, closes } = countingIo(true);
  const end = new HeadVisibleEnd(io, dir);
  t.is(await end.refresh(), 10);
  writeSlot(dir, slot(logIdA, 2, 25));
  t.is(await end.refresh(), 25, 'an in-place slot write is seen through the held descriptor');
  writeSlot(dir, slot(logIdA, 3, 40));
  t.is(await end.refresh(), 40);
  t.is(await end.refresh(), 40, 'the same bytes again: the same end');
  t.is(opens(), 1, 'one open for four re-reads');
  t.is(closes(), 0, 'the descriptor is held');
  // The writer rewrites HEAD whole (an accepted loss makes a new HEAD whose seq starts again).
  replaceHead(dir, slot(logIdA, 1, 55));
  await quiet();
  t.is(await end.refresh(), 55, 'the replacement was seen, not the old file the descriptor still reads');
  t.is(opens(), 2);
  t.is(closes(), 1, 'the replaced file was closed');
  writeSlot(dir, slot(logIdA, 2, 60));
  t.is(await end.refresh(), 60, 'the new file is the one held now');
  // A new log in the same directory: its HEAD has another log id.
  replaceHead(dir, slot(logIdB, 1, 70));
  await quiet();
  t.is(await end.refresh(), 70, 'another log: its HEAD is the one read');
  await end.close();
  t.is(closes(), opens(), 'close freed the held descriptor');
  await end.close();
  t.is(closes(), opens(), 'closing twice closes nothing twice');
});

test('a removed HEAD keeps what was learned, and a HEAD that comes back is opened', async (t) => {
  const dir = tempDir(t);
  replaceHead(dir, slot(logIdA, 1, 10));
  const { io, opens, closes } = countingIo(true);
  const end = new HeadVisibleEnd(io, dir);
  t.is(await end.refresh(), 10);
  fs.rmSync(path.join(dir, HEAD_FILE_NAME));
  await quiet();
  t.is(await end.refresh(), 10, 'no HEAD: the end learned stays');
  t.is(closes(), 1, 'the removed file was closed');
  replaceHead(dir, slot(logIdA, 2, 20));
  t.is(await end.refresh(), 20);
  t.is(opens(), 2);
  await end.close();
  t.is(closes(), 2);
});

test('an engine without readSync and isLinkedSync opens, reads and closes HEAD at every re-read', async (t) => {
  const dir = tempDir(t);
  replaceHead(dir, slot(logIdA, 1, 10));
  const { io, opens, closes } = countingIo(false);
  const end = new HeadVisibleEnd(io, dir);
  t.is(await end.refresh(), 10);
  writeSlot(dir, slot(logIdA, 2, 20));
  t.is(await end.refresh(), 20);
  replaceHead(dir, slot(logIdA, 1, 30));
  t.is(await end.refresh(), 30);
  t.is(opens(), 3);
  t.is(closes(), 3, 'nothing held between re-reads');
  await end.close();
  t.is(closes(), 3);
});

test('a refresh after close does not keep a descriptor', async (t) => {
  const dir = tempDir(t);
  replaceHead(dir, slot(logIdA, 1, 10));
  const { io, opens, closes } = countingIo(true);
  const end = new HeadVisibleEnd(io, dir);
  await end.close();
  t.is(await end.refresh(), 10, 'a read that was already under way still answers');
  t.is(closes(), opens(), 'and closes what it opened');
});

test('a HEAD shorter than three slots (a version-1 file) replaced by a rename is opened anew', async (t) => {
  const dir = tempDir(t);
  const short = new Uint8Array(1024);
  short.set(encodeHeadSlot(slot(logIdA, 1, 10)), headSlotPosition(1));
  fs.writeFileSync(path.join(dir, HEAD_FILE_NAME), short);
  const { io, opens } = countingIo(true);
  const end = new HeadVisibleEnd(io, dir);
  t.is(await end.refresh(), 10);
  t.is(await end.refresh(), 10, 'no news in the short file');
  replaceHead(dir, slot(logIdA, 2, 30));
  await quiet();
  t.is(await end.refresh(), 30, 'the same short bytes again were no news, so the replacement was looked for');
  t.is(opens(), 2);
  await end.close();
});

test('a HEAD that brought no news for headReopenMs is opened anew (NFS revalidates its cache only at an open)', async (t) => {
  const dir = tempDir(t);
  replaceHead(dir, slot(logIdA, 1, 10));
  const { io, opens, closes } = countingIo(true);
  const end = new HeadVisibleEnd(io, dir);
  t.is(await end.refresh(), 10);
  t.is(await end.refresh(), 10);
  t.is(opens(), 1, 'no news, held for less than headReopenMs: the same descriptor');
  await new Promise((resolve) => setTimeout(resolve, readLimits.headReopenMs + 50));
  writeSlot(dir, slot(logIdA, 2, 20));
  t.is(await end.refresh(), 20, 'news through the held descriptor, however long it was held');
  t.is(await end.refresh(), 20);
  t.is(opens(), 1, 'no news, but news less than headReopenMs ago: the same descriptor');
  await new Promise((resolve) => setTimeout(resolve, readLimits.headReopenMs + 50));
  t.is(await end.refresh(), 20);
  t.is(opens(), 2, 'no news for headReopenMs: opened anew');
  t.is(closes(), 1);
  await end.close();
});

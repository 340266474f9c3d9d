/**
 * One job: how a reader takes HEAD's three slots (visible-end.ts, docs/format.md "HEAD"). A copy of
 * HEAD that meets the newest slot mid-write falls back to an older valid slot; after a truncation
 * announcement that older slot still claims the records being cut, so a reader that already learned
 * the newer slot reads again instead of taking the announcement back.
 */
import test from 'ava';
import { HEAD_FILE_BYTES, encodeHeadSlot, headSlotPosition } from '@seglog/format';
import type { HeadState } from '@seglog/format';
import { SimFileIO } from '@seglog/testkit';
import type { FileIO } from '@seglog/types';
import { HeadVisibleEnd } from '../src/visible-end.js';

const logId = Uint8Array.from({ length: 16 }, (_, i) => 40 + i);
const slot = (seq: number, durableOffset: number, pendingAt?: number): HeadState => ({
  seq,
  logId,
  durableOffset,
  firstOffset: 0,
  truncateEpoch: 0,
  truncatedAt: 0,
  pendingTruncation: pendingAt === undefined ? null : { kind: 1, offset: pendingAt },
  writtenAtMs: 0,
});

function headBytes(...states: HeadState[]): Uint8Array {
  const bytes = new Uint8Array(HEAD_FILE_BYTES);
  for (const state of states) bytes.set(encodeHeadSlot(state), headSlotPosition(state.seq));
  return bytes;
}

test('a read that meets the newest slot torn does not take back a truncation announcement learned before', async (t) => {
  const sim = new SimFileIO({ seed: 3 });
  await sim.mkdirp('/h');
  // Slot 9: the end at 60; slot 10: a truncateAfter(40) announced (pending kind 1).
  const good = headBytes(slot(8, 50), slot(9, 60), slot(10, 60, 40));
  const torn = good.slice();
  torn[headSlotPosition(10) + 100]! ^= 0xff;
  const file = await sim.open('/h/HEAD', 'create');
  await file.writev([good], 0);
  await file.close();
  // The reader's next HEAD read gets the torn copy once, then the file as it is.
  let tornReads = 0;
  const io: FileIO = {
    open: async (path, mode) => {
      const handle = await sim.open(path, mode);
      if (tornReads === 0) return handle;
      tornReads--;
      const read = async (buffer: Uint8Array, at: number): Promise<number> => {
        const got = await handle.read(buffer, at);
        buffer.set(torn.subarray(at, at + got));
        return got;
      };
      return { ...handle, path: handle.path, read, close: () => handle.close() };
    },
    mkdirp: (dir) => sim.mkdirp(dir),
    readdir: (dir) => sim.readdir(dir),
    stat: (path) => sim.stat(path),
    rename: (source, target) => sim.rename(source, target),
    unlink: (path) => sim.unlink(path),
    syncDir: (dir) => sim.syncDir(dir),
    lock: (dir) => sim.lock(dir),
  };
  const end = new HeadVisibleEnd(io, '/h');
  t.is(await end.refresh(), 40, 'the announced cut ends the visible log');
  t.is(end.epoch, 1);
  tornReads = 1;
  t.is(await end.refresh(), 40, 'the torn copy (whose newest valid slot says 60) was read again');
  t.is(end.epoch, 1, 'the truncation generation did not go back');
  t.is(tornReads, 0);
});

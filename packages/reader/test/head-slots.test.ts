/**
 * One job: how a reader takes HEAD's three slots (visible-end.ts, docs/format.md "HEAD"). A copy of
 * HEAD that meets the newest slot mid-write falls back to an older valid slot; after a truncation
 * announcement that older slot still claims the records being cut, so a reader that already learned
 * the newer slot reads again instead of taking the announcement back.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { HEAD_FILE_BYTES, encodeHeadSlot, headSlotPosition } from '@seglog/format';
import type { HeadState } from '@seglog/format';
import { SimFileIO, wrapFileHandle, wrapFileIO } from '@seglog/testkit';
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

/**
 * The reader's next HEAD read (after `tornReads` is set) gets the torn copy once, then the file as
 * it is: through `readSync` on a HEAD kept open, or through `read` after an open per wake-up on an
 * engine without the synchronous calls.
 */
async function tornOnce(t: ExecutionContext, heldOpen: boolean): Promise<void> {
  const sim = new SimFileIO({ seed: 3 });
  await sim.mkdirp('/h');
  // Slot 9: the end at 60; slot 10: a truncateAfter(40) announced (pending kind 1).
  const good = headBytes(slot(8, 50), slot(9, 60), slot(10, 60, 40));
  const torn = good.slice();
  torn[headSlotPosition(10) + 100]! ^= 0xff;
  const file = await sim.open('/h/HEAD', 'create');
  await file.writev([good], 0);
  await file.close();
  let tornReads = 0;
  const tear = (buffer: Uint8Array, at: number, got: number): number => {
    if (tornReads > 0) {
      tornReads--;
      buffer.set(torn.subarray(at, at + got));
    }
    return got;
  };
  let opens = 0;
  const io = wrapFileIO(sim, {
    wrapHandle: (handle) => {
      opens++;
      return wrapFileHandle(handle, {
        read: async (buffer, at) => tear(buffer, at, await handle.read(buffer, at)),
        readSync: heldOpen ? (buffer, at) => tear(buffer, at, handle.readSync!(buffer, at)) : undefined,
        isLinkedSync: heldOpen ? () => handle.isLinkedSync!() : undefined,
      });
    },
  });
  const end = new HeadVisibleEnd(io, '/h');
  t.is(await end.refresh(), 40, 'the announced cut ends the visible log');
  t.is(end.epoch, 1);
  tornReads = 1;
  t.is(await end.refresh(), 40, 'the torn copy (whose newest valid slot says 60) was read again');
  t.is(end.epoch, 1, 'the truncation generation did not go back');
  t.is(tornReads, 0, 'the torn copy was read');
  t.is(opens, heldOpen ? 1 : 3, heldOpen ? 'HEAD stayed open' : 'HEAD was opened for each read');
  await end.close();
}

test('a read that meets the newest slot torn does not take back a truncation announcement learned before (HEAD held open)', tornOnce, true);
test('a read that meets the newest slot torn does not take back a truncation announcement learned before (HEAD opened per read)', tornOnce, false);

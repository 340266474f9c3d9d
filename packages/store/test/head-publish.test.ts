/**
 * One job: how often the writer publishes its durable end in HEAD (head-checkpoint.ts). While
 * appends keep coming, at most once per `limits.headWriteIntervalMicros`; the end of the last
 * acknowledgement is always published once the appends stop; and every value written is a lower
 * bound of what was acknowledged.
 */
import test from 'ava';
import { SimFileIO, wrapFileHandle, wrapFileIO } from '@seglog/testkit';
import { HEAD_FILE_BYTES, decodeHead, readFully } from '@seglog/format';
import type { HeadState } from '@seglog/format';
import { limits } from '@seglog/types';
import type { Clock, FileHandle, FileIO } from '@seglog/types';
import { openLog } from '../src/index.js';
import type { Log } from '../src/index.js';

/** A FileIO that counts the writes to HEAD and checks each value against what was acknowledged. */
interface CountingHeadIO {
  readonly io: FileIO;
  writes(): number;
  aheadOfAcks(): number;
}

function countingHeadIO(inner: FileIO, acknowledged: () => number): CountingHeadIO {
  let writes = 0;
  let ahead = 0;
  const wrap = (handle: FileHandle): FileHandle =>
    wrapFileHandle(handle, {
      writev: (buffers, position) => {
        writes++;
        for (const buffer of buffers) {
          const padded = new Uint8Array(HEAD_FILE_BYTES);
          padded.set(buffer, position % HEAD_FILE_BYTES);
          const state = decodeHead(padded, handle.path);
          if (state !== null && state.durableOffset > acknowledged()) ahead++;
        }
        return handle.writev(buffers, position);
      },
    });
  const io = wrapFileIO(inner, { wrapHandle: (handle, path) => (path.endsWith('/HEAD') ? wrap(handle) : handle) });
  return { io, writes: () => writes, aheadOfAcks: () => ahead };
}

async function headState(io: FileIO, dir: string): Promise<HeadState> {
  const handle = await io.open(`${dir}/HEAD`, 'read');
  try {
    const bytes = new Uint8Array(HEAD_FILE_BYTES);
    const read = await readFully(handle, bytes, 0);
    const state = decodeHead(bytes.subarray(0, read), 'HEAD');
    if (state === null) throw new Error('HEAD has no valid slot');
    return state;
  } finally {
    await handle.close();
  }
}

/** Waits (event-loop turns, not time) until HEAD says `durableOffset`; returns the turns it took. */
async function headReaches(io: FileIO, dir: string, durableOffset: number): Promise<number> {
  for (let turn = 0; turn < 1000; turn++) {
    if ((await headState(io, dir)).durableOffset === durableOffset) return turn;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`HEAD never reached ${durableOffset}`);
}

/** A clock that moves only when told to. */
function manualClock(): Clock & { advance(micros: number): void } {
  let now = 1_000_000;
  return { nowMicros: () => now, wallMillis: () => 1_700_000_000_000, advance: (micros) => (now += micros) };
}

async function appendInLoop(log: Log, appenders: number, appendsEach: number, afterEach?: () => void): Promise<void> {
  const one = async (appender: number): Promise<void> => {
    for (let i = 0; i < appendsEach; i++) {
      await log.append(Uint8Array.of(appender, i & 0xff));
      afterEach?.();
    }
  };
  await Promise.all(Array.from({ length: appenders }, (_, appender) => one(appender)));
}

test('while one appender keeps appending inside the interval, HEAD is not rewritten per batch; its last end is published once it stops', async (t) => {
  const sim = new SimFileIO({ seed: 7 });
  let log: Log | null = null;
  const counted = countingHeadIO(sim, () => log?.durableOffset ?? 0);
  const clock = manualClock();
  log = await openLog({ dir: '/h1', io: counted.io, clock, blockBytes: 512 });
  const writesAtOpen = counted.writes();
  await appendInLoop(log, 1, 200);
  const batches = log.metrics().batches;
  t.is(batches, 200, 'one appender: one batch per append');
  await headReaches(sim, '/h1', 200);
  const writes = counted.writes() - writesAtOpen;
  // The clock never moves, so after the first write only idle moments publish: the last one, and
  // any turn in which the appender had not appended again yet.
  t.true(writes <= 3, `HEAD written ${writes} times for ${batches} batches`);
  t.true(writes >= 1, 'the last end is published');
  t.is(counted.aheadOfAcks(), 0, 'no HEAD value ahead of the acknowledged end');
  await log.close();
});

test('once the interval has passed since the last write, the next acknowledgement writes HEAD at once', async (t) => {
  const sim = new SimFileIO({ seed: 8 });
  let log: Log | null = null;
  const counted = countingHeadIO(sim, () => log?.durableOffset ?? 0);
  const clock = manualClock();
  log = await openLog({ dir: '/h2', io: counted.io, clock, blockBytes: 512 });
  const writesAtOpen = counted.writes();
  // Each acknowledged append moves the clock past the interval: every batch is published.
  await appendInLoop(log, 1, 50, () => clock.advance(limits.headWriteIntervalMicros));
  await headReaches(sim, '/h2', 50);
  const writes = counted.writes() - writesAtOpen;
  t.true(writes >= 45 && writes <= 51, `HEAD written ${writes} times for 50 batches`);
  t.is(counted.aheadOfAcks(), 0);
  await log.close();
});

test('many appenders: HEAD ends at the durable end once they stop, and never ahead of it', async (t) => {
  const sim = new SimFileIO({ seed: 9 });
  let log: Log | null = null;
  const counted = countingHeadIO(sim, () => log?.durableOffset ?? 0);
  log = await openLog({ dir: '/h3', io: counted.io, blockBytes: 512 });
  await appendInLoop(log, 16, 40);
  t.is(log.durableOffset, 640);
  await headReaches(sim, '/h3', 640);
  t.is(counted.aheadOfAcks(), 0);
  await log.close();
  t.is((await headState(sim, '/h3')).durableOffset, 640, 'close leaves the end in HEAD');
});

test('truncateAfter and close record the newest acknowledged end even when its publication was deferred', async (t) => {
  const sim = new SimFileIO({ seed: 10 });
  const clock = manualClock();
  const log = await openLog({ dir: '/h4', io: sim, clock, blockBytes: 512 });
  await appendInLoop(log, 1, 30);
  const result = await log.truncateAfter(20);
  t.is(result.nextOffset, 20);
  await appendInLoop(log, 1, 5);
  await log.close();
  const state = await headState(sim, '/h4');
  t.is(state.durableOffset, 25);
  t.is(state.truncatedAt, 20);
});

test('a log that fails still leaves its last acknowledged end in HEAD at close, even one whose write was deferred', async (t) => {
  const sim = new SimFileIO({ seed: 11 });
  const clock = manualClock();
  const log = await openLog({ dir: '/h5', io: sim, clock, blockBytes: 512 });
  // The clock never moves and the appender is back in the same turn each time: each end waits for
  // the next acknowledgement, and the last one never comes, since the write after it fails.
  for (let i = 0; i < 20; i++) await log.append(Uint8Array.of(i));
  sim.faults.failNext('writev', { code: 'EIO', path: /\.seg$/ });
  await t.throwsAsync(log.append(Uint8Array.of(20)));
  t.is(log.durableOffset, 20);
  t.true((await headState(sim, '/h5')).durableOffset < 20, 'the last end was deferred');
  await log.close().catch(() => undefined);
  t.is((await headState(sim, '/h5')).durableOffset, 20);
});

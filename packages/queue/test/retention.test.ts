import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import test from 'ava';
import { listRetentionHolds } from '@seglog/store';
import type { QueueEvent, QueueMessage, Queue } from '../src/index.js';
import { QUEUE_EVENT_CHANNEL, QUEUE_HOLD_NAME } from '../src/index.js';
import { QUEUE_DIR, bytes, simQueue, take, text } from './helpers/queue.js';

/** Small segments and frequent snapshots, so a few hundred messages span many segments. */
const small = {
  snapshotEveryRecords: 8,
  log: { segmentBytes: 16 * 1024, blockBytes: 512 },
  retention: { maxBytes: 16 * 1024, intervalMs: 86_400_000 },
};
const consumerOptions = { concurrency: 16, ackDeadlineMs: 3_600_000, backoff: { type: 'fixed', delayMs: 0 } } as const;

/** Enqueues `count` 300-byte messages ten at a time, and acks each as the consumer gets it. */
async function churn(queue: Queue, consumer: AsyncIterator<QueueMessage>, count: number, tag: string): Promise<void> {
  for (let done = 0; done < count; done += 10) {
    const words = Array.from({ length: 10 }, (_, i) => `${tag}-${done + i}-${'x'.repeat(300)}`);
    await Promise.all(words.map((word) => queue.enqueue(bytes(word))));
    for (let i = 0; i < words.length; i++) await (await take(consumer)).ack();
  }
}

test('retention drops settled history but never an unsettled payload; a reopen rebuilds the same state', async (t) => {
  const { queue, reopen, sim } = await simQueue(21, small);
  const consumer = queue.consumer('work', consumerOptions)[Symbol.asyncIterator]();
  await churn(queue, consumer, 200, 'early');
  const keep = await queue.enqueue(bytes('keep-me'));
  const held = await take(consumer);
  t.is(text(held.payload), 'keep-me', 'held unsettled: its payload must survive retention');
  await churn(queue, consumer, 200, 'late');
  await queue.machine.snapshotNow();
  await queue.machine.snapshotNow();
  const recordOfKeep = queue.state.messages.get(keep.offset)!.loc[0];
  const hold = queue.machine.hold;
  t.is(hold.name, QUEUE_HOLD_NAME);
  t.true(hold.offset > 0, 'the hold moved up as messages settled and snapshots were written');
  t.true(hold.offset <= recordOfKeep, `the hold ${hold.offset} stays at or below the unsettled payload's record ${recordOfKeep}`);
  const holds = await listRetentionHolds({ dir: `${QUEUE_DIR}/log`, io: sim.boot() });
  t.deepEqual(holds.map((each) => [each.name, each.offset]), [[QUEUE_HOLD_NAME, hold.offset]], 'the hold is durable in the log directory');
  await queue.machine.log.applyRetention();
  const log = queue.machine.log;
  t.true(log.firstOffset > 0, 'whole segments of settled history were dropped');
  t.true(log.firstOffset <= hold.offset, 'nothing at or above the hold was dropped');
  t.true(log.metrics().retention.segmentsDropped > 0);
  const before = Buffer.from(queue.state.snapshot()).toString('hex');
  const statsBefore = queue.stats('work');
  await queue.close({ drainMs: 0 });

  const again = await reopen({ payloadCacheBytes: 0 });
  t.is(Buffer.from(again.state.snapshot()).toString('hex'), before, 'the state rebuilt from the snapshot and the records after it is the same');
  t.deepEqual(again.stats('work').acked, statsBefore.acked);
  t.true(again.machine.stats.snapshotOffsetAtOpen! >= again.machine.log.firstOffset);
  const redelivered = await take(again.consumer('work', consumerOptions)[Symbol.asyncIterator]());
  t.is(text(redelivered.payload), 'keep-me', 'read back from the log, below which retention dropped segments');
  t.is(redelivered.deliveryCount, 2);
  await redelivered.ack();
  await again.close();
});

test('an unsettled message at the start holds every record after it: retention drops nothing and says it was held back', async (t) => {
  const { queue } = await simQueue(22, small);
  await queue.enqueue(bytes('first'));
  const slow = queue.consumer('slow', { ...consumerOptions, concurrency: 1 })[Symbol.asyncIterator]();
  const first = await take(slow);
  const fast = queue.consumer('fast', consumerOptions)[Symbol.asyncIterator]();
  await take(fast).then((message) => message.ack());
  await churn(queue, fast, 150, 'more');
  await queue.machine.snapshotNow();
  await queue.machine.snapshotNow();
  t.is(queue.machine.hold.offset, 0);
  await queue.machine.log.applyRetention();
  t.is(queue.machine.log.firstOffset, 0, 'the first record holds an unsettled payload: nothing dropped');
  t.true(queue.machine.log.metrics().retention.heldBack > 0, 'the pass says the hold held it back');
  await first.ack();
  await queue.close({ drainMs: 0 });
});

test('a long run with retention stays bounded on disk', async (t) => {
  const { queue, reopen } = await simQueue(23, small);
  const consumer = queue.consumer('work', consumerOptions)[Symbol.asyncIterator]();
  let largest = 0;
  for (let round = 0; round < 12; round++) {
    await churn(queue, consumer, 60, `round${round}`);
    await queue.machine.log.applyRetention();
    largest = Math.max(largest, queue.machine.log.metrics().retention.logBytes);
  }
  const { bytesDropped, logBytes } = queue.machine.log.metrics().retention;
  t.log({ bytesDropped, largest, logBytes });
  t.true(bytesDropped > 4 * largest, `dropped ${bytesDropped} bytes, several times the most ever on disk (${largest})`);
  t.true(largest < 12 * 16 * 1024, `at most a few segments on disk (${largest} bytes, now ${logBytes})`);
  await queue.close();
  const again = await reopen();
  t.like(again.stats('work'), { acked: 720, backlog: 0, inFlight: 0 });
  await again.close();
});

test('a forced truncation past the hold: the lost messages are retired as expired, counted and reported, never redelivered in a loop', async (t) => {
  const { queue, reopen } = await simQueue(24, { ...small, payloadCacheBytes: 0 });
  const lost = await queue.enqueueMany([{ payload: bytes('lost-1') }, { payload: bytes('lost-2') }]);
  const work = queue.consumer('work', consumerOptions);
  const fast = queue.consumer('fast', consumerOptions)[Symbol.asyncIterator]();
  await take(fast).then((message) => message.ack());
  await take(fast).then((message) => message.ack());
  await churn(queue, fast, 150, 'more');
  await queue.machine.snapshotNow();
  const log = queue.machine.log;
  const cut = queue.state.messages.get(lost[1]!.offset)!.loc[0] + 1;
  const result = await log.truncateBefore(cut, { force: true });
  t.deepEqual(result.overriddenHolds.map((hold) => hold.name), [QUEUE_HOLD_NAME], 'the forced drop says it went past the queue');
  t.true(log.firstOffset >= cut);

  const expiredEvents: number[] = [];
  let bothExpired!: () => void;
  const reported = new Promise<void>((resolve) => (bothExpired = resolve));
  const onEvent = (event: unknown): void => {
    const { kind, offset, group } = event as QueueEvent;
    if (kind !== 'expire' || group !== 'work') return;
    expiredEvents.push(offset);
    if (expiredEvents.length === 2) bothExpired();
  };
  subscribe(QUEUE_EVENT_CHANNEL, onEvent);
  t.teardown(() => unsubscribe(QUEUE_EVENT_CHANNEL, onEvent));
  const iterator = work[Symbol.asyncIterator]();
  const first = await take(iterator);
  t.true(text(first.payload).startsWith('more-0-'), 'the first message delivered is the first one whose record is still there');
  await reported;
  t.deepEqual(expiredEvents.sort(), lost.map((receipt) => receipt.offset));
  t.like(queue.stats('work'), { expired: 2, deadLettered: 0 });
  t.false(queue.state.messages.has(lost[0]!.offset), 'no group holds the expired messages any more');
  await first.ack();
  await queue.close({ drainMs: 0 });
  const again = await reopen({ payloadCacheBytes: 0 });
  t.is(again.stats('work').expired, 2, 'the count is durable');
  await again.close();
});

import test from 'ava';
import { isSeglogError } from '@seglog/types';
import type { QueueMessage } from '../src/index.js';
import { bytes, simQueue, sleep, take, text } from './helpers/queue.js';
import { VirtualClock } from './helpers/virtual-clock.js';

test('enqueue is durable, a consumer receives it, ack settles it for good across a reopen', async (t) => {
  const { queue, reopen } = await simQueue(1);
  const receipt = await queue.enqueue(bytes('hello'));
  t.deepEqual(receipt, { offset: 0, duplicate: false });
  const consumer = queue.consumer('work')[Symbol.asyncIterator]();
  const message = await take(consumer);
  t.is(text(message.payload), 'hello');
  t.is(message.offset, 0);
  t.is(message.deliveryCount, 1);
  t.like(queue.stats('work'), { inFlight: 1, backlog: 0 });
  await message.ack();
  t.like(queue.stats('work'), { inFlight: 0, backlog: 0, acked: 1 });
  await queue.close();
  const again = await reopen();
  t.like(again.stats('work'), { inFlight: 0, backlog: 0, acked: 1 });
  t.is(again.state.messages.size, 0, 'a message settled by every group is no longer held');
  await again.close();
});

test('two groups each get every message (fan-out without copies), with their own state', async (t) => {
  const { queue } = await simQueue(2);
  await queue.enqueueMany([{ payload: bytes('a') }, { payload: bytes('b') }]);
  const one = queue.consumer('one', { concurrency: 2 })[Symbol.asyncIterator]();
  const two = queue.consumer('two', { concurrency: 2 })[Symbol.asyncIterator]();
  const fromOne = [await take(one), await take(one)];
  const fromTwo = [await take(two), await take(two)];
  t.deepEqual(fromOne.map((m) => text(m.payload)), ['a', 'b']);
  t.deepEqual(fromTwo.map((m) => text(m.payload)), ['a', 'b']);
  await Promise.all(fromOne.map((m) => m.ack()));
  t.like(queue.stats('one'), { backlog: 0, inFlight: 0 });
  t.like(queue.stats('two'), { inFlight: 2 });
  t.is(queue.state.messages.size, 2, 'held until group two settles');
  await Promise.all(fromTwo.map((m) => m.ack()));
  t.is(queue.state.messages.size, 0);
  await queue.close();
});

test('a lapsed lease is redelivered with a higher count; the late ack is fenced and changes nothing', async (t) => {
  const clock = new VirtualClock(1_000_000);
  const { queue } = await simQueue(3, { clock });
  await queue.enqueue(bytes('slow'));
  const consumer = queue.consumer('work', { ackDeadlineMs: 40, backoff: { type: 'fixed', delayMs: 0 } })[Symbol.asyncIterator]();
  const first = await take(consumer);
  const pending = take(consumer);
  clock.advance(60);
  const second = await pending;
  t.true(first.signal.aborted, 'the first delivery was told its lease lapsed');
  t.is(second.offset, first.offset);
  t.is(second.deliveryCount, 2);
  const error = await t.throwsAsync(first.ack());
  t.true(isSeglogError(error, 'SEGLOG_STALE_DELIVERY'));
  t.like(queue.stats('work'), { inFlight: 1, acked: 0, redelivered: 1 });
  await second.ack();
  t.like(queue.stats('work'), { inFlight: 0, acked: 1 });
  const again = await t.throwsAsync(second.ack());
  t.true(isSeglogError(again, 'SEGLOG_STALE_DELIVERY'), 'a second ack of the same delivery is stale too');
  await queue.close();
});

test('past maxDeliveries a message moves to the dead-letter group with its origin, count and reason; redrive brings it back', async (t) => {
  const { queue } = await simQueue(4);
  await queue.enqueue(bytes('poison'));
  const consumer = queue.consumer('work', { maxDeliveries: 2, backoff: { type: 'fixed', delayMs: 0 } })[Symbol.asyncIterator]();
  const first = await take(consumer);
  await first.nak();
  const second = await take(consumer);
  t.is(second.deliveryCount, 2);
  await second.nak();
  t.like(queue.stats('work'), { backlog: 0, inFlight: 0, deadLetters: 1, deadLettered: 1 });
  const dead = queue.consumer('work.dead')[Symbol.asyncIterator]();
  const letter = await take(dead);
  t.is(text(letter.payload), 'poison');
  t.deepEqual(letter.deadLetter, { origin: 'work', originOffset: 0, deliveries: 2, reason: 'maxDeliveries' });
  await letter.nak({ delayMs: 0 });
  t.is(await queue.redrive('work'), 1);
  t.like(queue.stats('work'), { deadLetters: 0, backlog: 1 });
  const back = await take(consumer);
  t.is(text(back.payload), 'poison');
  t.is(back.deliveryCount, 1, 'a redriven message starts a fresh count');
  t.not(back.offset, 0, 'it is a new message linked to the old payload');
  await back.ack();
  await queue.close();
});

test('term retires a message at once, with its reason, into the dead-letter group; deadLetter false drops it', async (t) => {
  const { queue } = await simQueue(5);
  await queue.enqueueMany([{ payload: bytes('x') }, { payload: bytes('y') }]);
  const work = queue.consumer('work')[Symbol.asyncIterator]();
  await (await take(work)).term({ reason: 'bad input' });
  t.like(queue.stats('work'), { deadLetters: 1 });
  const letter = await take(queue.consumer('work.dead')[Symbol.asyncIterator]());
  t.is(letter.deadLetter?.reason, 'bad input');
  const drop = queue.consumer('drop', { deadLetter: false })[Symbol.asyncIterator]();
  await (await take(drop)).term();
  t.like(queue.stats('drop'), { deadLetters: 0, deadLettered: 0 });
  await queue.close({ drainMs: 0 });
});

test('nak with a delay holds the message back; a delayed enqueue waits too', async (t) => {
  const { queue } = await simQueue(6);
  const start = Date.now();
  await queue.enqueue(bytes('later'), { delayMs: 60 });
  const consumer = queue.consumer('work')[Symbol.asyncIterator]();
  const message = await take(consumer);
  t.true(Date.now() - start >= 60, 'not delivered before its delay');
  const nakedAt = Date.now();
  await message.nak({ delayMs: 50 });
  const again = await take(consumer);
  t.true(Date.now() - nakedAt >= 50);
  t.is(again.deliveryCount, 2);
  await again.ack();
  await queue.close();
});

test('per-key ordering: one in flight per key, in enqueue order, and a stuck key blocks only itself', async (t) => {
  const { queue } = await simQueue(7);
  await queue.enqueueMany(['a1', 'a2', 'b1', 'a3', 'b2'].map((name) => ({ payload: bytes(name), options: { key: name[0]! } })));
  const consumer = queue.consumer('work', { concurrency: 4 })[Symbol.asyncIterator]();
  const first = await take(consumer);
  const second = await take(consumer);
  t.deepEqual([text(first.payload), text(second.payload)], ['a1', 'b1']);
  await second.ack();
  const third = await take(consumer);
  t.is(text(third.payload), 'b2', 'key b goes on while a1 is unsettled');
  await third.ack();
  await first.nak({ delayMs: 0 });
  const retry = await take(consumer);
  t.is(text(retry.payload), 'a1', 'a naked message keeps its key slot: a2 does not pass it');
  await retry.ack();
  t.is(text((await take(consumer)).payload), 'a2');
  await queue.close({ drainMs: 0 });
});

test('dedupId drops a repeat within the window and returns the first offset; after the window it is new', async (t) => {
  const clock = new VirtualClock(1_000_000);
  const { queue, reopen } = await simQueue(8, { dedupWindowMs: 400, clock });
  const first = await queue.enqueue(bytes('1'), { dedupId: 'order-7' });
  const repeat = await queue.enqueue(bytes('2'), { dedupId: 'order-7' });
  t.deepEqual(repeat, { offset: first.offset, duplicate: true });
  await queue.close();
  const again = await reopen({ dedupWindowMs: 400, clock });
  clock.advance(399);
  t.true((await again.enqueue(bytes('3'), { dedupId: 'order-7' })).duplicate, 'the window survives a reopen');
  clock.advance(1);
  t.false((await again.enqueue(bytes('4'), { dedupId: 'order-7' })).duplicate);
  await again.close();
});

test('higher priority is delivered first; equal priorities in enqueue order', async (t) => {
  const { queue } = await simQueue(9);
  await queue.enqueueMany([
    { payload: bytes('low1') },
    { payload: bytes('high'), options: { priority: 7 } },
    { payload: bytes('mid'), options: { priority: 3 } },
    { payload: bytes('low2') },
  ]);
  const consumer = queue.consumer('work')[Symbol.asyncIterator]();
  const order: string[] = [];
  for (let i = 0; i < 4; i++) {
    const message = await take(consumer);
    order.push(text(message.payload));
    await message.ack();
  }
  t.deepEqual(order, ['high', 'mid', 'low1', 'low2']);
  await queue.close();
});

test('pause is durable and stops deliveries; resume restarts them', async (t) => {
  const { queue, reopen } = await simQueue(10);
  queue.consumer('work');
  await queue.pause('work');
  await queue.close();
  const again = await reopen();
  t.true(again.stats('work').paused);
  await again.enqueue(bytes('m'));
  const consumer = again.consumer('work')[Symbol.asyncIterator]();
  const pending = take(consumer);
  await sleep(50);
  t.like(again.stats('work'), { inFlight: 0, backlog: 1 });
  await again.resume('work');
  t.is(text((await pending).payload), 'm');
  await again.close({ drainMs: 0 });
});

test('a transaction acks one message and enqueues follow-ups in one record; a stale one changes nothing', async (t) => {
  const clock = new VirtualClock(1_000_000);
  const { queue } = await simQueue(11, { clock });
  await queue.enqueue(bytes('step1'));
  const consumer = queue.consumer('work', { ackDeadlineMs: 40, backoff: { type: 'fixed', delayMs: 0 } })[Symbol.asyncIterator]();
  const message = await take(consumer);
  const before = queue.machine.appliedOffset;
  const receipts = await queue.transact((tx) => {
    tx.ack(message);
    tx.enqueue(bytes('step2'));
    tx.enqueue(bytes('step3'));
  });
  t.is(queue.machine.appliedOffset, before + 1, 'one record');
  t.deepEqual(receipts.map((receipt) => receipt.offset), [1, 2]);
  const next = await take(consumer);
  t.is(text(next.payload), 'step2');
  const pendingThird = take(consumer);
  clock.advance(60);
  const third = await pendingThird;
  t.is(text(third.payload), 'step3');
  await third.ack();
  const redelivered = await take(consumer);
  t.is(text(redelivered.payload), 'step2', 'step2 lapsed (40 ms lease) and came back');
  t.is(redelivered.deliveryCount, 2);
  const heldBefore = queue.state.nextSeq;
  const error = await t.throwsAsync(queue.transact((tx) => {
    tx.enqueue(bytes('never'));
    tx.ack(next);
  }));
  t.true(isSeglogError(error, 'SEGLOG_STALE_DELIVERY'));
  t.is(queue.state.nextSeq, heldBefore, 'the enqueue of a stale transaction was not applied');
  await queue.close({ drainMs: 0 });
});

test('inProgress extends the lease so a slow handler keeps its delivery', async (t) => {
  const clock = new VirtualClock(1_000_000);
  const { queue } = await simQueue(12, { clock });
  await queue.enqueue(bytes('long'));
  const consumer = queue.consumer('work', { ackDeadlineMs: 60 })[Symbol.asyncIterator]();
  const message = await take(consumer);
  for (let i = 0; i < 4; i++) {
    clock.advance(50);
    await message.inProgress();
    t.is(message.deadlineMs, clock.nowMs() + 60);
  }
  clock.advance(50);
  t.false(message.signal.aborted);
  await message.ack();
  t.like(queue.stats('work'), { redelivered: 0, acked: 1 });
  await queue.close();
});

test('a lease lapses at its deadline, not before, on the queue clock', async (t) => {
  const clock = new VirtualClock(1_000_000);
  const { queue } = await simQueue(18, { clock });
  await queue.enqueue(bytes('m'));
  const message = await take(queue.consumer('work', { ackDeadlineMs: 100 })[Symbol.asyncIterator]());
  clock.advance(99);
  t.false(message.signal.aborted);
  clock.advance(20);
  t.true(message.signal.aborted);
  t.true(isSeglogError(await t.throwsAsync(message.ack()), 'SEGLOG_STALE_DELIVERY'));
  await queue.close({ drainMs: 0 });
});

test('the handler form acks on return and naks on throw', async (t) => {
  const { queue } = await simQueue(13);
  await queue.enqueueMany(['ok', 'fail', 'ok2'].map((name) => ({ payload: bytes(name) })));
  const consumer = queue.consumer('work', { concurrency: 2, maxDeliveries: 2, backoff: { type: 'fixed', delayMs: 0 } });
  const seen: string[] = [];
  const done = consumer.process(async (message) => {
    seen.push(`${text(message.payload)}#${message.deliveryCount}`);
    if (text(message.payload) === 'fail') throw new Error('boom');
  });
  while (queue.stats('work').acked < 2 || queue.stats('work').deadLettered < 1) await sleep(5);
  consumer.close();
  await done;
  t.deepEqual(seen.sort(), ['fail#1', 'fail#2', 'ok#1', 'ok2#1']);
  await queue.close();
});

test('close({ drainMs }) waits for handlers, then aborts the rest; their deliveries come back after reopen, counted', async (t) => {
  const { queue, reopen } = await simQueue(14);
  await queue.enqueue(bytes('stuck'));
  const message = await take(queue.consumer('work', { backoff: { type: 'fixed', delayMs: 0 } })[Symbol.asyncIterator]());
  await queue.close({ drainMs: 30 });
  t.true(message.signal.aborted);
  const again = await reopen();
  const redelivered = await take(again.consumer('work', { backoff: { type: 'fixed', delayMs: 0 } })[Symbol.asyncIterator]());
  t.is(redelivered.deliveryCount, 2);
  await redelivered.ack();
  await again.close();
});

test('a poison message that kills the process still reaches maxDeliveries: each delivery is durable before the handler runs', async (t) => {
  const { sim, reopen, queue } = await simQueue(15);
  await queue.enqueue(bytes('poison'));
  let current = queue;
  for (let run = 1; run <= 3; run++) {
    const consumer = current.consumer('work', { maxDeliveries: 3, backoff: { type: 'fixed', delayMs: 0 } })[Symbol.asyncIterator]();
    const message = await take(consumer);
    t.is(message.deliveryCount, run);
    sim.crash();
    await current.close({ drainMs: 0 }).catch(() => undefined);
    current = await reopen();
  }
  current.consumer('work', { maxDeliveries: 3, backoff: { type: 'fixed', delayMs: 0 } });
  while (current.stats('work').deadLetters === 0) await sleep(5);
  t.like(current.stats('work'), { deadLettered: 1, backlog: 0, inFlight: 0 });
  await current.close();
});

test('open loads the newest snapshot and replays only the records after it', async (t) => {
  const { queue, reopen } = await simQueue(16, { snapshotEveryRecords: 50 });
  for (let i = 0; i < 120; i++) await queue.enqueue(bytes(`m${i}`));
  const stats = queue.stats.bind(queue);
  t.throws(() => stats('nobody'), { message: /SEGLOG_INVALID_OPTION/ });
  queue.consumer('work');
  await sleep(10);
  await queue.close();
  const again = await reopen({ snapshotEveryRecords: 50 });
  t.is(again.machine.stats.replayedRecords, 0, 'close wrote a snapshot');
  t.like(again.stats('work'), { backlog: 120 });
  await again.close();
});

test('bad input is a coded error; misuse is a TypeError', async (t) => {
  const { queue } = await simQueue(17);
  await t.throwsAsync(queue.enqueue(bytes('x'), { priority: 8 }), { message: /SEGLOG_INVALID_OPTION/ });
  await t.throwsAsync(queue.enqueue(bytes('x'), { delayMs: -1 }), { message: /SEGLOG_INVALID_OPTION/ });
  await t.throwsAsync(queue.enqueue(bytes('x'), { key: '' }), { message: /SEGLOG_INVALID_OPTION/ });
  await t.throwsAsync(queue.enqueue('text' as unknown as Uint8Array), { instanceOf: TypeError });
  t.throws(() => queue.consumer('work', { concurrency: 0 }), { message: /SEGLOG_INVALID_OPTION/ });
  t.throws(() => queue.consumer('work', { backoff: { type: 'list', delaysMs: [] } }), { message: /SEGLOG_INVALID_OPTION/ });
  t.throws(() => queue.consumer('work', { deadLetter: 'work' }), { message: /SEGLOG_INVALID_OPTION/ });
  queue.consumer('work', { ackDeadlineMs: 1000 });
  t.throws(() => queue.consumer('work', { ackDeadlineMs: 2000 }), { message: /SEGLOG_INVALID_OPTION/ });
  await queue.close();
  await t.throwsAsync(queue.enqueue(bytes('x')), { message: /SEGLOG_CLOSED/ });
});

// Regression: with more deliveries wanted than fit in one record (maxRecordBytes), the delivery
// record was refused and the consumer waited for ever; and enqueueMany counted only payload bytes
// against the record size. Both now pack records to half of maxRecordBytes.
test('a consumer with thousands of free slots gets every message, with records capped small', async (t) => {
  const { queue } = await simQueue(19, { log: { maxRecordBytes: 64 * 1024 } });
  const count = 2500;
  await queue.enqueueMany(Array.from({ length: count }, (_, index) => ({ payload: bytes(`m${index}`) })));
  const consumer = queue.consumer('work', { concurrency: count });
  const messages = await Promise.all(Array.from({ length: count }, () => consumer.next()));
  t.is(new Set(messages.map((next) => (next.value as QueueMessage).offset)).size, count);
  t.like(queue.stats('work'), { inFlight: count, backlog: 0 });
  await queue.close({ drainMs: 0 });
});

test('deliveries of messages enqueued here come from the payload cache; without it, from the log', async (t) => {
  for (const payloadCacheBytes of [undefined, 0]) {
    const { queue } = await simQueue(21, payloadCacheBytes === undefined ? {} : { payloadCacheBytes });
    await queue.enqueueMany([{ payload: bytes('a') }, { payload: bytes('b') }]);
    const consumer = queue.consumer('work', { concurrency: 2 });
    const received = [await consumer.next(), await consumer.next()];
    const texts = received.map((next) => text((next.value as QueueMessage).payload));
    t.deepEqual(texts.sort(), ['a', 'b']);
    t.deepEqual(queue.payloadCache.hits, payloadCacheBytes === 0 ? 0 : 2);
    await queue.close({ drainMs: 0 });
  }
});

test('one group: a delivery takes the cached bytes (no copy, out of the cache); a redelivery and other groups still get their own', async (t) => {
  const { queue } = await simQueue(22, {});
  await queue.enqueue(bytes('solo'));
  const consumer = queue.consumer('work', { concurrency: 1, backoff: { type: 'fixed', delayMs: 0 } });
  const first = (await consumer.next()).value as QueueMessage;
  t.like(queue.payloadCache, { hits: 1, bytes: 0 }, 'the only holder took the bytes out of the cache');
  first.payload.fill(0x21); // the handler owns them: nothing else sees this
  await first.nak({ delayMs: 0 });
  const again = (await consumer.next()).value as QueueMessage;
  t.is(text(again.payload), 'solo', 'the redelivery reads the log');
  t.is(again.deliveryCount, 2);
  await again.ack();
  // Two groups hold the next message: each delivery is a copy, and the cache keeps it for the other.
  const other = queue.consumer('audit', { concurrency: 1 });
  await queue.enqueue(bytes('both'));
  const a = (await consumer.next()).value as QueueMessage;
  a.payload.fill(0x21);
  const b = (await other.next()).value as QueueMessage;
  t.is(text(b.payload), 'both');
  await Promise.all([a.ack(), b.ack()]);
  await queue.close({ drainMs: 0 });
});

// Regression: under load a lease lapsed while its payload was being read; the hand-out was dropped
// but freed its consumer slot without asking for another delivery, so the consumer hung.
test('a lease that lapses before its hand-out is redelivered, and the consumer does not stall', async (t) => {
  const clock = new VirtualClock(1_000_000);
  // No payload cache: the hand-out must read the log, which is when the lease can lapse.
  const { queue } = await simQueue(20, { clock, payloadCacheBytes: 0 });
  await queue.enqueue(bytes('m'));
  const consumer = queue.consumer('work', { ackDeadlineMs: 5, backoff: { type: 'fixed', delayMs: 0 } });
  const pending = consumer.next();
  // Advance the clock as soon as the delivery record is applied: before the payload read finishes.
  while (queue.stats('work').inFlight === 0) await new Promise((resolve) => setImmediate(resolve));
  clock.advance(20);
  const next = await pending;
  const message = next.value as QueueMessage;
  t.true(message.deliveryCount >= 2, `delivery ${message.deliveryCount}`);
  await message.ack();
  await queue.close();
});

/**
 * One job: live tailing (issue 12): `read({ from, follow: true, signal })` yields records as they
 * become durable, across segment rolls, and every way of ending it frees what it held.
 */
import test from 'ava';
import { openLog, type Log } from '@seglog/store';
import { SimFileIO } from '@seglog/testkit';
import { ErrorCodes, isSeglogError, type DurableSource, type LogRecord } from '@seglog/types';
import { openReader } from '../src/index.js';

/** The offset of the next record, failing if the iteration ended instead. */
async function nextOffset(iterator: AsyncIterator<LogRecord>): Promise<number> {
  const result = await iterator.next();
  if (result.done === true) throw new Error('the iteration ended');
  return result.value.offset;
}

/** The log as a durable source that counts live onDurable subscriptions. */
function countingSource(log: Log): DurableSource & { readonly subscriptions: number } {
  let subscriptions = 0;
  return {
    get durableOffset() {
      return log.durableOffset;
    },
    get subscriptions() {
      return subscriptions;
    },
    onDurable(listener) {
      subscriptions++;
      const unsubscribe = log.onDurable(listener);
      return () => {
        subscriptions--;
        unsubscribe();
      };
    },
  };
}

function payload(offset: number): Uint8Array {
  return new TextEncoder().encode(`record ${offset}`.padEnd(300, '.'));
}

async function appendAll(log: Log, count: number): Promise<void> {
  for (let sent = 0; sent < count; ) {
    const run = Array.from({ length: 1 + (sent % 7) }, (_, i) => payload(log.nextOffset + i));
    sent += run.length;
    await log.appendMany(run);
  }
}

for (const via of ['log', 'HEAD'] as const) {
  test(`a follower (${via}) gets every record once, in order, across segment rolls, and breaking out frees it`, async (t) => {
    const io = new SimFileIO({ seed: via === 'log' ? 21 : 22 });
    const log = await openLog({ dir: '/f', io, blockBytes: 512, segmentBytes: 8 * 1024 });
    const source = countingSource(log);
    const reader = await openReader(via === 'log' ? { dir: '/f', io, durable: source } : { dir: '/f', io });
    const target = 400;
    const seen: number[] = [];
    const follower = (async () => {
      for await (const record of reader.read({ from: 0, follow: true })) {
        t.is(new TextDecoder().decode(record.payload).replace(/\.+$/, ''), `record ${record.offset}`);
        seen.push(record.offset);
        if (seen.length === target) break;
      }
    })();
    await appendAll(log, target);
    await follower;
    t.deepEqual(seen, Array.from({ length: target }, (_, i) => i));
    t.true((await io.readdir('/f')).filter((name) => name.endsWith('.seg')).length > 3, 'the log rolled several times');
    t.is(source.subscriptions, 0, 'breaking out unsubscribed from the log');
    await reader.close();
    await log.close();
  });
}

test('an AbortSignal ends a waiting follow with its reason and frees the hook', async (t) => {
  const io = new SimFileIO({ seed: 23 });
  const log = await openLog({ dir: '/a', io, blockBytes: 512 });
  await log.append(payload(0));
  const source = countingSource(log);
  const reader = await openReader({ dir: '/a', io, durable: source });
  const controller = new AbortController();
  const reason = new Error('stop following');
  const seen: number[] = [];
  const follow = (async () => {
    for await (const record of reader.read({ from: 0, follow: true, signal: controller.signal })) {
      seen.push(record.offset);
      if (seen.length === 1) setTimeout(() => controller.abort(reason), 20);
    }
  })();
  const error = await t.throwsAsync(follow);
  t.is(error, reason, 'rejects with signal.reason itself');
  t.deepEqual(seen, [0]);
  t.is(source.subscriptions, 0);
  // AbortSignal.timeout's reason is a DOMException (not an Error), so it is caught by hand.
  const timedOut = await (async () => {
    for await (const _ of reader.read({ from: 1, follow: true, signal: AbortSignal.timeout(30) })) t.fail('nothing to read');
  })().then(
    () => null,
    (error: unknown) => error as DOMException,
  );
  t.is(timedOut?.name, 'TimeoutError', 'AbortSignal.timeout rejects with its TimeoutError');
  const already = await t.throwsAsync(reader.read({ from: 0, follow: true, signal: AbortSignal.abort(reason) }).next());
  t.is(already, reason, 'an aborted signal rejects before reading');
  t.is(source.subscriptions, 0);
  await reader.close();
  await log.close();
});

test('reader.close() ends a waiting follow (done) and frees the hook', async (t) => {
  const io = new SimFileIO({ seed: 24 });
  const log = await openLog({ dir: '/c', io, blockBytes: 512 });
  const source = countingSource(log);
  const reader = await openReader({ dir: '/c', io, durable: source });
  const iterator = reader.read({ from: 0, follow: true });
  const next = iterator.next();
  const tick = (): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, 1));
  for (let turn = 0; turn < 1000 && source.subscriptions === 0; turn++) await tick();
  t.is(source.subscriptions, 1, 'the waiting follow listens to the log');
  await reader.close();
  t.deepEqual(await next, { done: true, value: undefined });
  t.is(source.subscriptions, 0);
  await log.close();
});

test('to wins over follow, an empty range ends at once, and a follow from past the end waits for it', async (t) => {
  const io = new SimFileIO({ seed: 25 });
  const log = await openLog({ dir: '/t', io, blockBytes: 512 });
  await log.appendMany([payload(0), payload(1), payload(2)]);
  const reader = await openReader({ dir: '/t', io });
  const bounded: number[] = [];
  for await (const record of reader.read({ from: 1, to: 3, follow: true })) bounded.push(record.offset);
  t.deepEqual(bounded, [1, 2]);
  const past = await t.throwsAsync(async () => {
    for await (const _ of reader.read({ from: 0, to: 5, follow: true })) continue;
  });
  t.true(isSeglogError(past) && past.code === ErrorCodes.OUT_OF_RANGE, 'to past the end is OUT_OF_RANGE, not a wait');
  t.deepEqual(await reader.read({ from: 2, to: 2, follow: true }).next(), { done: true, value: undefined });
  const ahead = nextOffset(reader.read({ from: 5, follow: true }));
  await log.appendMany([payload(3), payload(4), payload(5)]);
  t.is(await ahead, 5, 'the follow started past the end returned offset 5 once it existed');
  await reader.close();
  await log.close();
});

test('bad follow and signal arguments are SEGLOG_INVALID_OPTION', async (t) => {
  const io = new SimFileIO({ seed: 26 });
  const log = await openLog({ dir: '/m', io, blockBytes: 512 });
  const reader = await openReader({ dir: '/m', io, durable: log });
  const invalid = (run: () => unknown, message: RegExp) => {
    const error = t.throws(run);
    t.true(isSeglogError(error) && error.code === ErrorCodes.INVALID_OPTION);
    t.regex(error.message, message);
  };
  invalid(() => reader.read({ from: 0, follow: 'yes' as never }), /follow must be a boolean, got string "yes"/);
  invalid(() => reader.read({ from: 0, signal: {} as never }), /signal must be an AbortSignal/);
  await reader.close();
  await log.close();
});

/**
 * The binary operations of the queue's socket protocol (src/remote/wire.ts): every operation
 * round-trips with its fields, one turn's operations go out as one frame, JSON frames keep their
 * order against batched operations, and a malformed batch is SEGLOG_CORRUPT, never a guess.
 */
import test from 'ava';
import { BatchWriter, encodeFrame, FrameReader, readOwnerBatch, readWorkerBatch } from '../src/index.js';
import type { Frame, FrameSink, OwnerOps, WorkerOps } from '../src/index.js';
import { bytes, sleep, text } from './helpers/queue.js';

/** Collects what a writer sends, as the peer's FrameReader cuts it. */
class Collector implements FrameSink {
  readonly writes: Uint8Array[] = [];
  readonly destroyed = false;
  write(chunk: Uint8Array): boolean {
    this.writes.push(chunk.slice());
    return true;
  }
  frames(): Frame[] {
    const reader = new FrameReader();
    return this.writes.flatMap((chunk) => reader.push(chunk));
  }
}

function ownerLog(): { ops: OwnerOps; seen: unknown[] } {
  const seen: unknown[] = [];
  return {
    seen,
    ops: {
      enqueue: (id, options, payload) => seen.push(['enqueue', id, options, text(payload)]),
      pull: (cid, n) => seen.push(['pull', cid, n]),
      batchEnd: () => seen.push(['end of batch']),
      settle: (id, cid, offset, attempt, kind, options) =>
        seen.push(['settle', id, cid, offset, attempt, kind, options]),
    },
  };
}

function workerLog(): { ops: WorkerOps; seen: unknown[] } {
  const seen: unknown[] = [];
  return {
    seen,
    ops: {
      reply: (id, result, error) => seen.push(['reply', id, result, error]),
      msg: (cid, d, payload) => seen.push(['msg', cid, { ...d }, text(payload)]),
      lapse: (cid, offset, attempt) => seen.push(['lapse', cid, offset, attempt]),
      end: (cid) => seen.push(['end', cid]),
    },
  };
}

test('a worker\'s operations of one turn go out as one frame and come back with every field', async (t) => {
  const sink = new Collector();
  const writer = new BatchWriter(sink);
  const payload = bytes('hello');
  writer.enqueue(1, '', payload);
  payload.set(bytes('XXXXX')); // copied when written: the caller may reuse its buffer at once
  writer.enqueue(2, JSON.stringify({ key: 'k', dedupId: 'd' }), bytes(''));
  writer.pull(7, 3);
  writer.settle(3, 7, 2 ** 40 + 5, 4, 'nak', JSON.stringify({ delayMs: 10 }));
  writer.settle(4, 7, 9, 1, 'ack', '');
  t.is(sink.writes.length, 0, 'nothing is written before the turn ends');
  await sleep(5);
  t.is(sink.writes.length, 1, 'one socket write for the whole turn');
  const frames = sink.frames();
  t.is(frames.length, 1);
  t.deepEqual(frames[0]!.header, { op: 'b' });
  const { ops, seen } = ownerLog();
  readOwnerBatch(frames[0]!.body, ops);
  const prototypes: unknown[] = [];
  readOwnerBatch(frames[0]!.body, {
    enqueue: (_id, _options, payload) => prototypes.push(Object.getPrototypeOf(payload)),
    pull: () => undefined,
    settle: () => undefined,
    batchEnd: () => undefined,
  });
  t.deepEqual(prototypes, [Uint8Array.prototype, Uint8Array.prototype], 'plain Uint8Arrays (Buffer#slice would not copy)');
  t.deepEqual(seen, [
    ['enqueue', 1, null, 'hello'],
    ['enqueue', 2, { key: 'k', dedupId: 'd' }, ''],
    ['pull', 7, 3],
    ['settle', 3, 7, 2 ** 40 + 5, 4, 'nak', { delayMs: 10 }],
    ['settle', 4, 7, 9, 1, 'ack', {}],
    ['end of batch'],
  ]);
});

test('the owner\'s operations come back with every field; a JSON frame follows what was batched before it', async (t) => {
  const sink = new Collector();
  const writer = new BatchWriter(sink);
  writer.replyOk(1);
  writer.replyReceipt(2, 123_456_789_012, true);
  writer.replyError(3, { code: 'SEGLOG_STALE_DELIVERY', message: 'lapsed' });
  const enqueuedAtMs = 1_765_000_000_123;
  const delivery = { offset: 5, attempt: 2, priority: 3, enqueuedAtMs, deadlineMs: enqueuedAtMs + 30_000 };
  writer.msg(9, { ...delivery, key: undefined, deadLetter: undefined }, bytes('plain'));
  const deadLetter = { group: 'work', deliveryCount: 5, reason: 'poison' };
  writer.msg(9, { ...delivery, key: 'user-1', deadLetter }, bytes('dead'));
  writer.lapse(9, 5, 2);
  writer.end(9);
  writer.frame(encodeFrame({ op: 'reply', id: 4, result: null }));
  t.is(sink.writes.length, 2, 'the JSON frame flushed the batch before it');
  const frames = sink.frames();
  t.deepEqual(frames.map((frame) => frame.header.op), ['b', 'reply']);
  const { ops, seen } = workerLog();
  readWorkerBatch(frames[0]!.body, ops);
  t.deepEqual(seen, [
    ['reply', 1, null, undefined],
    ['reply', 2, { offset: 123_456_789_012, duplicate: true }, undefined],
    ['reply', 3, undefined, { code: 'SEGLOG_STALE_DELIVERY', message: 'lapsed' }],
    ['msg', 9, { ...delivery, key: undefined, deadLetter: undefined }, 'plain'],
    ['msg', 9, { ...delivery, key: 'user-1', deadLetter }, 'dead'],
    ['lapse', 9, 5, 2],
    ['end', 9],
  ]);
});

test('a large turn is cut into frames of about 1 MiB; every operation arrives once, in order', async (t) => {
  const sink = new Collector();
  const writer = new BatchWriter(sink);
  const payload = new Uint8Array(100 * 1024);
  for (let id = 1; id <= 30; id++) writer.enqueue(id, '', payload);
  await sleep(5);
  t.true(sink.writes.length >= 3);
  const ids: number[] = [];
  for (const frame of sink.frames()) {
    const fail = (): void => t.fail();
    const ops: OwnerOps = { enqueue: (id) => ids.push(id), pull: fail, settle: fail, batchEnd: () => undefined };
    readOwnerBatch(frame.body, ops);
  }
  t.deepEqual(ids, Array.from({ length: 30 }, (_, index) => index + 1));
});

test('a malformed batch is SEGLOG_CORRUPT: an unknown operation, one cut short, a settle of no known kind', (t) => {
  const { ops } = ownerLog();
  t.throws(() => readOwnerBatch(Uint8Array.of(99), ops), { code: 'SEGLOG_CORRUPT', message: /operation 99/ });
  t.throws(() => readOwnerBatch(Uint8Array.of(2, 1, 0), ops), { code: 'SEGLOG_CORRUPT', message: /cut short/ });
  const settle = new Uint8Array(26);
  settle[0] = 3;
  settle[21] = 9;
  t.throws(() => readOwnerBatch(settle, ops), { code: 'SEGLOG_CORRUPT', message: /unknown kind/ });
  const enqueue = Uint8Array.of(1, 1, 0, 0, 0, 0, 0, 0, 0, 200, 0, 0, 0, 1);
  t.throws(() => readOwnerBatch(enqueue, ops), { code: 'SEGLOG_CORRUPT', message: /cut short/ });
  t.throws(() => readWorkerBatch(Uint8Array.of(1), workerLog().ops), { code: 'SEGLOG_CORRUPT', message: /operation 1/ });
});

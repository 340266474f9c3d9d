import test from 'ava';
import { isSeglogError } from '@seglog/types';
import { AckLedger } from '../src/queue/ack-ledger.js';
import { DenseColumn, denseColumnMaxEntries } from '../src/queue/dense-column.js';
import { checkE2eShape, measureE2e } from '../src/queue/e2e-run.js';
import {
  malformedSeq, maxMessageSeq, messageBytes, messageText, MessageSlabs, seqOfBytes, seqOfText,
} from '../src/queue/message-codec.js';
import type { QueuePeer } from '../src/queue/queue-peer.js';

const codeOf = (error: unknown): string | undefined => (isSeglogError(error) ? error.code : undefined);

test('a message is 128 ASCII characters, the same as text and as bytes, and gives its sequence number back', (t) => {
  const slabs = new MessageSlabs();
  for (const seq of [0, 7, 10, 123_456_789, maxMessageSeq]) {
    const text = messageText(seq);
    const bytes = slabs.bytes(seq);
    t.is(text.length, messageBytes);
    t.is(bytes.length, messageBytes);
    t.is(Buffer.from(bytes).toString('latin1'), text, `seq ${seq}: the bytes are the text`);
    t.is(seqOfText(text), seq);
    t.is(seqOfBytes(bytes), seq);
  }
  t.is(messageText(42), `000000000042:${'x'.repeat(115)}`);
});

test('views handed out are never written again, across slabs', (t) => {
  const slabs = new MessageSlabs();
  const views = Array.from({ length: 1500 }, (_, seq) => slabs.bytes(seq));
  views.forEach((view, seq) => t.is(seqOfBytes(view), seq));
  t.is(new Set(views.map((view) => view.buffer)).size, 3, '512 messages per 64 KiB slab');
});

test('a message that came back changed is malformed, never another sequence number', (t) => {
  const text = messageText(5);
  t.is(seqOfText(text.slice(1)), malformedSeq, 'too short');
  t.is(seqOfText(`${text}x`), malformedSeq, 'too long');
  t.is(seqOfText(`a${text.slice(1)}`), malformedSeq, 'a letter among the digits');
  t.is(seqOfText(`/${text.slice(1)}`), malformedSeq, 'the character below 0');
  t.is(seqOfText(text.replace(':', 'x')), malformedSeq, 'no separator');
  const bytes = new MessageSlabs().bytes(5);
  t.is(seqOfBytes(bytes.subarray(1)), malformedSeq);
  const changed = Uint8Array.from(bytes);
  changed[3] = 0x3a;
  t.is(seqOfBytes(changed), malformedSeq);
});

test('a sequence number outside 0-(10^12 - 1) is a coded error', (t) => {
  for (const seq of [-1, maxMessageSeq + 1, 1.5, Number.NaN]) {
    t.is(codeOf(t.throws(() => messageText(seq))), 'SEGLOG_OUT_OF_RANGE');
    t.is(codeOf(t.throws(() => new MessageSlabs().bytes(seq))), 'SEGLOG_OUT_OF_RANGE');
  }
});

test('the ledger settles each message once and counts a duplicate, an unknown and a missing ack', (t) => {
  const ledger = new AckLedger();
  const first = ledger.send(10);
  const second = ledger.send(11.5);
  const third = ledger.send(12);
  t.deepEqual([first, second, third], [0, 1, 2]);
  t.is(ledger.ack(second), 11.5, 'an ack returns the send time');
  t.is(ledger.ack(second), -1, 'a second ack of one message settles nothing');
  t.is(ledger.ack(first), 10);
  t.is(ledger.ack(3), -1, 'never sent');
  t.is(ledger.ack(malformedSeq), -1, 'malformed');
  t.like(ledger, { sent: 3, acked: 2, outstanding: 1, duplicateAcks: 1, unknownAcks: 2, unexpectedAcks: 3 });
  t.is(ledger.ack(third), 12, 'the missing one is still settleable');
  t.is(ledger.outstanding, 0);
  t.is(codeOf(t.throws(() => ledger.send(-1))), 'SEGLOG_INVALID_OPTION');
});

test('the ledger grows past its first typed array without losing a send time', (t) => {
  const ledger = new AckLedger();
  const count = 1_500_000;
  for (let i = 0; i < count; i++) ledger.send(i);
  let wrong = 0;
  for (let seq = count - 1; seq >= 0; seq--) if (ledger.ack(seq) !== seq) wrong++;
  t.is(wrong, 0);
  t.like(ledger, { acked: count, outstanding: 0, unexpectedAcks: 0 });
});

test('a dense column reads unset indices as empty, across chunks, and refuses wild ones with a coded error', (t) => {
  const column = new DenseColumn(-2);
  t.is(column.get(5), -2);
  t.is(column.get(-1), -2);
  t.is(column.get(0.5), -2);
  column.set(200_000, 3);
  t.is(column.get(200_000), 3);
  t.is(column.get(199_999), -2, 'a new chunk is filled with the empty value');
  t.is(column.get(10), -2, 'chunks below the one set stay empty');
  column.set(1, 7);
  t.deepEqual([...column.toArray(3)], [-2, 7, -2]);
  const far = column.toArray(200_001);
  t.is(far.length, 200_001);
  t.is(far[200_000], 3);
  t.is(far[70_000], -2);
  for (const index of [-1, denseColumnMaxEntries, 0.5, 2 ** 40]) {
    t.is(codeOf(t.throws(() => column.set(index, 1))), 'SEGLOG_OUT_OF_RANGE');
  }
});

test('a run shape with a missing or bad field is a coded error naming it', (t) => {
  const good = { producers: 2, concurrency: 3, warmupSeconds: 0.5, seconds: 1 };
  t.deepEqual(checkE2eShape(good), good);
  t.regex(t.throws(() => checkE2eShape({ ...good, producers: 0 })).message, /SEGLOG_INVALID_OPTION: option producers/);
  t.regex(t.throws(() => checkE2eShape({ ...good, concurrency: 1.5 })).message, /option concurrency must be a positive integer/);
  t.regex(t.throws(() => checkE2eShape({ ...good, seconds: '1' })).message, /option seconds/);
  t.regex(t.throws(() => checkE2eShape(null)).message, /option shape/);
});

/**
 * An in-memory peer: each enqueue is "durable" on the next turn, and its message (as text) is
 * handed to `deliver` one turn later, which acks it (reads its sequence number back) zero, one or
 * more times, changed or not: a consumer of unbounded concurrency.
 */
function memoryPeer(deliver: (text: string, ack: (text: string) => void) => void): QueuePeer {
  let onAcked: ((seq: number) => void) | null = null;
  const ack = (text: string): void => onAcked!(seqOfText(text));
  return {
    enqueue(seq) {
      const text = messageText(seq);
      return new Promise((resolve) => setImmediate(() => {
        resolve(undefined);
        setImmediate(() => deliver(text, ack));
      }));
    },
    consume(_concurrency, acked) {
      onAcked = acked;
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

const quick = { producers: 4, concurrency: 4, warmupSeconds: 0.05, seconds: 0.1 };

test('a run in which every message is acked once reports no unexpected ack and latencies of the window', async (t) => {
  const result = await measureE2e(memoryPeer((text, ack) => ack(text)), quick);
  t.like(result, { unexpectedAcks: 0, duplicateAcks: 0, unknownAcks: 0, serverCpuMicrosPerMessage: null });
  t.true(result.sentMessages > 0);
  t.true(result.measuredMessages > 0 && result.measuredMessages <= result.sentMessages);
  t.true(result.p50Ms <= result.p99Ms && result.p99Ms <= result.maxMs);
  t.true(result.messagesPerSecond > 0);
});

test('a run counts a duplicate ack and a changed message, and fails on a missing ack', async (t) => {
  const result = await measureE2e(memoryPeer((text, ack) => {
    const seq = seqOfText(text);
    if (seq === 4) {
      ack(text.replace(':', '-'));
      return;
    }
    ack(text);
    if (seq === 3) ack(text);
  }), quick, { drainTimeoutMs: 50 }).catch((error: unknown) => error as Error);
  t.regex(String(result instanceof Error ? result.message : ''), /^1 of \d+ messages were not acked within 50 ms .*1 duplicate, 1 unknown/,
    'the changed message never settled, so it is missing too');
  const counted = await measureE2e(memoryPeer((text, ack) => {
    ack(text);
    if (seqOfText(text) % 5 === 0) ack(text);
  }), quick);
  t.true(counted.duplicateAcks > 0);
  t.is(counted.duplicateAcks, Math.floor((counted.sentMessages - 1) / 5) + 1, 'one duplicate per fifth message');
  t.like(counted, { unknownAcks: 0, unexpectedAcks: counted.duplicateAcks });
  const missing = memoryPeer((text, ack) => {
    if (seqOfText(text) !== 2) ack(text);
  });
  const error = await t.throwsAsync(measureE2e(missing, quick, { drainTimeoutMs: 50 }));
  t.regex(error.message, /^1 of \d+ messages were not acked within 50 ms/);
});

/**
 * PublishWindow against a stand-in publisher that holds every acknowledgement until the test
 * releases it, in any order: the bounds, the expected sequences, the shipped position moving only
 * over a contiguous run, divergence, and the first failure stopping the window.
 */
import test from 'ava';
import type { MsgHdrs, PubAck } from 'nats';
import { isSeglogError } from '@seglog/types';
import { HEADER_EXPECTED_SEQ, HEADER_EXPECTED_SUBJECT_SEQ, HEADER_OFFSET } from '../src/index.js';
import { PublishWindow, type Publisher, type ShippedRun } from '../src/publish-window.js';

interface Held {
  readonly offset: number;
  readonly expected: number;
  resolve(ack: PubAck): void;
  reject(error: Error): void;
}

class HeldPublisher implements Publisher {
  readonly spec = { stream: 'S' };
  readonly held: Held[] = [];
  /** Macrotask turns in which publish was called. */
  turns = 0;
  #turnCounted = false;
  publish(_payload: Uint8Array, headers: MsgHdrs): Promise<PubAck> {
    if (!this.#turnCounted) {
      this.#turnCounted = true;
      this.turns += 1;
      setImmediate(() => (this.#turnCounted = false));
    }
    const expected = headers.has(HEADER_EXPECTED_SEQ) ? Number(headers.get(HEADER_EXPECTED_SEQ)) : 0;
    if (!headers.has(HEADER_EXPECTED_SEQ) && headers.get(HEADER_EXPECTED_SUBJECT_SEQ) !== '0') throw new Error('no expectation');
    const offset = Number(headers.get(HEADER_OFFSET));
    return new Promise((resolve, reject) => this.held.push({ offset, expected, resolve, reject }));
  }
  ack(index: number, seq?: number): void {
    const held = this.held[index]!;
    held.resolve({ stream: 'S', seq: seq ?? held.expected + 1, duplicate: false });
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function windowOver(publisher: HeldPublisher, lastSeq: number, runs: ShippedRun[], failures: Error[], maxInFlight = 4) {
  return new PublishWindow({
    stream: publisher,
    logIdHex: 'e'.repeat(32),
    lastSeq,
    limits: { maxInFlight, maxInFlightBytes: 1 << 20, publishTimeoutMillis: 1000 },
    onShipped: (run) => runs.push(run),
    onFailure: (error) => failures.push(error),
  });
}

test('each publish expects the one before it; the shipped position moves only over a contiguous run', async (t) => {
  const publisher = new HeldPublisher();
  const runs: ShippedRun[] = [];
  const window = windowOver(publisher, 10, runs, []);
  for (let offset = 100; offset < 104; offset++) await window.send(offset, new Uint8Array(8), undefined, 0);
  t.is(publisher.held.length, 0, 'send queues; the window publishes on the next turn');
  await tick();
  t.deepEqual(publisher.held.map((held) => held.expected), [10, 11, 12, 13]);
  t.is(publisher.turns, 1, 'records queued in one turn are published in one synchronous run');
  publisher.ack(1);
  publisher.ack(2);
  await tick();
  t.deepEqual(runs, [], 'acknowledgements after an unacknowledged publish do not move the position');
  publisher.ack(0);
  await tick();
  t.deepEqual(runs, [{ shippedOffset: 103, records: 3, bytes: 24, duplicates: 0 }]);
  t.is(window.inFlight, 1);
});

test('at most maxInFlight publishes wait for acknowledgement; send waits for room', async (t) => {
  const publisher = new HeldPublisher();
  const window = windowOver(publisher, 0, [], [], 2);
  await window.send(0, new Uint8Array(1), undefined, 0);
  await window.send(1, new Uint8Array(1), undefined, 0);
  let third = false;
  const sending = window.send(2, new Uint8Array(1), undefined, 0).then(() => (third = true));
  await tick();
  t.false(third);
  t.is(publisher.held.length, 2);
  publisher.ack(0);
  await sending;
  await tick();
  t.is(publisher.held.length, 3);
  t.is(publisher.held[2]!.expected, 2);
});

test('an acknowledgement at another sequence diverges; the first failure stops the window', async (t) => {
  const publisher = new HeldPublisher();
  const failures: Error[] = [];
  const window = windowOver(publisher, 5, [], failures);
  await window.send(0, new Uint8Array(1), undefined, 0);
  await window.send(1, new Uint8Array(1), undefined, 0);
  await tick();
  publisher.ack(0, 9); // someone else's message took sequence 6
  publisher.held[1]!.reject(new Error('wrong last sequence'));
  await window.settled();
  t.is(failures.length, 1);
  const [first] = failures;
  t.true(isSeglogError(first, 'SEGLOG_JETSTREAM_DIVERGED'), String(first));
  t.is(window.failure, first!);
  const error = await t.throwsAsync(window.send(2, new Uint8Array(1), undefined, 0));
  t.is(error, first!);
});

test('records queued after a failure are never published: they fail with the window', async (t) => {
  const publisher = new HeldPublisher();
  const failures: Error[] = [];
  const window = windowOver(publisher, 0, [], failures, 8);
  await window.send(0, new Uint8Array(1), undefined, 0);
  await tick();
  await window.send(1, new Uint8Array(1), undefined, 0); // queued for the next turn
  publisher.held[0]!.reject(new Error('timeout'));
  await window.settled();
  t.is(publisher.held.length, 1, 'the queued record was not published after the failure');
  t.is(failures.length, 1);
  t.is(window.inFlight, 2, 'nothing was acknowledged');
});

import test from 'ava';
import { BullMachine } from '../src/state/bull-machine.js';
import type { BullCommand, FetchSpec } from '../src/state/commands.js';
import { idleFetch } from '../src/state/apply-fetch.js';

const Q = 'bull:test';
const fetchSpec: FetchSpec = { token: 'w1:0', lockDuration: 1000 };

function add(now: number, extra: Partial<Extract<BullCommand, { t: 'add' }>> = {}): BullCommand {
  return { t: 'add', q: Q, now, id: '', name: 'job', data: '{}', opts: {}, timestamp: now, ...extra };
}

function apply(machine: BullMachine, command: BullCommand): unknown {
  return machine.apply([command])[0];
}

test('ids count from 1 per queue; custom ids are kept and a duplicate custom id adds nothing', (t) => {
  const m = new BullMachine();
  t.is(apply(m, add(1)), '1');
  t.is(apply(m, add(2)), '2');
  t.is(apply(m, add(3, { id: 'mine' })), 'mine');
  t.is(apply(m, add(4, { id: 'mine', name: 'other' })), 'mine');
  t.is(m.queue(Q)?.jobs.get('mine')?.name, 'job');
  const events = m.queue(Q)?.events.after('0-0', 100).map((e) => e.fields[1]);
  t.true(events?.includes('duplicated'));
});

test('fetch takes FIFO from wait, then by priority; a lifo job is taken next', (t) => {
  const m = new BullMachine();
  apply(m, add(1));
  apply(m, add(2, { opts: { priority: 5 } }));
  apply(m, add(3, { opts: { priority: 1 } }));
  apply(m, add(4));
  apply(m, add(5, { opts: { lifo: true } }));
  const order: string[] = [];
  for (let i = 0; i < 5; i++) {
    const result = apply(m, { t: 'fetch', q: Q, now: 10, ...fetchSpec }) as [unknown, string];
    order.push(result[1]);
  }
  t.deepEqual(order, ['5', '1', '4', '3', '2']);
  const empty = apply(m, { t: 'fetch', q: Q, now: 10, ...fetchSpec }) as [unknown, string, number, number];
  t.deepEqual(empty, [null, '', 0, 0]);
});

test('finish is fenced by the lock token: wrong token -6, lapsed lock -2, right token completes', (t) => {
  const m = new BullMachine();
  apply(m, add(1));
  apply(m, { t: 'fetch', q: Q, now: 100, ...fetchSpec });
  const finish = (token: string, now: number): unknown =>
    apply(m, { t: 'finish', q: Q, now, id: '1', token, target: 'completed', value: '"ok"', keep: {}, attempts: 1 });
  t.deepEqual(finish('other', 200), { code: -6 });
  t.deepEqual(apply(m, { t: 'extendLocks', q: Q, now: 1050, ids: ['1'], tokens: [fetchSpec.token], duration: 1000 }), []);
  t.deepEqual(finish(fetchSpec.token, 3051), { code: -2 }, 'the extended lock lapsed at 3050 (1050 + 1000 + the allowance)');
  t.deepEqual(
    apply(m, { t: 'extendLocks', q: Q, now: 3051, ids: ['1'], tokens: [fetchSpec.token], duration: 1000 }),
    ['1'],
    'a lapsed lock cannot be extended',
  );
  t.is(m.queue(Q)?.jobs.get('1')?.state, 'active');
  t.is(finish('0', 3100), 0, "token '0' (a manual move) expects no lock");
  const job = m.queue(Q)?.jobs.get('1');
  t.is(job?.state, 'completed');
  t.is(job?.returnvalue, '"ok"');
  t.is(job?.attemptsMade, 1);
});

test('stalled check is two-phase: a job is moved only if its lock is gone at the second check', (t) => {
  const m = new BullMachine();
  apply(m, add(1));
  apply(m, add(2));
  apply(m, { t: 'fetch', q: Q, now: 0, ...fetchSpec });
  apply(m, { t: 'fetch', q: Q, now: 0, ...fetchSpec, token: 'w2:0' });
  const stalled = (now: number): unknown => apply(m, { t: 'stalled', q: Q, now, maxStalledCount: 1, stalledInterval: 10 });
  t.deepEqual(stalled(0), [], 'the first check only marks');
  apply(m, { t: 'extendLocks', q: Q, now: 900, ids: ['2'], tokens: ['w2:0'], duration: 5000 });
  t.deepEqual(stalled(2000), ['1'], 'job 1 lost its lock at 2000 (1000 + the allowance); job 2 extended');
  t.is(m.queue(Q)?.jobs.get('1')?.state, 'wait');
  t.is(m.queue(Q)?.jobs.get('1')?.stalledCounter, 1);
  t.is(m.queue(Q)?.jobs.get('2')?.state, 'active');
  t.deepEqual(stalled(2005), [], 'no second check within stalledInterval');
  apply(m, { t: 'fetch', q: Q, now: 3000, ...fetchSpec, token: 'w3:0' });
  t.deepEqual(stalled(3000), []);
  const moved = stalled(9000) as string[];
  t.deepEqual([...moved].sort(), ['1', '2']);
  t.is(m.queue(Q)?.jobs.get('1')?.deferredFailure, 'job stalled more than allowable limit');
});

test('a lock lasts lockDuration plus the delivery allowance (lockDuration again, at most 1 s), from the proposing command', (t) => {
  const m = new BullMachine();
  apply(m, add(1));
  apply(m, add(2));
  apply(m, { t: 'fetch', q: Q, now: 0, serverNow: 0, token: 'short', lockDuration: 100 });
  apply(m, { t: 'fetch', q: Q, now: 0, serverNow: 0, token: 'long', lockDuration: 30_000 });
  t.is(m.queue(Q)?.jobs.get('1')?.lock?.untilMs, 200, 'a short lock is doubled: the record still has to reach its worker');
  t.is(m.queue(Q)?.jobs.get('2')?.lock?.untilMs, 31_000, 'a long one gains at most limits.bullmqLockAllowanceMillisMax');
  t.deepEqual(apply(m, { t: 'extendLocks', q: Q, now: 150, ids: ['1'], tokens: ['short'], duration: 100 }), [], 'still held at 150');
  t.is(m.queue(Q)?.jobs.get('1')?.lock?.untilMs, 350, 'an extension gets the same allowance');
});

test('a delayed job is promoted once due; fetch before that reports its due time', (t) => {
  const m = new BullMachine();
  apply(m, add(1000, { opts: { delay: 500 } }));
  t.is(m.queue(Q)?.jobs.get('1')?.state, 'delayed');
  t.deepEqual(apply(m, { t: 'fetch', q: Q, now: 1200, ...fetchSpec }), [null, '', 0, 1500]);
  const taken = apply(m, { t: 'fetch', q: Q, now: 1500, ...fetchSpec }) as [unknown, string];
  t.is(taken[1], '1');
});

test('event ids strictly increase, even when the clock goes back', (t) => {
  const m = new BullMachine();
  apply(m, add(5000));
  apply(m, add(4000));
  apply(m, add(5000));
  const ids = m.queue(Q)?.events.after('0-0', 100).map((e) => e.id) ?? [];
  t.true(ids.length >= 6);
  for (let i = 1; i < ids.length; i++) {
    const [ms0, s0] = (ids[i - 1] as string).split('-').map(Number) as [number, number];
    const [ms1, s1] = (ids[i] as string).split('-').map(Number) as [number, number];
    t.true(ms1 > ms0 || (ms1 === ms0 && s1 > s0), `${ids[i - 1]} < ${ids[i]}`);
  }
});

test('a snapshot restores a state equal to the original, byte for byte', (t) => {
  const m = new BullMachine();
  for (let i = 0; i < 20; i++) apply(m, add(i, { opts: { priority: i % 3, delay: i % 4 === 0 ? 100 : 0 } }));
  for (let i = 0; i < 5; i++) apply(m, { t: 'fetch', q: Q, now: 50, ...fetchSpec, token: `w:${i}` });
  apply(m, { t: 'finish', q: Q, now: 60, id: '2', token: 'w:0', target: 'failed', value: 'boom', keep: {}, attempts: 1 });
  apply(m, { t: 'pause', q: Q, now: 70, paused: true });
  const bytes = m.snapshot();
  const copy = new BullMachine();
  copy.restore(bytes);
  t.deepEqual(Buffer.from(copy.snapshot()), Buffer.from(bytes));
});

test('obliterate needs a paused queue and, without force, no active job; then the queue is gone', (t) => {
  const m = new BullMachine();
  apply(m, add(1));
  apply(m, add(2));
  apply(m, { t: 'fetch', q: Q, now: 1, ...fetchSpec });
  t.is(apply(m, { t: 'obliterate', q: Q, now: 2, force: false, count: 1000 }), -1);
  apply(m, { t: 'pause', q: Q, now: 3, paused: true });
  t.is(apply(m, { t: 'obliterate', q: Q, now: 4, force: false, count: 1000 }), -2);
  t.is(apply(m, { t: 'obliterate', q: Q, now: 5, force: true, count: 1 }), 1, 'one at a time: more left');
  t.is(apply(m, { t: 'obliterate', q: Q, now: 6, force: true, count: 1000 }), 0);
  t.is(m.queue(Q), undefined);
});

test('a prefetching fetch takes one job per extra token in one record; unreserve gives them back in order', (t) => {
  const m = new BullMachine();
  for (let i = 1; i <= 5; i++) apply(m, add(i));
  apply(m, add(6, { opts: { priority: 3 } }));
  const batch = apply(m, { t: 'fetch', q: Q, now: 10, ...fetchSpec, more: ['w1:1', 'w1:2', 'w1:3'] }) as {
    next: [unknown, string];
    reserved: [string, string][];
  };
  t.is(batch.next[1], '1');
  t.deepEqual(batch.reserved, [['w1:1', '2'], ['w1:2', '3'], ['w1:3', '4']]);
  const queue = m.queue(Q);
  t.is(queue?.active.length, 4);
  t.is(queue?.jobs.get('3')?.lock?.token, 'w1:2', 'each reserved job is locked under the token it is reserved for');
  t.is(queue?.jobs.get('3')?.attemptsStarted, 1);
  const given = apply(m, { t: 'unreserve', q: Q, now: 20, jobs: [['w1:2', '3'], ['w1:3', '4'], ['w1:9', '2']] });
  t.deepEqual(given, ['3', '4'], 'a job locked under another token is not given back');
  t.is(queue?.jobs.get('3')?.state, 'wait');
  t.is(queue?.jobs.get('3')?.attemptsStarted, 0, 'a start nobody made is not counted');
  t.is(queue?.jobs.get('2')?.state, 'active');
  const order: string[] = [];
  for (let i = 0; i < 4; i++) order.push((apply(m, { t: 'fetch', q: Q, now: 30, ...fetchSpec }) as [unknown, string])[1]);
  t.deepEqual(order, ['3', '4', '5', '6'], 'the queue order is as before the reservation');
});

test('a prefetching fetch stops at the limiter and at the global concurrency', (t) => {
  const m = new BullMachine();
  for (let i = 1; i <= 6; i++) apply(m, add(i));
  const limited = apply(m, {
    t: 'fetch', q: Q, now: 10, serverNow: 10, ...fetchSpec, limiterMax: 2, limiterDuration: 1000, more: ['w1:1', 'w1:2'],
  }) as { reserved: unknown[] };
  t.is(limited.reserved.length, 1, 'two jobs per window: the first and one reserved');
  apply(m, { t: 'setMeta', q: Q, now: 11, values: { concurrency: '4' } });
  const capped = apply(m, { t: 'fetch', q: Q, now: 2000, serverNow: 2000, ...fetchSpec, token: 'w2:0', more: ['w2:1', 'w2:2'] }) as {
    reserved: unknown[];
  };
  t.is(capped.reserved.length, 1, 'global concurrency 4: two were active, so two more');
});

test('keepLastIfActive: the kept job survives a snapshot and is added when the active holder finishes; a plain holder in wait is not replaced', (t) => {
  const m = new BullMachine();
  const dedup = { deduplication: { id: 'k', keepLastIfActive: true } } as never;
  t.is(apply(m, add(1, { opts: dedup })), '1');
  t.is(apply(m, add(2, { opts: dedup })), '1', 'holder waiting: plain deduplication');
  t.is(m.queue(Q)?.dedupNext.size, 0);
  apply(m, { t: 'fetch', q: Q, now: 10, ...fetchSpec });
  t.is(apply(m, add(11, { opts: dedup, data: '{"v":3}' })), '1');
  t.is(apply(m, add(12, { opts: dedup, data: '{"v":4}' })), '1', 'the last add while active wins');
  const restored = new BullMachine();
  restored.restore(m.snapshot());
  t.deepEqual(restored.snapshot(), m.snapshot(), 'the kept job is part of the snapshot');
  const finish: BullCommand = { t: 'finish', q: Q, now: 20, id: '1', token: fetchSpec.token, target: 'completed', value: '1', keep: {}, attempts: 1 };
  restored.apply([finish]);
  const queue = restored.queue(Q);
  t.is(queue?.jobs.get('4')?.data, '{"v":4}', 'the kept job has the id its add reserved and the last data');
  t.is(queue?.jobs.get('4')?.state, 'wait');
  t.is(queue?.dedup.get('k')?.jobId, '4', 'it now holds the key, without expiry');
  t.is(queue?.dedupNext.size, 0);
  t.false(queue?.jobs.has('3'), 'the earlier kept add was replaced, never added');
});

test('idleFetch answers without a record exactly when a fetch would change nothing, with the same answer', (t) => {
  const m = new BullMachine();
  const spec: FetchSpec = { ...fetchSpec, limiterMax: 2, limiterDuration: 100 };
  const fetch = (now: number): BullCommand => ({ t: 'fetch', q: Q, now, serverNow: now, ...spec });
  /** The read-only answer must equal the applied one and leave the state as it was; or be undefined. */
  const check = (now: number, expectIdle: boolean, label: string): void => {
    const idle = idleFetch(m.queue(Q), spec, now, now);
    if (!expectIdle) {
      t.is(idle, undefined, `${label}: must be proposed`);
      return;
    }
    const before = new TextDecoder().decode(m.snapshot());
    t.deepEqual(apply(m, fetch(now)), idle, `${label}: same answer as the record`);
    t.is(new TextDecoder().decode(m.snapshot()), before, `${label}: the record would change nothing`);
  };
  t.deepEqual(idleFetch(undefined, fetchSpec, 0, 0), [null, '', 0, 0], 'a queue never used');
  apply(m, add(1, { opts: { delay: 500 } }));
  check(100, true, 'only a delayed job, not due: its due time');
  check(501, false, 'the delayed job is due: the fetch promotes it');
  t.is((apply(m, fetch(501)) as [unknown, string])[1], '1');
  check(502, true, 'nothing waiting');
  apply(m, add(503));
  apply(m, { t: 'pause', q: Q, now: 600, paused: true });
  check(600, true, 'paused');
  apply(m, { t: 'pause', q: Q, now: 601, paused: false });
  check(601, false, 'a waiting job');
  apply(m, { t: 'rateLimit', q: Q, now: 602, serverNow: 602, expireMs: 250 });
  check(610, true, 'rate limited: the limiter ttl');
  check(900, false, 'the limiter reopened');
});

test('periodic snapshots come in proportion to the state: due once the records since reach the last snapshot size', (t) => {
  const m = new BullMachine();
  t.true(m.snapshotDue(10_000, 0), 'before any snapshot: whenever the thresholds say so');
  for (let i = 0; i < 50; i++) apply(m, add(i));
  const size = m.snapshot().byteLength;
  t.false(m.snapshotDue(10_000, size - 1), 'fewer record bytes than the state: not yet');
  t.true(m.snapshotDue(10_000, size), 'as many record bytes as the state: due');
  const reopened = new BullMachine();
  reopened.restore(m.snapshot());
  t.false(reopened.snapshotDue(10_000, size - 1), 'a loaded snapshot counts the same');
});

import test from 'ava';
import { Queue, QueueEvents, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { isSeglogError } from '@seglog/types';
import type { FileIO } from '@seglog/types';
import { seglogBackend } from '../src/index.js';
import { freshDir as makeDir, removeFreshDirs } from './helpers/fresh-dirs.js';
import { segmentWriteIO } from './helpers/io-proxies.js';

test.after.always(removeFreshDirs);

const connection = {};

function once<T>(register: (resolve: (value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve) => register(resolve));
}

test('a Worker processes what a Queue added; counts, return values and events follow', async (t) => {
  const backend = seglogBackend({ dir: await makeDir('test') });
  const queue = new Queue('mail', { connection }, backend);
  const events = new QueueEvents('mail', { connection }, backend);
  await events.waitUntilReady();
  const completedIds: string[] = [];
  const allCompleted = once<void>((resolve) =>
    events.on('completed', ({ jobId }) => {
      completedIds.push(jobId);
      if (completedIds.length === 3) resolve();
    }),
  );
  const added = await queue.addBulk([1, 2, 3].map((n) => ({ name: 'send', data: { n } })));
  t.deepEqual(added.map((job) => job.id), ['1', '2', '3']);
  t.is(await queue.getWaitingCount(), 3);
  const worker = new Worker('mail', async (job: Job) => (job.data as { n: number }).n * 10, { connection }, backend);
  await allCompleted;
  t.deepEqual(completedIds, ['1', '2', '3']);
  t.is(await queue.getCompletedCount(), 3);
  const job = await queue.getJob('2');
  t.is(job?.returnvalue, 20);
  t.is(await job?.getState(), 'completed');
  await worker.close();
  await events.close();
  await queue.close();
  await backend.idle();
});

test('a failing job is retried with backoff until its attempts are used, then failed', async (t) => {
  const backend = seglogBackend({ dir: await makeDir('test') });
  const queue = new Queue('flaky', { connection }, backend);
  let calls = 0;
  const worker = new Worker(
    'flaky',
    async () => {
      calls++;
      throw new Error(`boom ${calls}`);
    },
    { connection },
    backend,
  );
  const failed = once<Job>((resolve) => worker.on('failed', (job) => job !== undefined && job.attemptsMade === 3 && resolve(job)));
  await queue.add('x', {}, { attempts: 3, backoff: { type: 'fixed', delay: 20 } });
  const job = await failed;
  t.is(calls, 3);
  t.is(job.failedReason, 'boom 3');
  t.is(await queue.getFailedCount(), 1);
  await worker.close();
  await queue.close();
  await backend.idle();
});

test('state survives a close and reopen of the directory (replay from the log and snapshot)', async (t) => {
  const dir = await makeDir('test');
  const first = seglogBackend({ dir });
  const queue = new Queue('keep', { connection }, first);
  await queue.add('a', { v: 1 });
  await queue.add('b', { v: 2 }, { delay: 60_000 });
  await queue.add('c', { v: 3 }, { priority: 2 });
  await queue.pause();
  await queue.close();
  await first.idle();

  const second = seglogBackend({ dir });
  const again = new Queue('keep', { connection }, second);
  t.deepEqual(await again.getJobCounts('wait', 'delayed', 'prioritized'), { wait: 1, delayed: 1, prioritized: 1 });
  t.true(await again.isPaused());
  t.deepEqual((await again.getJob('2'))?.data, { v: 2 });
  const next = await again.add('d', {});
  t.is(next.id, '4', 'the id counter is part of the durable state');
  await again.close();
  await second.idle();
});

test('keepLastIfActive: adds while the job is active keep only the last one, added when the active job completes', async (t) => {
  const backend = seglogBackend({ dir: await makeDir('test') });
  const queue = new Queue('klia', { connection }, backend);
  const dedup = { id: 'user-7', keepLastIfActive: true, ttl: 50 };
  const first = await queue.add('sync', { v: 1 }, { deduplication: dedup });
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const seen: number[] = [];
  let activeOnce: () => void = () => undefined;
  const firstActive = new Promise<void>((resolve) => (activeOnce = resolve));
  const worker = new Worker(
    'klia',
    async (job: Job) => {
      seen.push((job.data as { v: number }).v);
      activeOnce();
      if (seen.length === 1) await gate;
    },
    { connection, concurrency: 4 },
    backend,
  );
  await firstActive;
  const second = await queue.add('sync', { v: 2 }, { deduplication: dedup });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const third = await queue.add('sync', { v: 3 }, { deduplication: dedup });
  t.is(second.id, first.id, 'an add while the holder is active returns the holder');
  t.is(third.id, first.id, 'the key does not lapse while its job is active, although ttl was 50 ms');
  t.is(await queue.getWaitingCount(), 0, 'nothing runs beside the active job');
  const secondDone = new Promise<Job>((resolve) => worker.on('completed', (job) => job.id !== first.id && resolve(job)));
  release();
  const next = await secondDone;
  t.deepEqual(seen, [1, 3], 'only the last add runs, after the first');
  t.is(next.id, '3', 'the kept job has the id its add reserved');
  t.is(await queue.getDeduplicationJobId('user-7'), null, 'the key is released when the last job finishes');
  await worker.close();
  await queue.close();
  await backend.idle();
});

test('deduplication: a second add with the same id adds nothing until the first job finishes', async (t) => {
  const backend = seglogBackend({ dir: await makeDir('test') });
  const queue = new Queue('dedup', { connection }, backend);
  const first = await queue.add('x', { n: 1 }, { deduplication: { id: 'same' } });
  const second = await queue.add('x', { n: 2 }, { deduplication: { id: 'same' } });
  t.is(second.id, first.id);
  t.is(await queue.count(), 1);
  t.is(await queue.getDeduplicationJobId('same'), first.id ?? 'missing id');
  const worker = new Worker('dedup', async () => 'ok', { connection }, backend);
  await once<void>((resolve) => worker.on('completed', () => resolve()));
  t.is(await queue.getDeduplicationJobId('same'), null, 'the key is released when its job completes');
  const third = await queue.add('x', { n: 3 }, { deduplication: { id: 'same' } });
  t.not(third.id, first.id);
  await worker.close();
  await queue.close();
  await backend.idle();
});

test('a job scheduler adds its first iteration, and a worker taking it adds the next', async (t) => {
  const backend = seglogBackend({ dir: await makeDir('test') });
  const queue = new Queue('tick', { connection }, backend);
  const first = await queue.upsertJobScheduler('every-hour', { every: 3_600_000 }, { name: 'tick', data: { n: 1 } });
  t.regex(String(first?.id), /^repeat:every-hour:\d+$/);
  t.is(await queue.getJobSchedulersCount(), 1);
  const worker = new Worker('tick', async () => 'ok', { connection }, backend);
  await once<void>((resolve) => worker.on('completed', () => resolve()));
  t.is(await queue.getDelayedCount(), 1, 'the next iteration waits an hour');
  const scheduler = await queue.getJobScheduler('every-hour');
  t.is(scheduler?.every, 3_600_000);
  t.is(await queue.removeJobScheduler('every-hour'), true);
  t.is(await queue.getDelayedCount(), 0, 'removing the scheduler removes its waiting iteration');
  await worker.close();
  await queue.close();
  await backend.idle();
});

test('bad options are refused with SEGLOG_INVALID_OPTION', (t) => {
  const error = t.throws(() => seglogBackend({ dir: '' }));
  t.true(isSeglogError(error) && error.code === 'SEGLOG_INVALID_OPTION');
});

test('a Worker of concurrency 4 takes 4 waiting jobs in one record (prefetch); pausing it gives back what it did not start', async (t) => {
  const backend = seglogBackend({ dir: await makeDir('test') });
  const queue = new Queue('pre', { connection }, backend);
  await queue.addBulk([1, 2, 3, 4, 5, 6].map((n) => ({ name: 'n', data: { n } })));
  const started: Job[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let fourStarted: () => void = () => undefined;
  const fourActive = new Promise<void>((resolve) => (fourStarted = resolve));
  const worker = new Worker(
    'pre',
    async (job: Job) => {
      started.push(job);
      if (started.length === 4) fourStarted();
      await gate;
    },
    { connection, concurrency: 4 },
    backend,
  );
  await fourActive;
  t.is(new Set(started.map((job) => job.processedOn)).size, 1, 'the 4 activations share one record (one processedOn)');
  t.is(await queue.getActiveCount(), 4, 'never more active than the concurrency');
  const paused = worker.pause();
  release();
  await paused;
  t.is(await queue.getActiveCount(), 0, 'a paused worker holds nothing');
  t.is(await queue.getCompletedCount() + (await queue.getWaitingCount()), 6);
  const waiting = await queue.getWaiting();
  for (const job of waiting) t.is(job.attemptsStarted, 0, `job ${job.id} was never started`);
  await worker.close();
  await queue.close();
  await backend.idle();
});

test('prefetch at the backend: reserved jobs are claimed by the predicted tokens, given back on a miss and on disconnectBlocking', async (t) => {
  const backend = seglogBackend({ dir: await makeDir('test') });
  const queue = new Queue('book', { connection }, backend);
  await queue.addBulk([1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ name: 'n', data: { n } })));
  const worker = backend('book', { connection, concurrency: 4 } as never, { withBlockingConnection: true });
  await worker.waitUntilReady();
  const first = await worker.moveToActive('w:0');
  t.is(first[1], '1');
  t.is(await queue.getActiveCount(), 4, 'one record took the job and three for w:1..w:3');
  const second = await worker.moveToActive('w:1');
  t.is(second[1], '2', 'claimed without a record');
  t.deepEqual(await worker.extendLocks(['2'], ['w:1'], 30_000), [], 'the claimed job is locked under the claiming token');
  t.is((await worker.moveToActive('other:7'))[1], '3', 'a token that was not predicted gives back w:2 and w:3 first');
  t.is(await queue.getActiveCount(), 4, 'other:7 took job 3 and reserved job 4 for other:8');
  t.is(await queue.getWaitingCount(), 4);
  const third = await worker.moveToActive('w:2');
  t.is(third[1], '4', 'a miss again: job 4 comes back and is taken in queue order');
  const second4 = backend('book', { connection, concurrency: 3 } as never, { withBlockingConnection: true });
  await second4.waitUntilReady();
  t.is((await second4.moveToActive('v:0'))[1], '5');
  t.is(await queue.getActiveCount(), 7, 'v:0 took job 5 and reserved 6 and 7');
  await second4.disconnectBlocking();
  t.is(await queue.getActiveCount(), 5, 'after disconnectBlocking only the jobs handed out stay active');
  t.is(await queue.getWaitingCount(), 3);
  await second4.close();
  const idle = backend('book', { connection, concurrency: 2 } as never, { withBlockingConnection: true });
  await idle.waitUntilReady();
  await idle.moveToActive('z:0');
  t.is(await queue.getActiveCount(), 7, 'z:0 took one and reserved one');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.is(await queue.getActiveCount(), 6, 'a reservation left unclaimed is given back after a while');
  await idle.close();
  await worker.close();
  await queue.close();
  await backend.idle();
});

/** The real file I/O, counting the batches written to the log's segment files (one per durable write). */
function countingIO(): { io: FileIO; writes: () => number } {
  let writes = 0;
  const io = segmentWriteIO(() => {
    writes++;
  });
  return { io, writes: () => writes };
}

test('an idle fetch is answered without a record, but never before a change proposed ahead of it', async (t) => {
  const counting = countingIO();
  // No zero-fill of segments in the background: every segment write counted is a record's batch.
  const backend = seglogBackend({ dir: await makeDir('test'), io: counting.io, log: { preallocate: false } });
  const queue = new Queue('idle', { connection }, backend);
  await queue.waitUntilReady();
  const worker = backend('idle', { connection }, { withBlockingConnection: true });
  await worker.waitUntilReady();
  // The Queue's own start-up record (its meta) may still be in flight: this fetch is a record
  // after it (never an answer from a state that has not seen it).
  t.deepEqual(await worker.moveToActive('w:0'), [null, '', 0, 0], 'nothing to take');
  const before = counting.writes();
  t.deepEqual(await worker.moveToActive('w:1'), [null, '', 0, 0], 'still nothing, now with nothing in flight');
  t.deepEqual(await worker.moveToActive('w:2'), [null, '', 0, 0]);
  t.is(counting.writes(), before, 'and nothing was written for them');
  const adding = queue.add('n', { n: 1 });
  const taken = await worker.moveToActive('w:3');
  t.is(taken[1], '1', 'the add proposed before the fetch is seen: the fetch is a record after it');
  await adding;
  t.true(counting.writes() > before, 'the add and the fetch that took its job were written (the counter sees records)');
  await worker.close();
  await queue.close();
  await backend.idle();
});

import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Queue, QueueEvents, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { ErrorCodes, isSeglogError, SeglogError } from '@seglog/types';
import { seglogBackend } from '../src/index.js';
import { BackendClosedError } from '../src/hub.js';
import { argsFromWire, argsToWire, errorFromWire, errorToWire } from '../src/remote/wire.js';
import { freshDir as makeDir, removeFreshDirs } from './helpers/fresh-dirs.js';

test.after.always(removeFreshDirs);

const connection = {};
const here = new URL('.', import.meta.url).pathname;


test('a remote Queue, Worker and QueueEvents work on the owner\'s directory: adds, completions, events, errors', async (t) => {
  const dir = await makeDir('remote');
  const owner = seglogBackend({ dir });
  const server = await owner.serve();
  t.is(server.path, `${dir}/bullmq.sock`);
  const remote = seglogBackend({ socket: server.path });
  const queue = new Queue('mail', { connection }, remote);
  const events = new QueueEvents('mail', { connection }, remote);
  await events.waitUntilReady();
  const completed: string[] = [];
  const allCompleted = new Promise<void>((resolve) =>
    events.on('completed', ({ jobId, returnvalue }) => {
      completed.push(`${jobId}=${String(returnvalue)}`);
      if (completed.length === 3) resolve();
    }),
  );
  const added = await queue.addBulk([1, 2, 3].map((n) => ({ name: 'send', data: { n } })));
  t.deepEqual(added.map((job) => job.id), ['1', '2', '3'], 'ids come from the owner');
  const worker = new Worker('mail', async (job: Job) => (job.data as { n: number }).n * 10, { connection, concurrency: 2 }, remote);
  await allCompleted;
  t.deepEqual(completed.sort(), ['1=10', '2=20', '3=30']);
  const local = new Queue('mail', { connection }, owner);
  t.is(await local.getCompletedCount(), 3, 'the owner sees the remote completions');
  t.is((await local.getJob('2'))?.returnvalue, 20);
  t.true((await queue.getWorkers()).length >= 1, 'the remote worker is listed by the owner');

  await worker.close();
  const fenced = await queue.add('fenced', {});
  const backend = remote('mail', { connection }, {});
  const lockError = await t.throwsAsync(backend.moveToCompleted({ id: fenced.id, opts: {} } as never, 'x', false, 'not-the-token', false), {
    message: `Missing lock for job ${fenced.id}. moveToFinished`,
  });
  t.is((lockError as Error & { code?: number }).code, -2, "BullMQ's numeric error code crosses the socket");
  await backend.close();
  await events.close();
  await queue.close();
  await local.close();
  await server.close();
  await owner.idle();
});

test('a remote factory refuses bad options, and a call to an owner that is gone fails as a closed connection', async (t) => {
  t.throws(() => seglogBackend({ socket: '' }), { code: 'SEGLOG_INVALID_OPTION' } as never);
  t.throws(() => seglogBackend({ socket: '/x', dir: '/y' } as never), { code: 'SEGLOG_INVALID_OPTION' } as never);
  const dir = await makeDir('remote');
  const remote = seglogBackend({ socket: join(dir, 'nobody.sock') });
  const queue = new Queue('none', { connection }, remote);
  queue.on('error', () => undefined);
  await t.throwsAsync(queue.waitUntilReady(), { code: 'SEGLOG_IO' } as never);
});

test('kill -9 of a remote worker holding jobs: its locks lapse and a worker of the owner recovers them as stalled', async (t) => {
  const dir = await makeDir('remote');
  const owner = seglogBackend({ dir });
  const server = await owner.serve();
  const queue = new Queue('remote', { connection }, owner);
  await queue.addBulk([1, 2, 3, 4].map((n) => ({ name: 'held', data: { n, hold: true } })));
  const child = spawn(
    process.execPath,
    ['--import=tsx', '--conditions=@seglog/source', join(here, 'helpers/remote-worker.ts'), server.path],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const active = new Set<string>();
  await new Promise<void>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [what, id] = line.split(' ');
      if (what === 'active' && id !== undefined) active.add(id);
      if (active.size === 4) resolve();
    });
  });
  t.is(await queue.getActiveCount(), 4, 'the remote worker holds all four');
  child.kill('SIGKILL');
  await exited;
  const stalled: string[] = [];
  const done: Job[] = [];
  const allDone = new Promise<void>((resolve) => {
    const worker = new Worker('remote', async () => 'recovered', { connection, concurrency: 4, stalledInterval: 200 }, owner);
    worker.on('stalled', (id) => stalled.push(id));
    worker.on('completed', (job) => {
      done.push(job);
      if (done.length === 4) resolve();
    });
    t.teardown(() => worker.close());
  });
  await allDone;
  t.deepEqual(stalled.sort(), ['1', '2', '3', '4'], 'every held job is recovered as stalled');
  for (const job of done) t.is(job.stalledCounter, 1, `job ${job.id} counted one stall`);
  t.is(await queue.getCompletedCount(), 4);
  await queue.close();
  await server.close();
});

test('remote backends reconnect when the owner is back: calls during the outage fail as a closed connection', async (t) => {
  const dir = await makeDir('remote');
  const first = seglogBackend({ dir });
  const server = await first.serve();
  const remote = seglogBackend({ socket: server.path });
  const queue = new Queue('again', { connection }, remote);
  const done: string[] = [];
  const waiters: Array<() => void> = [];
  const worker = new Worker('again', async (job: Job) => `ok ${String(job.id)}`, { connection, runRetryDelay: 50 }, remote);
  worker.on('error', () => undefined);
  worker.on('completed', (job) => {
    done.push(String(job.id));
    waiters.shift()?.();
  });
  const nextCompletion = (): Promise<void> => new Promise((resolve) => waiters.push(resolve));
  const firstDone = nextCompletion();
  t.is((await queue.add('before', {})).id, '1');
  // The worker is idle (blocked in waitForJob) when the owner goes: no call of it is in flight with
  // an unknown outcome (a fetch whose reply is lost leaves its job to the stalled check, as on Redis).
  await firstDone;

  await server.close();
  await first.idle();
  await t.throwsAsync(queue.add('during', {}), { message: 'Connection is closed.' }, 'nobody serves the directory');

  const second = seglogBackend({ dir });
  const again = await second.serve();
  t.is(again.path, server.path);
  const secondDone = nextCompletion();
  t.is((await queue.add('after', {})).id, '2', 'the Queue connected again and its handle was opened anew; the state was replayed');
  await secondDone;
  t.deepEqual(done, ['1', '2'], 'the Worker carried on after the restart');
  const local = new Queue('again', { connection }, second);
  t.is(await local.getCompletedCount(), 2);
  await worker.close();
  await queue.close();
  await local.close();
  await again.close();
  await second.idle();
});

test('the wire keeps coded errors, closed connections and undefined arguments as they were', (t) => {
  const seglog = errorFromWire(errorToWire(new SeglogError(ErrorCodes.NOT_IMPLEMENTED, 'not here')));
  t.true(isSeglogError(seglog));
  t.is((seglog as SeglogError).code, ErrorCodes.NOT_IMPLEMENTED);
  t.is(seglog.message, 'SEGLOG_NOT_IMPLEMENTED: not here');
  const closed = errorFromWire(errorToWire(new BackendClosedError()));
  t.is(closed.message, 'Connection is closed.', 'BullMQ recognises a closed connection by this message');
  class FakeJob {
    readonly queue = { huge: true };
    constructor(readonly id: string, readonly opts: object) {}
  }
  const wire = argsToWire([new FakeJob('7', { attempts: 2 }), undefined, null, 3]);
  t.deepEqual(JSON.parse(JSON.stringify(wire.a)), [{ id: '7', opts: { attempts: 2 } }, null, null, 3], 'a Job crosses as its fields, not its Queue');
  t.deepEqual(argsFromWire(JSON.parse(JSON.stringify(wire.a)), wire.u), [{ id: '7', opts: { attempts: 2 } }, undefined, null, 3]);
  class FullJob {
    readonly name = 'n';
    readonly data = { big: 'x'.repeat(100) };
    constructor(readonly id: string, readonly opts: object) {}
  }
  const completion = argsToWire([new FullJob('8', { attempts: 1 }), 'ok'], 'moveToCompleted');
  t.deepEqual(completion.a, [{ id: '8', opts: { attempts: 1 } }, 'ok'], 'a completion carries the id and opts only');
  t.deepEqual(argsToWire([new FullJob('9', {})]).a, [{ id: '9', name: 'n', data: { big: 'x'.repeat(100) }, opts: {} }], 'other calls keep the fields');
});

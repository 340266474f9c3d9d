import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import type { WorkerOptions } from 'bullmq';
import { seglogBackend } from '../src/index.js';
import { freshDir, removeFreshDirs } from './helpers/fresh-dirs.js';
import { segmentWriteIO } from './helpers/io-proxies.js';

test.after.always(removeFreshDirs);

const connection = {};

/** Segment writes pass until `hold()`; then each waits for `release()`. */
function writeGate(): { hold: () => void; release: () => void; released: () => boolean; onWrite: () => Promise<void> } {
  let open = true;
  let opened = Promise.resolve();
  let release = (): void => undefined;
  return {
    hold: () => {
      open = false;
      opened = new Promise<void>((resolve) => (release = resolve));
    },
    release: () => {
      open = true;
      release();
    },
    released: () => open,
    onWrite: () => opened,
  };
}

test('extendLocks answers before its record is durable, and the record still fences the stalled check', async (t) => {
  const gate = writeGate();
  const backend = seglogBackend({ dir: await freshDir('locks'), io: segmentWriteIO(gate.onWrite), log: { preallocate: false } });
  const queue = new Queue('locks', { connection }, backend);
  await queue.add('job', {});
  // The fetch's lock is long, so a slow machine cannot let it lapse before the extension below; the
  // extension is short (50 ms plus its 50 ms allowance) and replaces it, so it has lapsed by the end.
  const workerOpts: WorkerOptions = { connection, lockDuration: 30_000, stalledInterval: 1 };
  const worker = backend('locks', workerOpts, { withBlockingConnection: true });
  await worker.waitUntilReady();
  t.is((await worker.moveToActive('w:0'))[1], '1');
  t.deepEqual(await worker.moveStalledJobsToWait(), [], 'the first check only marks the active job');

  gate.hold();
  const extending = worker.extendLocks(['1'], ['w:0'], 50);
  // A liveness guard, not a timing assertion: before the change this call waited for the held write forever.
  const answer = await Promise.race([extending, sleep(10_000).then(() => 'still waiting for the write')]);
  t.deepEqual(answer, [], 'the held lock is extended...');
  t.false(gate.released(), '...while its record is not yet written');
  t.deepEqual(await worker.extendLocks(['1', '404'], ['other', 'w:0'], 50), ['1', '404'], 'a lock the token does not hold is refused at once');
  gate.release();

  // The extension (50 ms plus its 50 ms allowance) has lapsed by now, and it replaced the fetch's lock.
  await sleep(150);
  t.deepEqual(await worker.moveStalledJobsToWait(), [], 'the applied extension unmarked the job: not taken back');
  t.deepEqual(await worker.moveStalledJobsToWait(), ['1'], 'marked again, and its lock is gone: taken back');
  await worker.close();
  await queue.close();
  await backend.idle();
});

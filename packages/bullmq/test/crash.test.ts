import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Queue, Worker } from 'bullmq';
import { seglogBackend } from '../src/index.js';
import { freshDir as makeDir, removeFreshDirs } from './helpers/fresh-dirs.js';

test.after.always(removeFreshDirs);

const connection = {};
const here = new URL('.', import.meta.url).pathname;

/** Runs the child until it reported `minimum` completions, then kills it with SIGKILL. */
async function runAndKill(dir: string, minimum: number): Promise<{ added: Set<string>; completed: Set<string> }> {
  const child = spawn(process.execPath, ['--import=tsx', '--conditions=@seglog/source', join(here, 'helpers/crash-child.ts'), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const added = new Set<string>();
  const completed = new Set<string>();
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const closed = new Promise<void>((resolve) => lines.once('close', () => resolve()));
  lines.on('line', (line) => {
    const [what, id] = line.split(' ');
    if (id === undefined) return;
    if (what === 'added') added.add(id);
    if (what === 'completed') completed.add(id);
    if (completed.size >= minimum && !child.killed) child.kill('SIGKILL');
  });
  await exited;
  await closed;
  return { added, completed };
}

test('kill -9 under load: every acknowledged add is found, no acknowledged completion is undone, stalled jobs are recovered', async (t) => {
  const dir = await makeDir('crash');
  const { added, completed } = await runAndKill(dir, 300);
  t.true(added.size >= 300, `added ${added.size}`);

  const backend = seglogBackend({ dir });
  const queue = new Queue('crash', { connection }, backend);
  for (const id of added) {
    const state = await queue.getJobState(id);
    t.not(state, 'unknown', `job ${id} was acknowledged by add`);
    if (completed.has(id)) t.is(state, 'completed', `job ${id}'s completion was acknowledged`);
  }
  for (const id of completed) t.true(added.has(id) || (await queue.getJobState(id)) === 'completed');

  const counts = await queue.getJobCounts('active', 'wait', 'completed');
  const total = (await queue.getJobCounts('active', 'wait', 'completed', 'prioritized', 'delayed', 'failed'));
  const known = Object.values(total).reduce((sum, n) => sum + n, 0);
  const worker = new Worker('crash', async () => 'again', { connection, concurrency: 8, stalledInterval: 300, lockDuration: 1000 }, backend);
  const stalled: string[] = [];
  worker.on('stalled', (id) => stalled.push(id));
  const deadline = Date.now() + 60_000;
  while ((await queue.getCompletedCount()) < known && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.is(await queue.getCompletedCount(), known, 'every job the log holds completes after the restart');
  const activeAtKill = counts.active ?? 0;
  if (activeAtKill > 0) t.true(stalled.length > 0, `${activeAtKill} jobs were active at the kill; they are recovered as stalled`);
  t.log(`added ${added.size}, completed before the kill ${completed.size}, active at the kill ${activeAtKill}, stalled recovered ${stalled.length}`);
  await worker.close();
  await queue.close();
  await backend.idle();
});

// Jobs per second through BullMQ on seglog: add + process + complete, 128-byte data, one Worker at
// each concurrency. A first measurement of the issue-14 workload for seglog alone; the comparison
// against Redis and PostgreSQL in the benchmark suite is still to come (docs/bullmq.md).
//
//   pnpm build && flock /tmp/seglog-bench.lock node packages/bullmq/scripts/throughput.mjs [jobs] [dir]
//
// The producer adds in batches of 64 (addBulk, one record each) while the worker runs, as a
// service does; the figure is jobs completed per second from the first add to the last completion.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { seglogBackend } from '../dist/index.js';

const jobs = Number(process.argv[2] ?? 5000);
const base = process.argv[3] ?? tmpdir();
const data = { payload: 'x'.repeat(128 - 14) };
const connection = {};

async function run(concurrency) {
  const dir = mkdtempSync(join(base, 'seglog-bullmq-bench-'));
  const backend = seglogBackend({ dir });
  const queue = new Queue('bench', { connection }, backend);
  await queue.waitUntilReady();
  let completed = 0;
  let resolveDone;
  const done = new Promise((resolve) => (resolveDone = resolve));
  const worker = new Worker('bench', async () => 1, { connection, concurrency, autorun: false }, backend);
  worker.on('completed', () => {
    completed++;
    if (completed === jobs) resolveDone();
  });
  const started = performance.now();
  void worker.run();
  for (let added = 0; added < jobs; added += 64) {
    const count = Math.min(64, jobs - added);
    await queue.addBulk(Array.from({ length: count }, () => ({ name: 'j', data })));
  }
  await done;
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  await queue.close();
  await backend.idle();
  rmSync(dir, { recursive: true, force: true });
  return jobs / seconds;
}

console.log(`| concurrency | jobs | jobs/s |`);
console.log(`| ---: | ---: | ---: |`);
for (const concurrency of [1, 16, 64]) {
  const rate = await run(concurrency);
  console.log(`| ${concurrency} | ${jobs} | ${Math.round(rate)} |`);
}

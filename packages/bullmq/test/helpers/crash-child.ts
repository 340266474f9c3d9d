// The process the crash test kills with SIGKILL: it adds jobs as fast as it can and completes them
// with 8 concurrent handlers, and reports each add and each completion on stdout only after BullMQ
// saw it succeed (that is, after the record was durable). Pipes are synchronous on Linux, so a
// reported line is never lost by the kill.
import { Queue, Worker } from 'bullmq';
import { seglogBackend } from '../../src/index.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: crash-child <dir>');
const connection = {};
const backend = seglogBackend({ dir, snapshotEveryRecords: 200 });
const queue = new Queue('crash', { connection }, backend);
const worker = new Worker('crash', async () => 'done', { connection, concurrency: 8, lockDuration: 1000 }, backend);
worker.on('completed', (job) => process.stdout.write(`completed ${job.id}\n`));

async function produce(): Promise<void> {
  for (let i = 0; ; i++) {
    const jobs = await queue.addBulk([{ name: 'a', data: { i } }, { name: 'b', data: { i } }]);
    for (const job of jobs) process.stdout.write(`added ${job.id}\n`);
  }
}

void produce();

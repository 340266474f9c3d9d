// A Worker in another process than the directory's owner, connected over its socket: it reports
// each job it started ("active <id>") and completed ("completed <id>"), and holds every job whose
// data says `hold` until it is killed. The remote test kills it with SIGKILL while it holds jobs.
import { Worker } from 'bullmq';
import { seglogBackend } from '../../src/index.js';

const socket = process.argv[2];
if (socket === undefined) throw new Error('usage: remote-worker <socket>');
const backend = seglogBackend({ socket });
const worker = new Worker(
  'remote',
  async (job) => {
    process.stdout.write(`active ${job.id}\n`);
    if ((job.data as { hold?: boolean }).hold === true) await new Promise(() => undefined);
    return `done by ${process.pid}`;
  },
  { connection: {}, concurrency: 4, lockDuration: 1000, stalledInterval: 300 },
  backend,
);
worker.on('completed', (job) => process.stdout.write(`completed ${job.id}\n`));
worker.on('error', (error) => process.stderr.write(`remote worker error: ${String(error)}\n`));

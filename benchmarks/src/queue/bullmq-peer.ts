/**
 * One job: BullMQ 6 on Debian's redis-server with `appendonly yes` and `appendfsync always` as a
 * peer of the end-to-end queue benchmark. With that setting Redis fdatasyncs its AOF before it
 * replies, so `queue.add` resolving means the job is durable, and a worker's `completed` event
 * fires after moveToCompleted was acknowledged, so the ack is durable then too.
 *
 * Jobs are added with `removeOnComplete: true` (as most deployments run, so Redis does not grow),
 * and the worker runs with `concurrency` (BullMQ's own setting for handlers at once). The job's
 * data is `{ m: <the 128-character message> }` (message-codec.ts); the sequence number is read
 * back from the completed job's data.
 */
import { reasonIfMissing, requireOptional } from '../engines/optional.js';
import type { RunningServer } from '../lib/server.js';
import { messageText, seqOfText } from './message-codec.js';
import { redisMissingReason, startRedis } from './peer-servers.js';
import type { PeerDefinition, QueuePeer } from './queue-peer.js';

interface Job {
  readonly data: { readonly m: string };
}
interface BullQueue {
  add(name: string, data: { m: string }, options: { removeOnComplete: boolean }): Promise<unknown>;
  close(): Promise<void>;
}
interface BullWorker {
  on(event: 'completed', listener: (job: Job) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}
interface BullModule {
  Queue: new (name: string, options: { connection: { host: string; port: number } }) => BullQueue;
  Worker: new (
    name: string,
    processor: (job: Job) => Promise<void>,
    options: { connection: { host: string; port: number; maxRetriesPerRequest: null }; concurrency: number },
  ) => BullWorker;
}

export const bullmqPeer: PeerDefinition = {
  name: 'bullmq',
  label: 'BullMQ (Redis, appendfsync always)',
  durability: 'redis-server --appendonly yes --appendfsync always (AOF fdatasync before each reply)',
  async unavailableReason() {
    return redisMissingReason() ?? (await reasonIfMissing('bullmq'));
  },
  async open(dir: string): Promise<QueuePeer> {
    const { Queue, Worker } = await requireOptional<BullModule>('bullmq');
    const server: RunningServer = await startRedis(dir);
    const connection = { host: '127.0.0.1', port: server.port };
    const queue = new Queue('bench', { connection });
    let worker: BullWorker | null = null;
    return {
      enqueue(seq) {
        return queue.add('m', { m: messageText(seq) }, { removeOnComplete: true });
      },
      async consume(concurrency, onAcked) {
        worker = new Worker('bench', () => Promise.resolve(), {
          connection: { ...connection, maxRetriesPerRequest: null },
          concurrency,
        });
        worker.on('completed', (job) => onAcked(seqOfText(job.data.m)));
        worker.on('error', () => undefined);
        await worker.waitUntilReady();
      },
      async close() {
        await worker?.close();
        await queue.close();
        await server.stop();
      },
    };
  },
};

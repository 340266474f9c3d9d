/**
 * One job: one measurement of the BullMQ benchmark: add + process + complete of `jobs` jobs with
 * 128-byte data through BullMQ's own classes on one backend, one Worker at `concurrency`. The
 * producer adds in batches of 64 (`addBulk`) while the worker runs, as a service does; the figure is
 * jobs completed per second from the first add to the last completion, plus this process's CPU
 * time per job (the client side: BullMQ's classes and, for seglog, the whole backend).
 *
 * `warmupJobs` go through the same Queue and Worker first, unmeasured: a cold process spends most
 * of its first thousand jobs compiling (BullMQ's classes, the client library, the backend), which
 * is not what a running service pays per job.
 */
import { Queue, Worker } from 'bullmq';
import type { BullmqPeer } from './peers.js';

export interface BullmqShape {
  readonly jobs: number;
  readonly concurrency: number;
  /** Jobs run first, not measured (absent: 0). */
  readonly warmupJobs?: number;
}

export interface BullmqResult {
  readonly jobsPerSecond: number;
  readonly seconds: number;
  readonly clientCpuMicrosPerJob: number;
  /** The peer's own server process's CPU per job, where it has one we count (seglog-socket's owner). */
  readonly serverCpuMicrosPerJob?: number;
}

const data = { payload: 'x'.repeat(128 - 14) };
const addBatch = 64;

export async function measureBullmq(peer: BullmqPeer, shape: BullmqShape): Promise<BullmqResult> {
  const connection = {};
  const queue = new Queue('bench', { connection }, peer.factory);
  await queue.waitUntilReady();
  let completed = 0;
  let target = 0;
  let reached: () => void = () => undefined;
  const worker = new Worker('bench', () => Promise.resolve(1), { connection, concurrency: shape.concurrency, autorun: false }, peer.factory);
  worker.on('completed', () => {
    completed += 1;
    if (completed === target) reached();
  });
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
  void worker.run();
  /** Adds `count` jobs in batches while the worker runs; resolves when the worker completed them all. */
  const pass = async (count: number): Promise<void> => {
    target = completed + count;
    const done = new Promise<void>((resolve) => (reached = resolve));
    for (let added = 0; added < count; added += addBatch) {
      await queue.addBulk(Array.from({ length: Math.min(addBatch, count - added) }, () => ({ name: 'j', data })));
    }
    await done;
  };
  if ((shape.warmupJobs ?? 0) > 0) await pass(shape.warmupJobs ?? 0);
  const serverBefore = await peer.serverCpuMicros?.();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await pass(shape.jobs);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const serverAfter = await peer.serverCpuMicros?.();
  await worker.close();
  await queue.close();
  const server = serverBefore === undefined || serverAfter === undefined
    ? {}
    : { serverCpuMicrosPerJob: (serverAfter - serverBefore) / shape.jobs };
  const clientCpuMicrosPerJob = (cpu.user + cpu.system) / shape.jobs;
  return { jobsPerSecond: shape.jobs / seconds, seconds, clientCpuMicrosPerJob, ...server };
}

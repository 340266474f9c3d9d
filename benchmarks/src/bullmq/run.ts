/**
 * One job: one measurement of the BullMQ benchmark: add + process + complete of `jobs` jobs with
 * 128-byte data through BullMQ's own classes on one backend, one Worker at `concurrency`. The
 * producer adds in batches of 64 (`addBulk`) while the worker runs, as a service does; the figure is
 * jobs completed per second from the first add to the last completion, plus this process's CPU
 * time per job (the client side: BullMQ's classes and, for seglog, the whole backend).
 */
import { Queue, Worker } from 'bullmq';
import type { BullmqPeer } from './peers.js';

export interface BullmqShape {
  readonly jobs: number;
  readonly concurrency: number;
}

export interface BullmqResult {
  readonly jobsPerSecond: number;
  readonly seconds: number;
  readonly clientCpuMicrosPerJob: number;
}

const data = { payload: 'x'.repeat(128 - 14) };
const addBatch = 64;

export async function measureBullmq(peer: BullmqPeer, shape: BullmqShape): Promise<BullmqResult> {
  const connection = {};
  const queue = new Queue('bench', { connection }, peer.factory);
  await queue.waitUntilReady();
  let completed = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const worker = new Worker('bench', () => Promise.resolve(1), { connection, concurrency: shape.concurrency, autorun: false }, peer.factory);
  worker.on('completed', () => {
    completed += 1;
    if (completed === shape.jobs) resolveDone();
  });
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  void worker.run();
  for (let added = 0; added < shape.jobs; added += addBatch) {
    const count = Math.min(addBatch, shape.jobs - added);
    await queue.addBulk(Array.from({ length: count }, () => ({ name: 'j', data })));
  }
  await done;
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await worker.close();
  await queue.close();
  return { jobsPerSecond: shape.jobs / seconds, seconds, clientCpuMicrosPerJob: (cpu.user + cpu.system) / shape.jobs };
}

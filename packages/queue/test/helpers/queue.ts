/** Test helpers for queue tests: a queue on a fresh simulated disk, and payload text. */
import type { SimFileIO } from '@seglog/testkit';
import { openQueue } from '../../src/index.js';
import type { Queue, QueueMessage, QueueOptions } from '../../src/index.js';
import { freshSim } from './sim.js';

export const QUEUE_DIR = '/data/q';

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (payload: Uint8Array): string => new TextDecoder().decode(payload);

export interface SimQueue {
  sim: SimFileIO;
  queue: Queue;
  reopen: (more?: Partial<QueueOptions>) => Promise<Queue>;
}

export async function simQueue(seed: number, options: Partial<QueueOptions> = {}): Promise<SimQueue> {
  const sim = await freshSim(seed);
  const open = (more: Partial<QueueOptions> = {}): Promise<Queue> =>
    openQueue({ dir: QUEUE_DIR, io: sim.boot(), ...options, ...more });
  return { sim, queue: await open(), reopen: open };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The consumer's next message; fails the test if the consumer ended instead. */
export async function take<T = QueueMessage>(iterator: AsyncIterator<T>): Promise<T> {
  const next = await iterator.next();
  if (next.done === true) throw new Error('consumer ended');
  return next.value;
}

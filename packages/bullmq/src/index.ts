/**
 * @seglog/bullmq: a BullMQ 6 `BackendFactory` whose whole state lives in a seglog log directory.
 *
 * ```ts
 * import { Queue, Worker } from 'bullmq';
 * import { seglogBackend } from '@seglog/bullmq';
 * const backend = seglogBackend({ dir: '/var/lib/app/queues' });
 * const queue = new Queue('mail', {}, backend);
 * const worker = new Worker('mail', async (job) => send(job.data), {}, backend);
 * ```
 *
 * Every queue created through one factory shares one log and one group commit; every state change
 * is durable before BullMQ sees it succeed. See docs/bullmq.md.
 */
export { seglogBackend } from './factory.js';
export type { SeglogBackendFactory, SeglogBackendOptions } from './factory.js';
export type { SeglogRemoteBackendFactory, SeglogRemoteBackendOptions } from './factory.js';
export type { BackendServer } from './remote/server.js';

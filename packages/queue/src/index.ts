/**
 * @seglog/queue: a durable work queue embedded in a Node process, on a seglog log. Every enqueue
 * and every settle is a record made durable by the log's group commit before its promise resolves;
 * state is rebuilt at open from a snapshot plus the records after it. docs/queue.md states the
 * guarantees and every option; the foundation (state machine, snapshots, timing wheel, tokens) is
 * `@seglog/queue/machine`.
 */
export { openQueue, Queue, QUEUE_HOLD_NAME } from './queue/queue.js';
export type { GroupStats, Receipt, Transaction } from './queue/queue.js';
export { Consumer } from './queue/consumer.js';
export { QUEUE_EVENT_CHANNEL, QUEUE_STATS_CHANNEL } from './queue/channels.js';
export type { QueueEvent, QueueEventKind, QueueStatsEvent, QueueStatsEventGroup } from './queue/channels.js';
export type { Handler } from './queue/consumer.js';
export { QueueMessage } from './queue/message.js';
export { serveQueue } from './remote/server.js';
export { checkSocketPath, listenUnixSocket, socketPathBytesMax } from './remote/socket-server.js';
export type { SocketServer } from './remote/socket-server.js';
export type { QueueServer, ServeOptions } from './remote/server.js';
export { connectQueue, RemoteConsumer, RemoteMessage, RemoteQueue } from './remote/client.js';
export type { ConnectOptions } from './remote/client.js';
export { queueLimits, systemQueueClock } from './queue/options.js';
export type { ConsumerOptions, EnqueueOptions, QueueClock, QueueOptions } from './queue/options.js';
export { BACKOFF_DEFAULT, backoffDelayMs } from './queue/backoff.js';
export type { BackoffPolicy } from './queue/backoff.js';
export type { DeadLetterInfo } from './queue/commands.js';
export type { DeliveryToken } from './machine/index.js';
export { encodeFrame, FrameReader, frameBytesMax } from './remote/frames.js';
export { readFrames } from './remote/frame-socket.js';
export { BatchWriter, readOwnerBatch, readWorkerBatch } from './remote/wire.js';
export type { FrameSink, OwnerOps, SettleKind, WireDelivery, WorkerOps } from './remote/wire.js';
export type { Frame } from './remote/frames.js';
export { workerConnections } from './remote/server.js';
